DROP TABLE job_schedules;
DROP TABLE job_counters;
DROP TABLE jobs;
