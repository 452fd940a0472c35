import type { SeriesKey } from '@voc/domain';
import type { CellHistory, MethodSettings, Window } from '@voc/hotspot';
import type { SensorCheckInput, StuckDevice, UsableFilter } from '@voc/core';
import { USABLE_SQL } from './rollup.js';
import { cellHex, cellInt, SERIES, seriesParams, ts, type Queryable } from './sql.js';

/**
 * The detection queries of an evaluation (docs/hotspots.md): the cells' own histories (temporal
 * baseline), how often each cell stood out lately (sensor suspect), stuck devices, and the check-sensor
 * operations tasks. Runs on the evaluation's transaction client.
 */
export class DetectionQueries {
  constructor(private readonly db: Queryable) {}

  /**
   * Temporal baselines of every cell with history before `window`: medians of its past eligible windows
   * that were not high-value (residuals of the median, p90 and mean, medians, within-window dispersions). Same time of day over the last `temporalDays` days when ≥ `temporalMinDays`
   * such windows exist (`hour_of_day`), else the last `temporalWindows` windows when ≥ `temporalMinWindows`
   * exist (`recent`); cells with fewer are absent.
   */
  async cellHistory(
    s: SeriesKey,
    window: number,
    m: Pick<MethodSettings, 'temporalDays' | 'temporalMinDays' | 'temporalWindows' | 'temporalMinWindows'>,
  ): Promise<Map<string, CellHistory>> {
    const { rows } = await this.db.query<{
      cell: string;
      basis: 'hour_of_day' | 'recent';
      n: number;
      r: number | null;
      rp: number | null;
      m: number | null;
      d: number | null;
      rm: number | null;
    }>(
      `with past as (
         select cell, window_start, median, excess, excess_p90, excess_mean, dispersion,
                mod(extract(epoch from window_start)::bigint, 86400) = mod(extract(epoch from $4::timestamptz)::bigint, 86400) as same_time,
                window_start >= $4::timestamptz - make_interval(mins => $3::int * $6::int) as recent
         from hotspot_cell_stats
         where ${SERIES} and window_start < $4 and window_start >= $4::timestamptz - make_interval(days => $5::int)
           and eligible and not high and excess is not null
       ),
       hod as (
         select cell, count(*)::int as n, percentile_cont(0.5) within group (order by excess) as r,
                percentile_cont(0.5) within group (order by excess_p90) as rp, percentile_cont(0.5) within group (order by median) as m,
                percentile_cont(0.5) within group (order by dispersion) as d, percentile_cont(0.5) within group (order by excess_mean) as rm
         from past where same_time group by cell),
       rec as (
         select cell, count(*)::int as n, percentile_cont(0.5) within group (order by excess) as r,
                percentile_cont(0.5) within group (order by excess_p90) as rp, percentile_cont(0.5) within group (order by median) as m,
                percentile_cont(0.5) within group (order by dispersion) as d, percentile_cont(0.5) within group (order by excess_mean) as rm
         from past where recent group by cell)
       select coalesce(h.cell, c.cell)::text as cell,
              case when h.n >= $7 then 'hour_of_day' else 'recent' end as basis,
              case when h.n >= $7 then h.n else c.n end as n,
              case when h.n >= $7 then h.r else c.r end as r,
              case when h.n >= $7 then h.rp else c.rp end as rp,
              case when h.n >= $7 then h.m else c.m end as m,
              case when h.n >= $7 then h.d else c.d end as d,
              case when h.n >= $7 then h.rm else c.rm end as rm
       from hod h full join rec c using (cell)
       where h.n >= $7 or c.n >= $8`,
      [...seriesParams(s), ts(window), m.temporalDays, m.temporalWindows, m.temporalMinDays, m.temporalMinWindows],
    );
    return new Map(
      rows.map((r) => [
        cellHex(r.cell),
        { residual: r.r, residualP90: r.rp, median: r.m, residualMean: r.rm, dispersion: r.d, windows: r.n, basis: r.basis },
      ]),
    );
  }

  /** Per cell, windows in [window − (n − 1) × length, window) in which it stood out from the district. */
  spatialHighCounts(s: SeriesKey, window: number, n: number): Promise<Map<string, number>> {
    return this.flaggedCounts('spatial_high', s, window, n);
  }

  /** Per cell, windows in [window − (n − 1) × length, window) in which its excess was a level shift. */
  levelShiftCounts(s: SeriesKey, window: number, n: number): Promise<Map<string, number>> {
    return this.flaggedCounts('level_shift', s, window, n);
  }

  /** Per cell, the previous n − 1 windows in which a boolean column of `hotspot_cell_stats` was true. */
  private async flaggedCounts(
    column: 'spatial_high' | 'level_shift',
    s: SeriesKey,
    window: number,
    n: number,
  ): Promise<Map<string, number>> {
    const { rows } = await this.db.query<{ cell: string; k: number }>(
      `select cell::text as cell, count(*)::int as k from hotspot_cell_stats
       where ${SERIES} and window_start < $4 and window_start >= $4::timestamptz - make_interval(mins => $3::int * $5::int) and ${column}
       group by cell`,
      [...seriesParams(s), ts(window), n - 1],
    );
    return new Map(rows.map((r) => [cellHex(r.cell), r.k]));
  }

  /**
   * Fixed devices whose output did not change over the window (≥ `minReadings` usable readings, max = min)
   * although they state a non-zero uncertainty for the metric: a stuck sensor.
   */
  async stuckDevices(s: SeriesKey, w: Window, f: UsableFilter, minReadings: number): Promise<StuckDevice[]> {
    const { rows } = await this.db.query<{ device_id: string; cell: string; n: number; value: number }>(
      `select src.device_id, min(src.cell)::text as cell, count(*)::int as n, min(src.value) as value
       from (${USABLE_SQL}) src join devices d on d.id = src.device_id
       where not src.mobile and coalesce((d.uncertainty->>$1)::float8, 0) > 0
       group by src.device_id having count(*) >= $7 and max(src.value) = min(src.value)
       order by src.device_id`,
      [s.metric, f.unit, s.resolution, ts(w.start), ts(w.end), f.vanMaxSpeedKmh, minReadings],
    );
    return rows.map((r) => ({ deviceId: r.device_id, cell: cellHex(r.cell), n: r.n, value: r.value }));
  }

  /** Opens a check-sensor task, or extends the device's open one. @returns the id and whether it was opened now */
  async openSensorCheck(c: SensorCheckInput): Promise<{ id: number; opened: boolean }> {
    const found = await this.db.query<{ id: string }>(
      `update sensor_checks set last_window = greatest(last_window, $3) where device_id = $1 and metric = $2 and state = 'open' returning id::text`,
      [c.deviceId, c.series.metric, ts(c.window)],
    );
    if (found.rows[0]) return { id: Number(found.rows[0].id), opened: false };
    const { rows } = await this.db.query<{ id: string }>(
      `insert into sensor_checks (device_id, metric, resolution, window_minutes, cell, opened_window, last_window, reason, details)
       values ($1, $2, $3, $4, $5, $6, $6, $7, $8) returning id::text`,
      [
        c.deviceId,
        c.series.metric,
        c.series.resolution,
        c.series.windowMinutes,
        cellInt(c.cell),
        ts(c.window),
        c.reason,
        JSON.stringify(c.details),
      ],
    );
    return { id: Number(rows[0]!.id), opened: true };
  }
}
