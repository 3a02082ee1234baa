-- Statistics narrowed by a dataset state: samples outside `__ALL__` count their
-- counter keys again under their state (`state:<status>|<key>`), to-confirm samples
-- their labels too (`label:` instances, `label_samples:` samples); see `counter::keys`
-- in labelhive-domain's sample.rs. New writes keep them; this counts existing samples.

insert into sample_state_counts (dataset_id, state, n)
    select dataset_id, 'state:' || status || '|hard', count(*) from samples
    where status <> '__ALL__' and hard = 1
    group by dataset_id, status
    on conflict (dataset_id, state) do update set n = sample_state_counts.n + excluded.n;

insert into sample_state_counts (dataset_id, state, n)
    select s.dataset_id, 'state:' || s.status || '|meta:' || m.key, count(*)
    from samples s, json_each(s.metadata) m
    where s.status <> '__ALL__'
    group by s.dataset_id, s.status, m.key
    on conflict (dataset_id, state) do update set n = sample_state_counts.n + excluded.n;

-- Hard reason ids listed in the metadata, once per mention.
insert into sample_state_counts (dataset_id, state, n)
    select s.dataset_id, 'state:' || s.status || '|hard_reason:' || cast(r.value as text), count(*)
    from samples s, json_each(s.metadata, '$."@modelarts:hard_reasons"') r
    where s.status <> '__ALL__'
      and json_type(s.metadata, '$."@modelarts:hard_reasons"') = 'array'
      and r.type = 'integer' and r.value between 0 and 30
    group by s.dataset_id, s.status, r.value
    on conflict (dataset_id, state) do update set n = sample_state_counts.n + excluded.n;

-- Hard reason ids in label properties ("3-7"), split on '-'.
with recursive parts (dataset_id, status, part, rest) as (
    select s.dataset_id, s.status, '',
           json_extract(l.value, '$.property."@modelarts:hard_reasons"') || '-'
    from samples s, json_each(s.labels) l
    where s.status <> '__ALL__'
      and json_type(l.value, '$.property."@modelarts:hard_reasons"') = 'text'
    union all
    select dataset_id, status, substr(rest, 1, instr(rest, '-') - 1),
           substr(rest, instr(rest, '-') + 1)
    from parts where rest <> ''
)
insert into sample_state_counts (dataset_id, state, n)
    select dataset_id, 'state:' || status || '|hard_reason:' || cast(cast(part as integer) as text), count(*)
    from parts
    where part <> '' and part not glob '*[^0-9]*' and cast(part as integer) between 0 and 30
    group by dataset_id, status, cast(part as integer)
    on conflict (dataset_id, state) do update set n = sample_state_counts.n + excluded.n;

insert into sample_state_counts (dataset_id, state, n)
    select l.dataset_id, 'state:' || s.status || '|label:' || l.label_name, sum(l.instances)
    from sample_labels l join samples s on s.dataset_id = l.dataset_id and s.id = l.sample_id
    where s.status <> '__ALL__'
    group by l.dataset_id, s.status, l.label_name
    on conflict (dataset_id, state) do update set n = sample_state_counts.n + excluded.n;

insert into sample_state_counts (dataset_id, state, n)
    select l.dataset_id, 'state:' || s.status || '|label_samples:' || l.label_name, count(*)
    from sample_labels l join samples s on s.dataset_id = l.dataset_id and s.id = l.sample_id
    where s.status <> '__ALL__'
    group by l.dataset_id, s.status, l.label_name
    on conflict (dataset_id, state) do update set n = sample_state_counts.n + excluded.n;
