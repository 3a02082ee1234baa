-- Paging that does not slow down with depth: every sample gets a per-dataset sequence
-- number in insertion order, and `sample_pages` counts the samples of each scope in
-- buckets of 1024 sequence numbers, kept in the same transaction as every change.
-- A page at any offset is then one sum over about (samples / 1024) counter rows plus
-- an index range read of at most 1024 + limit rows.
-- Scopes: '' (all samples), 's:<sample_status>', 'l:<label name>'.

alter table samples add column seq bigint not null default 0;
update samples set seq = r.rn
    from (select dataset_id, id, row_number() over (partition by dataset_id order by create_time, id) as rn
          from samples) r
    where r.dataset_id = samples.dataset_id and r.id = samples.id;
create unique index samples_dataset_seq on samples (dataset_id, seq);
drop index samples_dataset_status;
create index samples_dataset_status_seq on samples (dataset_id, status, seq);

alter table datasets add column next_seq bigint not null default 0;
update datasets set next_seq = coalesce((select max(seq) from samples where dataset_id = datasets.id), 0);

alter table sample_labels add column seq bigint not null default 0;
update sample_labels set seq = s.seq
    from samples s
    where s.dataset_id = sample_labels.dataset_id and s.id = sample_labels.sample_id;
drop index sample_labels_by_label;
create index sample_labels_by_label_seq on sample_labels (dataset_id, label_name, seq);

create table sample_pages (
    dataset_id text not null references datasets (id) on delete cascade,
    scope text not null,
    bucket bigint not null,                -- seq / 1024
    n bigint not null,
    primary key (dataset_id, scope, bucket)
);
insert into sample_pages (dataset_id, scope, bucket, n)
    select dataset_id, '', seq / 1024, count(*) from samples group by dataset_id, seq / 1024;
insert into sample_pages (dataset_id, scope, bucket, n)
    select dataset_id, 's:' || status, seq / 1024, count(*) from samples
    group by dataset_id, 's:' || status, seq / 1024;
insert into sample_pages (dataset_id, scope, bucket, n)
    select dataset_id, 'l:' || label_name, seq / 1024, count(*) from sample_labels
    group by dataset_id, 'l:' || label_name, seq / 1024;
