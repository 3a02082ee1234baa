-- Labelhive metadata, PostgreSQL. Times are bigint milliseconds; JSON that is only stored
-- and returned is text; booleans are 0/1 bigints so both backends decode them alike.

create table projects (
    id text primary key,
    name text not null,
    access_key text not null,
    create_time bigint not null,
    constraint projects_name unique (name),
    constraint projects_access_key unique (access_key)
);

-- Bearer tokens, kept only as SHA-256 hashes: a dump of this table signs nothing in.
create table tokens (
    token_hash text primary key,
    project_id text not null references projects (id) on delete cascade,
    worker_id text,
    expires_at bigint not null
);

create table datasets (
    id text primary key,
    project_id text not null references projects (id) on delete cascade,
    name text not null,
    dataset_type bigint not null,
    description text not null,
    data_format text not null,
    data_sources text not null,            -- JSON array of DataSource
    work_path text not null,
    work_path_type bigint not null,
    workspace_id text not null,
    import_data bigint not null,
    import_annotations bigint not null,
    managed bigint not null,
    label_format text,                     -- JSON LabelFormat
    schema_fields text not null,           -- JSON array of Field
    workforce_information text,            -- JSON WorkforceInformation
    status bigint not null,
    create_time bigint not null,
    update_time bigint not null,
    data_update_time bigint not null,
    -- Counters kept in the same transaction as every change, never counted by scanning.
    total_sample_count bigint not null default 0,
    annotated_sample_count bigint not null default 0,
    deleted_sample_count bigint not null default 0,
    next_version_num bigint not null default 1,
    dataset_version_count bigint not null default 0,
    current_version_id text,
    current_version_name text,
    import_task_id text,
    constraint datasets_project_name unique (project_id, name)
);
create index datasets_project_create on datasets (project_id, create_time);

create table labels (
    dataset_id text not null references datasets (id) on delete cascade,
    position bigint not null,              -- creation order, the order labels are listed in
    name text not null,
    label_type bigint not null,
    property text not null,                -- JSON object
    attributes text not null,              -- JSON array
    primary key (dataset_id, name)
);

-- Sample ids derive from the storage path, so re-importing a file is a no-op.
create table samples (
    dataset_id text not null references datasets (id) on delete cascade,
    id text not null,
    path text not null,
    name text not null,
    size bigint not null,
    sample_type bigint not null,
    create_time bigint not null,
    update_time bigint not null,
    primary key (dataset_id, id)
);
create index samples_dataset_create on samples (dataset_id, create_time, id);

create table versions (
    id text primary key,
    dataset_id text not null references datasets (id) on delete cascade,
    name text not null,
    train_evaluate_sample_ratio text not null,
    version_format text not null,
    create_time bigint not null
);
create index versions_dataset on versions (dataset_id);

-- The job row is the API task. No foreign key to datasets: a job outlives a deleted
-- dataset as a canceled task.
create table jobs (
    id text primary key,
    project_id text not null,
    dataset_id text,
    kind text not null,
    payload text not null,
    status text not null,                  -- queued | running | succeeded | failed | canceled
    attempts bigint not null default 0,
    lease_owner text,
    lease_expires_at bigint,
    progress_done bigint not null default 0,
    progress_total bigint not null default 0,
    result text,
    error_code text,
    error_msg text,
    create_time bigint not null,
    update_time bigint not null,
    finish_time bigint
);
create index jobs_claim on jobs (status, create_time);
create index jobs_dataset on jobs (dataset_id, status);

-- One point per dataset and minute, upserted with the counters it copies.
create table dataset_metrics (
    dataset_id text not null references datasets (id) on delete cascade,
    minute bigint not null,
    total bigint not null,
    annotated bigint not null,
    primary key (dataset_id, minute)
);
