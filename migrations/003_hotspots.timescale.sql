-- TimescaleDB part of the hotspot grid; applied only where the timescaledb extension is available.
--
-- Choice: the evaluation itself always reads raw rows and maintains hotspot_cell_stats (003_hotspots.sql),
-- on TimescaleDB too, because it needs what a continuous aggregate cannot give at any resolution and
-- window chosen in settings: exact medians and p90 at the grid resolution (percentile_cont is accepted
-- in continuous aggregates only since TimescaleDB 2.7 and cannot be re-aggregated to coarser cells or
-- longer windows), van passes (window functions are not allowed in continuous aggregates), and the van
-- speed limit as a setting.
--
-- What TimescaleDB adds is a hierarchical hourly rollup for analysis over long ranges (monthly lists of
-- cells by mean, dashboards): count, sum, min and max per hour, metric, resolution-10 cell and device.
-- These are re-aggregatable: the parent cell at any grid resolution 7-10 (h3_parent), any window that
-- is a multiple of one hour, and the number of contributing devices all follow exactly (cell_hourly_stats
-- below). It counts usable readings: `{{usable_reading}}` is the one usable-reading rule
-- (packages/db usable.ts), with the van speed limit VOC_HOTSPOT_VAN_MAX_SPEED_KMH at migration time.
-- Late readings: the refresh policy re-materialises every bucket invalidated by inserts up to 7 days back
-- (the ingest's allowed lateness), and real-time aggregation adds buckets not yet materialised.
create materialized view cell_hourly
with (timescaledb.continuous, timescaledb.materialized_only = false) as
select time_bucket(interval '1 hour', time) as bucket,
       metric,
       h3_parent(h3, 10) as cell10,
       device_id,
       count(*) as n,
       sum(value) as sum,
       min(value) as min,
       max(value) as max
from readings
where {{usable_reading}}
group by 1, 2, 3, 4
with no data;

select add_continuous_aggregate_policy('cell_hourly',
  start_offset => interval '7 days',
  end_offset => interval '10 minutes',
  schedule_interval => interval '10 minutes');

-- Hourly statistics per cell at grid resolution res (7-10) from the rollup: valid readings, contributing
-- devices, mean and max, for buckets in [t0, t1).
create function cell_hourly_stats(res int, t0 timestamptz, t1 timestamptz)
returns table (bucket timestamptz, metric text, cell bigint, n bigint, devices bigint, mean double precision, max double precision)
language sql stable as $$
  select bucket, metric, h3_parent(cell10, res), sum(n)::bigint, count(distinct device_id), sum(sum) / sum(n), max(max)
  from cell_hourly
  where bucket >= t0 and bucket < t1
  group by 1, 2, 3
$$;
