DROP TABLE engine_instances;
