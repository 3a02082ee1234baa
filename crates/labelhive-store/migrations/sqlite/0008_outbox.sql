-- Notification emails to team members. A notify request writes its rows in one
-- transaction; the server's mailer delivers them over SMTP and keeps each row waiting
-- (status 0) while SMTP is missing or down, so no message is lost to an outage.
create table outbox (
    id text primary key,
    project_id text not null references projects (id) on delete cascade,
    task_id text not null,
    worker_id text not null,
    email text not null,
    subject text not null,
    body text not null,                    -- "{code}" stands for the sign-in code
    status bigint not null,                -- email_status: 0 waiting, 1 bad address, 2 unreachable, 3 sent
    attempts bigint not null,
    next_attempt bigint not null,          -- ms; when the mailer may try again
    lease_until bigint not null,           -- ms; a mailer working on it holds it until then
    last_error text not null,
    create_time bigint not null,
    sent_time bigint not null
);
create index outbox_due on outbox (status, next_attempt);
create index outbox_member on outbox (task_id, worker_id, status);

-- What the member's last notification came to, per task.
alter table team_task_workers add column email_status bigint not null default 0;
alter table team_task_workers add column last_notify_time bigint not null default 0;

-- Sign-in codes sent in notification emails, stored hashed like tokens.
create table sign_in_codes (
    code_hash text primary key,
    project_id text not null references projects (id) on delete cascade,
    worker_id text not null,
    email text not null,
    expires_at bigint not null
);
create index sign_in_codes_worker on sign_in_codes (project_id, email);
