-- (PostgreSQL) A sample's usage (TRAIN, EVAL, TEST, INFERENCE) as a relabel or a manifest import
-- sets it; NULL when never set. Versions keep it as published.
alter table samples add column sample_usage text;
alter table version_samples add column sample_usage text;
