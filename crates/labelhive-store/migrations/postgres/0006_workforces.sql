-- Labeling teams and their members. A member row is one person (worker_id, derived
-- from the project and the email) in one team.
create table workforces (
    id text primary key,
    project_id text not null references projects (id) on delete cascade,
    name text not null,
    description text not null,
    workspace_id text not null,
    create_time bigint not null,
    update_time bigint not null,
    constraint workforces_project_name unique (project_id, name)
);
create index workforces_project_create on workforces (project_id, create_time);

create table workers (
    workforce_id text not null references workforces (id) on delete cascade,
    worker_id text not null,
    project_id text not null,
    email text not null,
    role bigint not null,                  -- 0 labeler, 1 reviewer, 2 manager, 3 owner
    description text not null,
    status bigint not null,                -- 0 not invited, 1 invited, 2 signed in
    create_time bigint not null,
    update_time bigint not null,
    primary key (workforce_id, worker_id)
);
create index workers_project_role on workers (project_id, role, create_time);
create index workers_project_worker on workers (project_id, worker_id);
