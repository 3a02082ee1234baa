-- Published dataset versions: the version row with its counts, and a copy of every
-- sample as it was published. A version never changes once published.

alter table versions add column description text not null default '';
alter table versions add column status bigint not null default 0;
alter table versions add column clear_hard_property bigint not null default 1;
alter table versions add column remove_sample_usage bigint not null default 1;
alter table versions add column export_images bigint not null default 0;
alter table versions add column with_column_header bigint not null default 1;
alter table versions add column task_type bigint not null default 0;
alter table versions add column total_sample_count bigint not null default 0;
alter table versions add column annotated_sample_count bigint not null default 0;
alter table versions add column labels text not null default '[]';      -- JSON VersionLabel list
alter table versions add column label_type text;                        -- single | multi
alter table versions add column manifest_path text not null default '';
alter table versions add column data_path text not null default '';
alter table versions add column previous_version_id text;
alter table versions add column message text;
alter table versions add column job_id text not null default '';
alter table versions add column update_time bigint not null default 0;
-- Samples with seq <= last_seq when the version was requested belong to it.
alter table versions add column last_seq bigint not null default 0;
-- Copy progress, advanced in the same transaction as each copied batch.
alter table versions add column copied_seq bigint not null default 0;
alter table versions add column copied bigint not null default 0;
create unique index versions_dataset_name on versions (dataset_id, name);

-- Positions are dense (1..n), so a page at any offset is a primary-key range.
create table version_samples (
    version_id text not null references versions (id) on delete cascade,
    pos bigint not null,
    id text not null,
    dataset_id text not null,
    path text not null,
    name text not null,
    size bigint not null,
    sample_type bigint not null,
    status text not null,
    labels text not null,
    metadata text not null,
    label_names text not null,             -- '|a|b|': the label filter without JSON
    create_time bigint not null,
    update_time bigint not null,
    primary key (version_id, pos)
);
create index version_samples_status on version_samples (version_id, status, pos);
