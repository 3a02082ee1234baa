-- (PostgreSQL) One row per scalar property of each label instance (`label_index` is
-- its position in the sample's labels), so label_list search conditions with property
-- maps filter on indexed rows. Lists and objects (shape coordinates) are not indexed.
-- The store writes and deletes the rows with their sample's labels.
create table sample_label_props (
    dataset_id text not null references datasets (id) on delete cascade,
    sample_id text not null,
    label_index bigint not null,
    label_name text not null,
    label_type bigint not null,
    key text not null,
    value text not null,
    primary key (dataset_id, sample_id, label_index, key)
);
create index sample_label_props_by_value on sample_label_props (dataset_id, label_name, key, value);

insert into sample_label_props (dataset_id, sample_id, label_index, label_name, label_type, key, value)
    select s.dataset_id, s.id, l.i - 1, l.v ->> 'name',
           coalesce((l.v ->> 'type')::bigint, 0), p.key, p.value #>> '{}'
    from samples s
    cross join lateral jsonb_array_elements(s.labels::jsonb) with ordinality as l(v, i)
    cross join lateral jsonb_each(
        case when jsonb_typeof(l.v -> 'property') = 'object' then l.v -> 'property' else '{}'::jsonb end) as p(key, value)
    where s.labels <> '[]' and jsonb_typeof(l.v -> 'name') = 'string'
      and jsonb_typeof(p.value) in ('string', 'number', 'boolean');
