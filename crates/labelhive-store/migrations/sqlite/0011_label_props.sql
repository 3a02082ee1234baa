-- One row per scalar property of each label instance (`label_index` is its position
-- in the sample's labels), so label_list search conditions with property maps filter
-- on indexed rows. Lists and objects (shape coordinates) are not indexed. The store
-- writes and deletes the rows with their sample's labels.
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
    select s.dataset_id, s.id, l.key, json_extract(l.value, '$.name'),
           coalesce(json_extract(l.value, '$.type'), 0), p.key,
           case p.type when 'true' then 'true' when 'false' then 'false' else cast(p.atom as text) end
    from samples s, json_each(s.labels) l, json_each(l.value, '$.property') p
    where s.labels <> '[]' and json_type(l.value, '$.name') = 'text'
      and p.type in ('text', 'integer', 'real', 'true', 'false');
