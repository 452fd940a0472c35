import type { SeriesKey } from '@voc/domain';
import type { CellStats, HighReason, Window } from '@voc/hotspot';
import type { StoredCell, UsableFilter } from '@voc/core';
import { withTransaction, type Pool } from './pool.js';
import { cellHex, ts, type Queryable } from './sql.js';
import { usableReadingSql } from './usable.js';

/**
 * Usable readings of one metric in a window (DOMAIN.md §6), with their cell at the grid resolution.
 * Parameters: $1 metric, $2 canonical unit, $3 resolution, $4 window start, $5 window end,
 * $6 van max speed km/h. A row with a per-reading position (`lat` set: only vans carry one,
 * 001_core.sql) is a van reading and needs a GPS fix and a known speed ≤ $6.
 */
export const USABLE_SQL = `
  select r.device_id, r.time, r.value, r.lat, r.lon, h3_parent(r.h3, $3::int) as cell, (r.lat is not null) as mobile
  from readings r
  where r.metric = $1 and r.unit = $2 and r.time >= $4 and r.time < $5
    and ${usableReadingSql('r.', '$6', { negativeSuspect: true })}`;

/**
 * Usable van readings of one metric in a window (same parameters as {@link USABLE_SQL}); a separate scan
 * through the partial index `readings_van_idx`, so windows without vans cost nothing here.
 */
const VAN_SQL = `
  select r.device_id, r.time, h3_parent(r.h3, $3::int) as cell
  from readings r
  where r.metric = $1 and r.unit = $2 and r.time >= $4 and r.time < $5 and r.lat is not null
    and ${usableReadingSql('r.', '$6', { negativeSuspect: true })}`;

/**
 * The rollup of one window: per cell, usable readings, those from fixed sensors, distinct devices,
 * van passes (a gap > $7 s between two usable readings of one van in one cell starts a new pass) and
 * the longest pass, mean, median and p90 (percentile_cont: linear interpolation), max and min — over the
 * fixed sensors' readings when the cell has ≥ $10 of them (eligible by its fixed sensors: a van's 1 Hz
 * pass would otherwise outweigh them), else over every usable reading — the van readings' median, and,
 * for a cell eligible by its fixed sensors, the **dispersion**: √(Σ_d RSS_d / Σ_d (n_d − 2)) over its
 * fixed devices with ≥ 3 readings, RSS_d the residual sum of squares of device d's readings about their
 * least-squares line in time (regr_syy − regr_sxy² / regr_sxx), so that neither the offsets between
 * devices nor a background trend within the window count as fluctuation.
 * $8/$9: only cells whose index modulo $9 is $8 (the rollup can be split over several connections).
 */
const AGGREGATE_SQL = `
  with src as materialized (select * from (${USABLE_SQL}) u where cell % $9 = $8),
  steps as (
    select cell, device_id, time,
           case when lag(time) over w is null or time - lag(time) over w > make_interval(secs => $7) then 1 else 0 end as new_pass
    from (${VAN_SQL}) v where cell % $9 = $8
    window w as (partition by cell, device_id order by time)
  ),
  numbered as (select cell, device_id, sum(new_pass) over (partition by cell, device_id order by time) as pass from steps),
  passes as (select cell, count(*) as van_passes, max(n) as max_pass_n from (select cell, device_id, pass, count(*) as n from numbered group by 1, 2, 3) p group by cell),
  agg as (
    select cell, count(*) as n, count(*) filter (where not mobile) as n_fixed, count(distinct device_id) as devices,
           avg(value) as mean, percentile_cont(array[0.5, 0.9]::float8[]) within group (order by value) as q, max(value) as max, min(value) as min,
           avg(value) filter (where not mobile) as f_mean, max(value) filter (where not mobile) as f_max, min(value) filter (where not mobile) as f_min,
           percentile_cont(array[0.5, 0.9]::float8[]) within group (order by value) filter (where not mobile) as fq,
           percentile_cont(0.5) within group (order by value) filter (where mobile) as van_median
    from src group by cell
  ),
  unc as (
    select u.cell, max((d.uncertainty->>$1)::float8) as uncertainty
    from (select distinct cell, device_id from src) u join devices d on d.id = u.device_id
    where jsonb_typeof(d.uncertainty->$1) = 'number' group by u.cell
  ),
  per_device as (
    select cell, count(*) as n, regr_syy(value, x) as syy, regr_sxy(value, x) as sxy, regr_sxx(value, x) as sxx
    from (select cell, device_id, value, extract(epoch from time - $4::timestamptz)::float8 as x from src where not mobile) f
    group by cell, device_id having count(*) >= 3
  ),
  disp as (
    select cell, sqrt(greatest(0, sum(case when sxx > 0 then syy - sxy * sxy / sxx else syy end)) / sum(n - 2)) as dispersion
    from per_device group by cell
  )
  select a.cell::text as cell, a.n, a.n_fixed, a.devices, coalesce(p.van_passes, 0) as van_passes, coalesce(p.max_pass_n, 0) as max_pass_n,
         case when a.n_fixed >= $10 then a.f_mean else a.mean end as mean,
         case when a.n_fixed >= $10 then a.fq[1] else a.q[1] end as median,
         case when a.n_fixed >= $10 then a.fq[2] else a.q[2] end as p90,
         case when a.n_fixed >= $10 then a.f_max else a.max end as max,
         case when a.n_fixed >= $10 then a.f_min else a.min end as min,
         un.uncertainty, a.van_median,
         case when a.n_fixed >= $10 then ds.dispersion end as dispersion
  from agg a left join passes p using (cell) left join unc un using (cell) left join disp ds using (cell)`;

interface StatsRow {
  cell: string;
  n: number;
  n_fixed: number;
  devices: number;
  van_passes: number;
  max_pass_n: number;
  mean: number;
  median: number;
  p90: number;
  max: number;
  min: number;
  uncertainty?: number | null;
  van_median?: number | null;
  dispersion?: number | null;
}

export interface ResultRow extends StatsRow {
  eligible: boolean;
  ratio: number | null;
  robust_z: number | null;
  gi_star: number | null;
  high: boolean;
  reasons: HighReason[];
  excess?: number | null;
  excess_p90?: number | null;
  excess_mean?: number | null;
  temporal_excess?: number | null;
  spatial_high?: boolean;
  suspect?: boolean;
  level_shift?: boolean;
  confidence?: number | null;
  tests?: StoredCell['tests'] | null;
}

const byCell = (a: CellStats, b: CellStats): number => (a.cell < b.cell ? -1 : a.cell > b.cell ? 1 : 0);

function toStats(r: StatsRow): CellStats {
  return {
    cell: cellHex(r.cell),
    n: r.n,
    nFixed: r.n_fixed,
    devices: r.devices,
    vanPasses: r.van_passes,
    maxPassReadings: r.max_pass_n,
    mean: r.mean,
    median: r.median,
    p90: r.p90,
    max: r.max,
    min: r.min,
    uncertainty: r.uncertainty ?? null,
    vanMedian: r.van_median ?? null,
    dispersion: r.dispersion ?? null,
  };
}

export function toResult(r: ResultRow): StoredCell {
  return {
    ...toStats(r),
    eligible: r.eligible,
    ratio: r.ratio,
    robustZ: r.robust_z,
    giStar: r.gi_star,
    high: r.high,
    reasons: r.reasons,
    excess: r.excess ?? null,
    excessP90: r.excess_p90 ?? null,
    excessMean: r.excess_mean ?? null,
    temporalExcess: r.temporal_excess ?? null,
    spatialHigh: r.spatial_high ?? false,
    suspect: r.suspect ?? false,
    levelShift: r.level_shift ?? false,
    confidence: r.confidence ?? 0,
    tests: r.tests ?? [],
  };
}

/** How the rollup query runs. */
export interface RollupOptions {
  /**
   * Connections the rollup query is split over (by cell index modulo n), each in a read-only
   * transaction that imports the evaluation's snapshot (`pg_export_snapshot`), so all parts see the
   * same readings. 1 runs it on the evaluation's own connection.
   */
  readonly connections: number;
  /** `work_mem` of the evaluation's transactions (the rollup sorts the window's readings by cell). */
  readonly workMem: string;
}

/**
 * Default {@link RollupOptions}: one connection, 128 MB. Each part of a split rollup scans the whole
 * window (readings have no index on the cell), so splitting pays only where sorting dominates and cores
 * are idle; on the 2-core reference machine one connection is faster (BENCHMARKS.md).
 */
export const DEFAULT_ROLLUP: RollupOptions = { connections: 1, workMem: '128MB' };

/** Statements that start every evaluation transaction: no JIT (its compile time exceeds its gain on these queries), sort memory. */
export function sessionSql(o: RollupOptions): string {
  if (!/^\d+\s*(kB|MB|GB)$/.test(o.workMem)) throw new Error(`work_mem must look like 128MB, got "${o.workMem}"`);
  return `set local jit = off; set local work_mem = '${o.workMem}'`;
}

/**
 * The SQL rollup of one window: statistics of usable readings per cell at the series' resolution,
 * sorted by cell. With a pool and `rollup.connections` > 1 it splits the cells over that many
 * read-only transactions sharing the caller's snapshot (`pg_export_snapshot`).
 * @param db the evaluation's transaction client
 */
export async function rollupWindow(
  db: Queryable,
  pool: Pool | undefined,
  rollup: RollupOptions,
  s: SeriesKey,
  w: Window,
  f: UsableFilter,
): Promise<CellStats[]> {
  const params = (part: number, parts: number) => [
    s.metric,
    f.unit,
    s.resolution,
    ts(w.start),
    ts(w.end),
    f.vanMaxSpeedKmh,
    f.vanPassGapSeconds,
    part,
    parts,
    f.minFixedReadings ?? 2_147_483_647, // absent: no split (every usable reading)
  ];
  const parts = pool ? rollup.connections : 1;
  if (parts <= 1 || !pool) {
    const { rows } = await db.query<StatsRow>(AGGREGATE_SQL, params(0, 1));
    return rows.map(toStats).sort(byCell);
  }
  const { rows: snap } = await db.query<{ id: string }>(`select pg_export_snapshot() as id`);
  const id = snap[0]!.id;
  if (!/^[0-9A-F-]+$/i.test(id)) throw new Error(`unexpected snapshot id ${id}`);
  const split = pool;
  const results = await Promise.all(
    Array.from({ length: parts }, (_, k) =>
      withTransaction(
        split,
        async (c) => {
          await c.query(`set transaction snapshot '${id}'`);
          await c.query(sessionSql(rollup));
          return (await c.query<StatsRow>(AGGREGATE_SQL, params(k, parts))).rows;
        },
        'begin isolation level repeatable read read only',
      ),
    ),
  );
  return results.flat().map(toStats).sort(byCell);
}
