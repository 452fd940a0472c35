-- The level-shift test of the hotspot method (docs/hotspots.md): a cell's within-window dispersion
-- (pooled residual standard deviation of its fixed sensors about their own linear trend, canonical
-- unit), whether its excess was a level shift without plume fluctuations, and the check-sensor
-- reason it raises.
alter table hotspot_cell_stats
  add column dispersion double precision,
  add column level_shift boolean not null default false;

alter table sensor_checks drop constraint sensor_checks_reason_check;
alter table sensor_checks add constraint sensor_checks_reason_check
  check (reason in ('stands_out_persistently', 'stuck', 'level_shift'));
