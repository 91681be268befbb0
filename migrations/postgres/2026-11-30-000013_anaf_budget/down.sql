DROP TABLE anaf_call_pause;
DROP TABLE anaf_call_minutes;
