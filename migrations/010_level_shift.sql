-- The mean test and the level-shift test of the hotspot method (docs/hotspots.md): a cell's excess of
-- its mean over the district's mean baseline, its within-window dispersion (pooled residual standard
-- deviation of its fixed sensors about their own linear trend, canonical unit), whether its excess was
-- a level shift without plume fluctuations, and the check-sensor reason that raises.
alter table hotspot_cell_stats
  add column excess_mean double precision,
  add column dispersion double precision,
  add column level_shift boolean not null default false;

alter table hotspot_evaluations
  add column baseline_mean double precision,
  add column scale_mean double precision;

alter table sensor_checks drop constraint sensor_checks_reason_check;
alter table sensor_checks add constraint sensor_checks_reason_check
  check (reason in ('stands_out_persistently', 'stuck', 'level_shift'));

-- Network operators read the check-sensor tasks through the API (GET /v1/sensor-checks).
do $$ begin
  if exists (select 1 from pg_roles where rolname = 'voc_api') then
    grant select on sensor_checks to voc_api;
  end if;
end $$;
