-- Sample labels, metadata and states, with counters kept in the same transaction as
-- every change (statistics never scan samples).

alter table samples add column status text not null default '__NONE__';
alter table samples add column labels text not null default '[]';     -- JSON array of SampleLabel
alter table samples add column metadata text not null default '{}';   -- JSON object
-- Derived at write time so search conditions filter on indexed columns, not JSON.
alter table samples add column dir text not null default '';          -- directory of path, with '/'
alter table samples add column hard bigint not null default 0;        -- a hard example
alter table samples add column score double precision;                -- highest label score
update samples set dir = substr(path, 1, length(path) - length(name));
create index samples_dataset_dir on samples (dataset_id, dir);
create index samples_dataset_status on samples (dataset_id, status, create_time, id);

-- One row per sample and label name it carries: label filters and label renames go
-- through this index instead of parsing JSON.
create table sample_labels (
    dataset_id text not null,
    sample_id text not null,
    label_name text not null,
    label_type bigint not null,
    instances bigint not null,             -- how often the label occurs in the sample
    primary key (dataset_id, sample_id, label_name),
    foreign key (dataset_id, sample_id) references samples (dataset_id, id) on delete cascade
);
create index sample_labels_by_label on sample_labels (dataset_id, label_name, sample_id);

-- Scalar metadata values (user keys and @modelarts:import_origin etc.) for search
-- conditions and the search-condition endpoint.
create table sample_metadata (
    dataset_id text not null,
    sample_id text not null,
    key text not null,
    value text not null,
    primary key (dataset_id, sample_id, key),
    foreign key (dataset_id, sample_id) references samples (dataset_id, id) on delete cascade
);
create index sample_metadata_by_key on sample_metadata (dataset_id, key, value);

alter table labels add column instance_count bigint not null default 0;
alter table labels add column sample_count bigint not null default 0;

-- Samples per state per dataset.
create table sample_state_counts (
    dataset_id text not null references datasets (id) on delete cascade,
    state text not null,
    n bigint not null,
    primary key (dataset_id, state)
);
insert into sample_state_counts (dataset_id, state, n)
    select dataset_id, '__NONE__', count(*) from samples group by dataset_id;
