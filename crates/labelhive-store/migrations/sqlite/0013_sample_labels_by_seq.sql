-- Label index rows were keyed by (dataset, sample id, label). Sample ids are hashes of
-- paths, so every labeled sample written landed on its own page of that key once a
-- dataset outgrew the page cache: an import of a million samples wrote about 16 KB of
-- WAL and checkpoint per sample. Keyed by the sample's sequence number, new samples'
-- rows append to the end of the index instead. The sample id stays for joins. The
-- rows now refer to their dataset, as on PostgreSQL (its 0010): a reference to the
-- sample would make each deleted sample search the table for its rows by sample id,
-- which no index leads with any more; the store deletes them with their sample.
create table sample_labels_by_seq (
    dataset_id text not null references datasets (id) on delete cascade,
    sample_id text not null,
    label_name text not null,
    label_type bigint not null,
    instances bigint not null,
    seq bigint not null,
    primary key (dataset_id, seq, label_name)
);
insert into sample_labels_by_seq (dataset_id, sample_id, label_name, label_type, instances, seq)
    select dataset_id, sample_id, label_name, label_type, instances, seq from sample_labels;
drop table sample_labels;
alter table sample_labels_by_seq rename to sample_labels;
create index sample_labels_by_label_seq on sample_labels (dataset_id, label_name, seq);
