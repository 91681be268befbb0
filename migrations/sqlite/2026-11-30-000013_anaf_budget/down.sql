DROP TABLE anaf_call_pause;
DROP TABLE call_counts;
