-- (PostgreSQL) Label index rows were keyed by (dataset, sample id, label). Sample ids
-- are hashes of paths, so every labeled sample written landed on its own page of that
-- key once a dataset outgrew the buffer cache. Keyed by the sample's sequence number,
-- new samples' rows append to the end of the index instead. The sample id stays for
-- joins.
alter table sample_labels drop constraint sample_labels_pkey;
alter table sample_labels add constraint sample_labels_pkey primary key (dataset_id, seq, label_name);
