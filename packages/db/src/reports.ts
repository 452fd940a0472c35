import type { StreetOfficeReportQuery, StreetOfficeReportRow, StreetOfficeReportStore } from '@voc/core';
import type { Pool } from './pool.js';

/**
 * One statement for the whole report: the grid of street offices × metrics × periods, left-joined
 * with hourly office means of valid readings (devices mapped to offices by the caller), hotspots
 * (office of their task, withdrawn ones left out), tasks opened (by `opened_window`), resolved (by
 * `closed_at`, state resolved) and overdue, ranked per period and metric.
 *   $1 from, $2 to, $3 period, $4 time zone, $5 metrics, $6/$7 device → office, $8/$9 offices,
 *   $10/$11 thresholds, $12 due seconds, $13 now
 */
const REPORT_SQL = `
with offices as (select * from unnest($8::text[], $9::text[]) as o(office_id, office_name)),
metrics as (select unnest($5::text[]) as metric),
periods as (
  select $1::timestamptz as period_start, $2::timestamptz as period_end where $3::text = 'all'
  union all
  select greatest(p at time zone $4::text, $1::timestamptz), least((p + ('1 ' || $3::text)::interval) at time zone $4::text, $2::timestamptz)
  from generate_series(
         date_trunc(case when $3::text = 'all' then 'day' else $3::text end, $1::timestamptz at time zone $4::text),
         $2::timestamptz at time zone $4::text - interval '1 microsecond',
         ('1 ' || case when $3::text = 'all' then 'day' else $3::text end)::interval) as p
  where $3::text <> 'all'
),
map as (select * from unnest($6::text[], $7::text[]) as m(device_id, office_id)),
thr as (select * from unnest($10::text[], $11::float8[]) as t(metric, threshold)),
hourly as (
  select m.office_id, r.metric, p.period_start, date_trunc('hour', r.time) as hour, avg(r.value) as v
  from readings r
  join map m on m.device_id = r.device_id
  join periods p on r.time >= p.period_start and r.time < p.period_end
  where r.time >= $1 and r.time < $2 and r.metric = any($5::text[]) and r.qa = 'valid'
  group by 1, 2, 3, 4
),
air as (
  select h.office_id, h.metric, h.period_start, avg(h.v) as mean, count(*)::int as hours,
         count(*) filter (where h.v > t.threshold)::int as exceed
  from hourly h left join thr t on t.metric = h.metric
  group by 1, 2, 3
),
hs as (
  select t.street_office_id as office_id, h.metric, p.period_start, count(*)::int as n
  from hotspots h
  join tasks t on t.id = h.task_id
  join periods p on h.opened_window >= p.period_start and h.opened_window < p.period_end
  where h.state <> 'withdrawn' and h.metric = any($5::text[]) and h.opened_window >= $1 and h.opened_window < $2
  group by 1, 2, 3
),
tko as (
  select t.street_office_id as office_id, t.metric, p.period_start, count(*)::int as opened,
         count(*) filter (where extract(epoch from coalesce(t.closed_at, $13::timestamptz) - t.created_at) > $12::float8)::int as overdue
  from tasks t
  join periods p on t.opened_window >= p.period_start and t.opened_window < p.period_end
  where t.metric = any($5::text[]) and t.opened_window >= $1 and t.opened_window < $2
  group by 1, 2, 3
),
tkr as (
  select t.street_office_id as office_id, t.metric, p.period_start, count(*)::int as resolved,
         percentile_cont(0.5) within group (order by extract(epoch from t.closed_at - t.created_at)) as median_s
  from tasks t
  join periods p on t.closed_at >= p.period_start and t.closed_at < p.period_end
  where t.state = 'resolved' and t.metric = any($5::text[]) and t.closed_at >= $1 and t.closed_at < $2
  group by 1, 2, 3
),
grid as (
  select o.office_id, o.office_name, m.metric, p.period_start, p.period_end,
         a.mean, coalesce(a.hours, 0) as hours,
         case when t.threshold is null then null else coalesce(a.exceed, 0) end as exceed,
         coalesce(hs.n, 0) as hotspots, coalesce(tko.opened, 0) as opened, coalesce(tko.overdue, 0) as overdue,
         coalesce(tkr.resolved, 0) as resolved, tkr.median_s
  from offices o cross join metrics m cross join periods p
  left join thr t on t.metric = m.metric
  left join air a on a.office_id = o.office_id and a.metric = m.metric and a.period_start = p.period_start
  left join hs on hs.office_id = o.office_id and hs.metric = m.metric and hs.period_start = p.period_start
  left join tko on tko.office_id = o.office_id and tko.metric = m.metric and tko.period_start = p.period_start
  left join tkr on tkr.office_id = o.office_id and tkr.metric = m.metric and tkr.period_start = p.period_start
)
select g.*, rank() over (partition by g.period_start, g.metric order by g.exceed desc nulls last, g.mean desc nulls last, g.hotspots desc)::int as rank
from grid g
order by g.period_start, g.metric, rank, g.office_id`;

/** {@link StreetOfficeReportStore} on PostgreSQL (readings, hotspots, tasks). */
export class StreetOfficeReportRepository implements StreetOfficeReportStore {
  constructor(private readonly pool: Pool) {}

  async streetOfficeReport(q: StreetOfficeReportQuery): Promise<StreetOfficeReportRow[]> {
    const thr = Object.entries(q.thresholds);
    const { rows } = await this.pool.query<{
      office_id: string;
      office_name: string;
      metric: string;
      period_start: Date;
      period_end: Date;
      mean: number | null;
      hours: number;
      exceed: number | null;
      hotspots: number;
      opened: number;
      overdue: number;
      resolved: number;
      median_s: number | null;
      rank: number;
    }>(REPORT_SQL, [
      q.from,
      q.to,
      q.period,
      q.timeZone,
      q.metrics,
      q.devices.map((d) => d.deviceId),
      q.devices.map((d) => d.officeId),
      q.offices.map((o) => o.id),
      q.offices.map((o) => o.name),
      thr.map(([m]) => m),
      thr.map(([, v]) => v),
      q.dueSeconds,
      q.now,
    ]);
    return rows.map((r) => ({
      officeId: r.office_id,
      officeName: r.office_name,
      metric: r.metric,
      periodStart: r.period_start.toISOString(),
      periodEnd: r.period_end.toISOString(),
      mean: r.mean,
      hoursWithData: r.hours,
      exceedanceHours: r.exceed,
      hotspotsOpened: r.hotspots,
      tasksOpened: r.opened,
      tasksResolved: r.resolved,
      tasksOverdue: r.overdue,
      medianResolveSeconds: r.median_s,
      rank: r.rank,
    }));
  }
}
