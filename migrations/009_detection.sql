-- Detection the enforcement teams can trust (docs/hotspots.md): per-device uncertainty, the tests of
-- every cell-window, regional windows, and check-sensor operations tasks.

-- Instrument uncertainty per metric (σ in the metric's canonical unit), e.g. {"tvoc": 5}. The minimum
-- excess of the hotspot method is VOC_HOTSPOT_MIN_EXCESS_FACTOR × the largest σ of a cell's devices.
-- Filled from metadata.uncertainty.<metric>.noise where a registration stated it that way.
alter table devices add column uncertainty jsonb not null default '{}'::jsonb check (jsonb_typeof(uncertainty) = 'object');
update devices set uncertainty = coalesce((
  select jsonb_object_agg(k, v->'noise') from jsonb_each(metadata->'uncertainty') as e(k, v)
  where jsonb_typeof(v->'noise') = 'number'), '{}'::jsonb)
where jsonb_typeof(metadata->'uncertainty') = 'object';

-- The tests of a cell in a window: uncertainty used, median of the van readings alone (independent
-- evidence), excesses over the district (median and p90) and
-- over the cell's own history, whether it stood out spatially, whether it is sensor-suspect, the
-- confidence and the list of tests ({test, value, threshold, passed}).
alter table hotspot_cell_stats
  add column uncertainty double precision,
  add column van_median double precision,
  add column excess double precision,
  add column excess_p90 double precision,
  add column temporal_excess double precision,
  add column spatial_high boolean not null default false,
  add column suspect boolean not null default false,
  add column confidence double precision,
  add column tests jsonb;

-- District figures of the p90 test and the regional guard.
alter table hotspot_evaluations
  add column baseline_p90 double precision,
  add column scale_p90 double precision,
  add column rising_fraction double precision,
  add column regional boolean not null default false;

-- Operations tasks for the network operators: a sensor to check (not a source). One open check per
-- device and metric; later windows extend it (last_window).
create table sensor_checks (
  id              bigserial primary key,
  device_id       text not null,
  metric          text not null,
  resolution      smallint not null,
  window_minutes  int not null,
  cell            bigint not null,
  opened_window   timestamptz not null,
  last_window     timestamptz not null,
  state           text not null default 'open' check (state in ('open', 'resolved', 'dismissed')),
  reason          text not null check (reason in ('stands_out_persistently', 'stuck')),
  details         jsonb not null default '{}'::jsonb,
  created_at      timestamptz not null default now()
);
create unique index sensor_checks_one_open on sensor_checks (device_id, metric) where state = 'open';

-- The hotspot worker opens and extends sensor checks (005_roles.sql lists its other tables).
do $$ begin
  if exists (select 1 from pg_roles where rolname = 'voc_hotspot') then
    grant select, insert, update on sensor_checks to voc_hotspot;
    grant usage, select on sequence sensor_checks_id_seq to voc_hotspot;
  end if;
end $$;
