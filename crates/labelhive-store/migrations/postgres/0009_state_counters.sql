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
    from samples s cross join lateral jsonb_object_keys(s.metadata::jsonb) as m(key)
    where s.status <> '__ALL__'
    group by s.dataset_id, s.status, m.key
    on conflict (dataset_id, state) do update set n = sample_state_counts.n + excluded.n;

-- Hard reason ids listed in the metadata, once per mention.
insert into sample_state_counts (dataset_id, state, n)
    select s.dataset_id, 'state:' || s.status || '|hard_reason:' || (r.v::text::numeric)::bigint::text, count(*)
    from samples s cross join lateral jsonb_array_elements(
        case when jsonb_typeof(s.metadata::jsonb -> '@modelarts:hard_reasons') = 'array'
             then s.metadata::jsonb -> '@modelarts:hard_reasons' else '[]'::jsonb end) as r(v)
    where s.status <> '__ALL__'
      -- CASE, since PostgreSQL may test the cast before the pattern.
      and case when r.v::text ~ '^[0-9]+$' then r.v::text::numeric end between 0 and 30
    group by s.dataset_id, s.status, (r.v::text::numeric)::bigint::text
    on conflict (dataset_id, state) do update set n = sample_state_counts.n + excluded.n;

-- Hard reason ids in label properties ("3-7"), split on '-'.
insert into sample_state_counts (dataset_id, state, n)
    select s.dataset_id, 'state:' || s.status || '|hard_reason:' || (p.part::numeric)::bigint::text, count(*)
    from samples s
    cross join lateral jsonb_array_elements(s.labels::jsonb) as l(v)
    cross join lateral unnest(string_to_array(
        case when jsonb_typeof(l.v -> 'property' -> '@modelarts:hard_reasons') = 'string'
             then l.v -> 'property' ->> '@modelarts:hard_reasons' end, '-')) as p(part)
    where s.status <> '__ALL__'
      and case when p.part ~ '^[0-9]+$' then p.part::numeric end between 0 and 30
    group by s.dataset_id, s.status, (p.part::numeric)::bigint::text
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
