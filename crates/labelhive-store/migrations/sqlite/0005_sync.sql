-- Synchronization: each directory under a dataset's input path with the change stamp
-- it had when it was last listed. A directory whose stamp has not moved has the same
-- entries, so a sync lists only directories that changed.
create table sync_dirs (
    dataset_id text not null references datasets (id) on delete cascade,
    dir text not null,                     -- directory form, '/bucket/a/b/'
    stamp bigint not null,                 -- -1: list again next time
    primary key (dataset_id, dir)
);
