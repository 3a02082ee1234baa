-- Team labeling tasks. A task belongs to a dataset; its members are snapshotted from
-- their teams (team_task_workers); every allocated (sample, labeler) pair is one item
-- carrying that labeler's annotation and its review and acceptance comments.
create table team_tasks (
    id text primary key,
    project_id text not null references projects (id) on delete cascade,
    dataset_id text not null references datasets (id) on delete cascade,
    name text not null,
    description text not null,
    status bigint not null,
    repetition bigint not null,
    auto_sync_dataset bigint not null,
    synchronize_data bigint not null,
    synchronize_auto_labeling_data bigint not null,
    data_sync_type bigint not null,
    sample_conditions text not null,       -- the raw search conditions, JSON
    agency text not null,
    checking_task_id text,                 -- the acceptance under way or last ended
    action bigint,                         -- the action that ended it
    overwrite_last_result bigint not null,
    create_time bigint not null,
    update_time bigint not null,
    constraint team_tasks_dataset_name unique (dataset_id, name)
);
create index team_tasks_dataset_create on team_tasks (dataset_id, create_time);

create table team_task_workers (
    task_id text not null references team_tasks (id) on delete cascade,
    worker_id text not null,
    workforce_id text not null,
    email text not null,
    role bigint not null,
    primary key (task_id, worker_id, workforce_id)
);
create index team_task_workers_worker on team_task_workers (worker_id);

create table team_task_items (
    task_id text not null references team_tasks (id) on delete cascade,
    sample_id text not null,
    worker_id text not null,
    state bigint not null,                 -- team_task::item_state
    labels text not null,                  -- the labeler's annotation, JSON
    label_keys text not null,              -- "\nn:<name>\nt:<type>\n..." for filters
    labeled_time bigint not null,
    review_accept bigint,
    review_comment text not null,
    review_score text not null,
    reviewer_id text not null,
    check_task_id text,
    check_accept bigint,
    check_comment text not null,
    check_score text not null,
    synced bigint not null,
    update_time bigint not null,
    primary key (task_id, sample_id, worker_id)
);
create index team_task_items_worker on team_task_items (task_id, worker_id, state, sample_id);
create index team_task_items_state on team_task_items (task_id, state, sample_id);

-- Acceptance rounds: what was sampled, and the counts frozen as comments arrive.
create table team_task_checks (
    id text primary key,
    task_id text not null references team_tasks (id) on delete cascade,
    sampling_num bigint not null,
    sampling_rate double precision not null,
    total_sample_count bigint not null,
    sampled_sample_count bigint not null,
    accepted_sample_count bigint not null,
    rejected_sample_count bigint not null,
    total_score bigint not null,
    scored_count bigint not null,
    create_time bigint not null
);
create index team_task_checks_task on team_task_checks (task_id, create_time);
