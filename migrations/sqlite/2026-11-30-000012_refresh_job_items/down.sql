DROP TABLE refresh_job_items;
