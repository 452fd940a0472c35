import type { MultiPolygon, Polygon } from 'geojson';
import type { Alert, SeriesKey } from '@voc/domain';
import { bigintToH3, h3ToBigint } from './h3.js';
import { usableReadingSql } from './usable.js';
import { withTransaction, type Client, type Pool } from './pool.js';
import {
  ACTIVE_TASK_STATES,
  type CellResult,
  type CellStats,
  type Facility,
  type HighReason,
  type Jurisdiction,
  type PersistenceState,
  type TaskState,
  type Window,
} from '@voc/hotspot';
import type {
  EvaluationRecord,
  EvaluationStore,
  EvaluationTx,
  EvidenceInput,
  HotspotRow,
  PeakReading,
  StoredCell,
  TaskEventKind,
  TaskInput,
  TopDevice,
  UsableFilter,
  WindObservation,
} from '@voc/core';

/** Something that runs SQL: a pool or a client inside a transaction (pg satisfies it). */
export type Queryable = Pick<Pool, 'query'> | Pick<Client, 'query'>;

const SERIES = `metric = $1 and resolution = $2 and window_minutes = $3`;
const seriesParams = (s: SeriesKey): unknown[] => [s.metric, s.resolution, s.windowMinutes];
const ts = (ms: number): string => new Date(ms).toISOString();
const ms = (d: Date | string | null): number | null => (d === null ? null : new Date(d).getTime());
const cellHex = (v: string): string => bigintToH3(v);
const cellInt = (hex: string): string => h3ToBigint(hex);

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
    and ${usableReadingSql('r.', '$6')}`;

/**
 * Usable van readings of one metric in a window (same parameters as {@link USABLE_SQL}); a separate scan
 * through the partial index `readings_van_idx`, so windows without vans cost nothing here.
 */
const VAN_SQL = `
  select r.device_id, r.time, h3_parent(r.h3, $3::int) as cell
  from readings r
  where r.metric = $1 and r.unit = $2 and r.time >= $4 and r.time < $5 and r.lat is not null
    and ${usableReadingSql('r.', '$6')}`;

/**
 * The rollup of one window: per cell, usable readings, those from fixed sensors, distinct devices,
 * van passes (a gap > $7 s between two usable readings of one van in one cell starts a new pass) and
 * the longest pass, mean, median and p90 (percentile_cont: linear interpolation), max and min.
 * $8/$9: only cells whose index modulo $9 is $8 (the rollup can be split over several connections).
 */
const AGGREGATE_SQL = `
  with steps as (
    select cell, device_id, time,
           case when lag(time) over w is null or time - lag(time) over w > make_interval(secs => $7) then 1 else 0 end as new_pass
    from (${VAN_SQL}) v where cell % $9 = $8
    window w as (partition by cell, device_id order by time)
  ),
  numbered as (select cell, device_id, sum(new_pass) over (partition by cell, device_id order by time) as pass from steps),
  passes as (select cell, count(*) as van_passes, max(n) as max_pass_n from (select cell, device_id, pass, count(*) as n from numbered group by 1, 2, 3) p group by cell),
  agg as (
    select cell, count(*) as n, count(*) filter (where not mobile) as n_fixed, count(distinct device_id) as devices,
           avg(value) as mean, percentile_cont(array[0.5, 0.9]::float8[]) within group (order by value) as q, max(value) as max, min(value) as min
    from (${USABLE_SQL}) src where cell % $9 = $8 group by cell
  )
  select a.cell::text as cell, a.n, a.n_fixed, a.devices, coalesce(p.van_passes, 0) as van_passes, coalesce(p.max_pass_n, 0) as max_pass_n,
         a.mean, a.q[1] as median, a.q[2] as p90, a.max, a.min
  from agg a left join passes p using (cell)`;

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
}

interface ResultRow extends StatsRow {
  eligible: boolean;
  ratio: number | null;
  robust_z: number | null;
  gi_star: number | null;
  high: boolean;
  reasons: HighReason[];
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
  };
}

function toResult(r: ResultRow): StoredCell {
  return { ...toStats(r), eligible: r.eligible, ratio: r.ratio, robustZ: r.robust_z, giStar: r.gi_star, high: r.high, reasons: r.reasons };
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
function sessionSql(o: RollupOptions): string {
  if (!/^\d+\s*(kB|MB|GB)$/.test(o.workMem)) throw new Error(`work_mem must look like 128MB, got "${o.workMem}"`);
  return `set local jit = off; set local work_mem = '${o.workMem}'`;
}

/** {@link EvaluationTx} on one PostgreSQL transaction. */
export class EvaluationTransaction implements EvaluationTx {
  /**
   * @param db the transaction's client
   * @param pool where the extra connections of a split rollup come from (none: the rollup runs on `db`)
   */
  constructor(
    private readonly db: Queryable,
    private readonly pool?: Pool,
    private readonly rollup: RollupOptions = DEFAULT_ROLLUP,
  ) {}

  async lockWindow(s: SeriesKey, w: Window): Promise<void> {
    await this.db.query(
      `insert into hotspot_evaluations (metric, resolution, window_minutes, window_start, window_end) values ($1, $2, $3, $4, $5) on conflict do nothing`,
      [...seriesParams(s), ts(w.start), ts(w.end)],
    );
    await this.db.query(`select 1 from hotspot_evaluations where ${SERIES} and window_start = $4 for update`, [
      ...seriesParams(s),
      ts(w.start),
    ]);
  }

  async hasRun(jobId: string): Promise<boolean> {
    const { rows } = await this.db.query(`select 1 from hotspot_evaluation_runs where job_id = $1`, [jobId]);
    return rows.length > 0;
  }

  async now(): Promise<number> {
    const { rows } = await this.db.query<{ ms: number }>(`select extract(epoch from now())::float8 * 1000 as ms`);
    return Math.round(rows[0]!.ms);
  }

  async aggregate(s: SeriesKey, w: Window, f: UsableFilter): Promise<CellStats[]> {
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
    ];
    const parts = this.pool ? this.rollup.connections : 1;
    if (parts <= 1 || !this.pool) {
      const { rows } = await this.db.query<StatsRow>(AGGREGATE_SQL, params(0, 1));
      return rows.map(toStats).sort(byCell);
    }
    const { rows: snap } = await this.db.query<{ id: string }>(`select pg_export_snapshot() as id`);
    const id = snap[0]!.id;
    if (!/^[0-9A-F-]+$/i.test(id)) throw new Error(`unexpected snapshot id ${id}`);
    const pool = this.pool;
    const results = await Promise.all(
      Array.from({ length: parts }, (_, k) =>
        withTransaction(
          pool,
          async (c) => {
            await c.query(`set transaction snapshot '${id}'`);
            await c.query(sessionSql(this.rollup));
            return (await c.query<StatsRow>(AGGREGATE_SQL, params(k, parts))).rows;
          },
          'begin isolation level repeatable read read only',
        ),
      ),
    );
    return results.flat().map(toStats).sort(byCell);
  }

  async replaceCellStats(s: SeriesKey, window: number, cells: readonly CellResult[]): Promise<void> {
    await this.db.query(`delete from hotspot_cell_stats where ${SERIES} and window_start = $4`, [...seriesParams(s), ts(window)]);
    if (cells.length === 0) return;
    // One JSON parameter expanded by json_populate_recordset: for 10,000 cells it costs less than binding
    // and unnesting 21 arrays. Keys are the column names.
    const w = ts(window);
    const rows = cells.map((c) => ({
      metric: s.metric,
      resolution: s.resolution,
      window_minutes: s.windowMinutes,
      window_start: w,
      cell: cellInt(c.cell),
      n: c.n,
      n_fixed: c.nFixed,
      devices: c.devices,
      van_passes: c.vanPasses,
      max_pass_n: c.maxPassReadings,
      mean: c.mean,
      median: c.median,
      p90: c.p90,
      max: c.max,
      min: c.min,
      eligible: c.eligible,
      ratio: c.ratio,
      robust_z: c.robustZ,
      gi_star: c.giStar,
      high: c.high,
      reasons: c.reasons,
    }));
    await this.db.query(`insert into hotspot_cell_stats select * from json_populate_recordset(null::hotspot_cell_stats, $1::json)`, [
      JSON.stringify(rows),
    ]);
  }

  async lockSeries(s: SeriesKey): Promise<void> {
    await this.db.query(`select pg_advisory_xact_lock(hashtextextended($1, 7206105))`, [
      `hotspot-series/${s.metric}/${s.resolution}/${s.windowMinutes}`,
    ]);
  }

  async previousEvaluated(s: SeriesKey, window: number): Promise<number | null> {
    const { rows } = await this.db.query<{ w: Date | null }>(
      `select max(window_start) as w from hotspot_evaluations where ${SERIES} and window_start < $4 and status = 'done'`,
      [...seriesParams(s), ts(window)],
    );
    return ms(rows[0]?.w ?? null);
  }

  async laterEvaluated(s: SeriesKey, window: number): Promise<number[]> {
    const { rows } = await this.db.query<{ w: Date }>(
      `select window_start as w from hotspot_evaluations where ${SERIES} and window_start > $4 and status = 'done' order by 1`,
      [...seriesParams(s), ts(window)],
    );
    return rows.map((r) => r.w.getTime());
  }

  async loadStates(s: SeriesKey, window: number): Promise<Map<string, PersistenceState>> {
    const { rows } = await this.db.query<{
      cell: string;
      status: 'none' | 'open';
      history: number;
      clean_streak: number;
      opened_window: Date | null;
    }>(
      `select cell::text as cell, status, history, clean_streak, opened_window from hotspot_cell_states where ${SERIES} and window_start = $4`,
      [...seriesParams(s), ts(window)],
    );
    return new Map(
      rows.map((r) => [
        cellHex(r.cell),
        { status: r.status, history: r.history, cleanStreak: r.clean_streak, openedWindow: ms(r.opened_window) },
      ]),
    );
  }

  async replaceStates(s: SeriesKey, window: number, states: ReadonlyMap<string, PersistenceState>): Promise<void> {
    await this.db.query(`delete from hotspot_cell_states where ${SERIES} and window_start = $4`, [...seriesParams(s), ts(window)]);
    if (states.size === 0) return;
    const list = [...states];
    await this.db.query(
      `insert into hotspot_cell_states (metric, resolution, window_minutes, window_start, cell, status, history, clean_streak, opened_window)
       select $1, $2, $3, $4, t.cell, t.status, t.history, t.clean_streak, t.opened_window
       from unnest($5::int8[], $6::text[], $7::int[], $8::int[], $9::timestamptz[]) as t(cell, status, history, clean_streak, opened_window)`,
      [
        ...seriesParams(s),
        ts(window),
        list.map(([c]) => cellInt(c)),
        list.map(([, st]) => st.status),
        list.map(([, st]) => st.history),
        list.map(([, st]) => st.cleanStreak),
        list.map(([, st]) => (st.openedWindow === null ? null : ts(st.openedWindow))),
      ],
    );
  }

  async highCells(s: SeriesKey, window: number): Promise<Set<string>> {
    const { rows } = await this.db.query<{ cell: string }>(
      `select cell::text as cell from hotspot_cell_stats where ${SERIES} and window_start = $4 and high`,
      [...seriesParams(s), ts(window)],
    );
    return new Set(rows.map((r) => cellHex(r.cell)));
  }

  async cellResults(s: SeriesKey, window: number, cells: readonly string[]): Promise<Map<string, StoredCell>> {
    if (cells.length === 0) return new Map();
    const { rows } = await this.db.query<ResultRow>(
      `select cell::text as cell, n, n_fixed, devices, van_passes, max_pass_n, mean, median, p90, max, min, eligible, ratio, robust_z, gi_star, high, reasons
       from hotspot_cell_stats where ${SERIES} and window_start = $4 and cell = any($5::int8[])`,
      [...seriesParams(s), ts(window), cells.map(cellInt)],
    );
    return new Map(rows.map((r) => [cellHex(r.cell), toResult(r)]));
  }

  async baseline(s: SeriesKey, window: number): Promise<number | null> {
    const { rows } = await this.db.query<{ baseline: number | null }>(
      `select baseline from hotspot_evaluations where ${SERIES} and window_start = $4`,
      [...seriesParams(s), ts(window)],
    );
    return rows[0]?.baseline ?? null;
  }

  async topDevices(s: SeriesKey, w: Window, cells: readonly string[], f: UsableFilter, limit: number): Promise<Map<string, TopDevice[]>> {
    const { rows } = await this.db.query<{ cell: string; device_id: string; n: number; mean: number; max: number }>(
      `select cell, device_id, n, mean, max from (
         select cell::text as cell, device_id, count(*) as n, avg(value) as mean, max(value) as max,
                row_number() over (partition by cell order by count(*) desc, max(value) desc, device_id) as rn
         from (${USABLE_SQL}) src where cell = any($7::int8[]) group by cell, device_id) d
       where rn <= $8 order by cell, rn`,
      [s.metric, f.unit, s.resolution, ts(w.start), ts(w.end), f.vanMaxSpeedKmh, cells.map(cellInt), limit],
    );
    const out = new Map<string, TopDevice[]>();
    for (const r of rows) {
      const k = cellHex(r.cell);
      (out.get(k) ?? out.set(k, []).get(k)!).push({ deviceId: r.device_id, n: r.n, mean: r.mean, max: r.max });
    }
    return out;
  }

  async peakReadings(
    s: SeriesKey,
    w: Window,
    cells: readonly string[],
    f: UsableFilter,
    limit: number,
  ): Promise<Map<string, PeakReading[]>> {
    const { rows } = await this.db.query<{
      cell: string;
      device_id: string;
      time: Date;
      value: number;
      lat: number | null;
      lon: number | null;
    }>(
      `select p.cell, p.device_id, p.time, p.value, coalesce(p.lat, d.lat) as lat, coalesce(p.lon, d.lon) as lon from (
         select cell::text as cell, device_id, time, value, lat, lon,
                row_number() over (partition by cell order by value desc, time, device_id) as rn
         from (${USABLE_SQL}) src where cell = any($7::int8[])) p
       left join devices d on d.id = p.device_id
       where p.rn <= $8 order by p.cell, p.rn`,
      [s.metric, f.unit, s.resolution, ts(w.start), ts(w.end), f.vanMaxSpeedKmh, cells.map(cellInt), limit],
    );
    const out = new Map<string, PeakReading[]>();
    for (const r of rows) {
      const k = cellHex(r.cell);
      (out.get(k) ?? out.set(k, []).get(k)!).push({
        deviceId: r.device_id,
        time: r.time.toISOString(),
        value: r.value,
        lat: r.lat,
        lon: r.lon,
      });
    }
    return out;
  }

  async windObservations(w: Window): Promise<WindObservation[]> {
    const { rows } = await this.db.query<{ device_id: string; lat: number; lon: number; dir: number; speed: number }>(
      `select d.device_id, dv.lat, dv.lon, d.value as dir, s.value as speed
       from readings d
       join readings s on s.device_id = d.device_id and s.metric = 'wind_speed' and s.time = d.time and s.qa = 'valid'
       join devices dv on dv.id = d.device_id and dv.kind = 'fixed' and dv.lat is not null
       where d.metric = 'wind_dir' and d.qa = 'valid' and d.time >= $1 and d.time < $2
       order by d.device_id, d.time`,
      [ts(w.start), ts(w.end)],
    );
    return rows.map((r) => ({ deviceId: r.device_id, lat: r.lat, lon: r.lon, dirDeg: r.dir, speedMs: r.speed }));
  }

  async getHotspot(s: SeriesKey, cell: string, openedWindow: number): Promise<HotspotRow | undefined> {
    const { rows } = await this.db.query<{
      id: number;
      opened_window: Date;
      cleared_window: Date | null;
      state: HotspotRow['state'];
      task_id: number | null;
    }>(`select id, opened_window, cleared_window, state, task_id from hotspots where ${SERIES} and cell = $4 and opened_window = $5`, [
      ...seriesParams(s),
      cellInt(cell),
      ts(openedWindow),
    ]);
    const r = rows[0];
    return r
      ? { id: r.id, cell, openedWindow: r.opened_window.getTime(), clearedWindow: ms(r.cleared_window), state: r.state, taskId: r.task_id }
      : undefined;
  }

  async insertHotspot(s: SeriesKey, cell: string, openedWindow: number): Promise<number> {
    const { rows } = await this.db.query<{ id: number }>(
      `insert into hotspots (metric, resolution, window_minutes, cell, opened_window, last_window) values ($1, $2, $3, $4, $5, $5) returning id`,
      [...seriesParams(s), cellInt(cell), ts(openedWindow)],
    );
    return rows[0]!.id;
  }

  async updateHotspot(
    id: number,
    patch: { state?: HotspotRow['state']; clearedWindow?: number | null; lastWindow?: number; taskId?: number },
  ): Promise<void> {
    const sets: string[] = [];
    const params: unknown[] = [id];
    const add = (col: string, v: unknown, expr = (p: string) => p) => {
      params.push(v);
      sets.push(`${col} = ${expr(`$${params.length}`)}`);
    };
    if (patch.state !== undefined) add('state', patch.state);
    if (patch.clearedWindow !== undefined)
      add('cleared_window', patch.clearedWindow === null ? null : ts(patch.clearedWindow), (p) => `${p}::timestamptz`);
    if (patch.lastWindow !== undefined) add('last_window', ts(patch.lastWindow), (p) => `greatest(last_window, ${p}::timestamptz)`);
    if (patch.taskId !== undefined) add('task_id', patch.taskId);
    if (sets.length === 0) return;
    await this.db.query(`update hotspots set ${sets.join(', ')}, updated_at = now() where id = $1`, params);
  }

  async upsertEvidence(e: EvidenceInput): Promise<void> {
    const c = e.cell;
    await this.db.query(
      `insert into hotspot_evidence (hotspot_id, window_start, role, high, n, devices, van_passes, mean, median, p90, max, baseline, ratio, robust_z, gi_star, reasons, details)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
       on conflict (hotspot_id, window_start) do update set role = excluded.role, high = excluded.high, n = excluded.n, devices = excluded.devices,
         van_passes = excluded.van_passes, mean = excluded.mean, median = excluded.median, p90 = excluded.p90, max = excluded.max,
         baseline = excluded.baseline, ratio = excluded.ratio, robust_z = excluded.robust_z, gi_star = excluded.gi_star, reasons = excluded.reasons,
         details = case when excluded.details = '{}'::jsonb then hotspot_evidence.details else excluded.details end`,
      [
        e.hotspotId,
        ts(e.window),
        e.role,
        c?.high ?? false,
        c?.n ?? null,
        c?.devices ?? null,
        c?.vanPasses ?? null,
        c?.mean ?? null,
        c?.median ?? null,
        c?.p90 ?? null,
        c?.max ?? null,
        e.baseline,
        c?.ratio ?? null,
        c?.robustZ ?? null,
        c?.giStar ?? null,
        c ? [...c.reasons] : [],
        JSON.stringify(e.details),
      ],
    );
  }

  async deleteEvidence(hotspotId: number, window: number): Promise<void> {
    await this.db.query(`delete from hotspot_evidence where hotspot_id = $1 and window_start = $2`, [hotspotId, ts(window)]);
  }

  async activeTask(s: SeriesKey, cell: string): Promise<{ id: number; state: TaskState } | undefined> {
    const { rows } = await this.db.query<{ id: number; state: TaskState }>(
      `select id, state from tasks where metric = $1 and resolution = $2 and cell = $3 and state = any($4::text[])`,
      [s.metric, s.resolution, cellInt(cell), ACTIVE_TASK_STATES],
    );
    return rows[0];
  }

  async taskState(taskId: number): Promise<TaskState | undefined> {
    const { rows } = await this.db.query<{ state: TaskState }>(`select state from tasks where id = $1`, [taskId]);
    return rows[0]?.state;
  }

  async insertTask(t: TaskInput): Promise<number | undefined> {
    const { rows } = await this.db.query<{ id: number }>(
      `insert into tasks (metric, resolution, window_minutes, cell, hotspot_id, opened_window, last_window, lat, lon, cell_polygon, street_office_id, street_office_name,
         statistics, top_devices, peak_readings, wind, candidates)
       values ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
       on conflict do nothing returning id`,
      [
        ...seriesParams(t.series),
        cellInt(t.cell),
        t.hotspotId,
        ts(t.openedWindow),
        t.lat,
        t.lon,
        JSON.stringify(t.cellPolygon),
        t.streetOffice?.id ?? null,
        t.streetOffice?.name ?? null,
        JSON.stringify(t.statistics),
        JSON.stringify(t.topDevices),
        JSON.stringify(t.peakReadings),
        t.wind === null ? null : JSON.stringify(t.wind),
        JSON.stringify(t.candidates),
      ],
    );
    return rows[0]?.id;
  }

  async touchTask(taskId: number, lastWindow: number): Promise<void> {
    await this.db.query(`update tasks set last_window = greatest(last_window, $2::timestamptz), updated_at = now() where id = $1`, [
      taskId,
      ts(lastWindow),
    ]);
  }

  async addTaskEvent(
    taskId: number,
    kind: TaskEventKind,
    e: { actor: string; window?: number; note?: string; details?: Record<string, unknown> },
  ): Promise<void> {
    await this.db.query(
      `insert into task_events (task_id, kind, actor, note, window_start, details) values ($1, $2, $3, $4, $5, $6) on conflict do nothing`,
      [taskId, kind, e.actor, e.note ?? null, e.window === undefined ? null : ts(e.window), JSON.stringify(e.details ?? {})],
    );
  }

  async facilitiesNear(cells: readonly string[], resolution: number): Promise<Facility[]> {
    if (cells.length === 0) return [];
    const { rows } = await this.db.query<{
      id: string;
      category: string;
      name: string;
      lat: number;
      lon: number;
      fume_device_ids: string[];
    }>(`select id, category, name, lat, lon, fume_device_ids from facilities where h3_parent(h3, $1) = any($2::int8[]) order by id`, [
      resolution,
      cells.map(cellInt),
    ]);
    return rows.map((r) => ({ id: r.id, category: r.category, name: r.name, lat: r.lat, lon: r.lon, fumeDeviceIds: r.fume_device_ids }));
  }

  async jurisdictions(): Promise<Jurisdiction[]> {
    const { rows } = await this.db.query<{ id: string; name: string; geometry: Polygon | MultiPolygon }>(
      `select id, name, geometry from jurisdictions order by id`,
    );
    return rows;
  }

  async enqueueAlert(alert: Alert, kafkaKey: string): Promise<void> {
    await this.db.query(`insert into alert_outbox (alert_id, kafka_key, payload) values ($1, $2, $3) on conflict (alert_id) do nothing`, [
      alert.alertId,
      kafkaKey,
      JSON.stringify(alert),
    ]);
  }

  async finish(s: SeriesKey, w: Window, r: EvaluationRecord): Promise<void> {
    const d = r.district;
    await this.db.query(
      `update hotspot_evaluations set status = 'done', version = version + 1, evaluated_at = clock_timestamp(), watermark = $5, job_id = $6,
         cells = $7, eligible = $8, high = $9, baseline = $10, mad = $11, scale = $12, scale_kind = $13, duration_ms = $14, settings = $15
       where ${SERIES} and window_start = $4`,
      [
        ...seriesParams(s),
        ts(w.start),
        ts(r.watermark),
        r.jobId,
        d.cells,
        d.eligible,
        d.high,
        d.baseline,
        d.mad,
        d.scale,
        d.scaleKind,
        r.durationMs,
        JSON.stringify(r.settings),
      ],
    );
    await this.db.query(
      `insert into hotspot_evaluation_runs (metric, resolution, window_minutes, window_start, version, job_id, trigger, started_at, cells, eligible, high, opened, cleared)
       select metric, resolution, window_minutes, window_start, version, $5, $6, $7, $8, $9, $10, $11, $12 from hotspot_evaluations where ${SERIES} and window_start = $4`,
      [...seriesParams(s), ts(w.start), r.jobId, r.trigger, ts(r.startedAt), d.cells, d.eligible, d.high, r.opened, r.cleared],
    );
  }
}

/**
 * {@link EvaluationStore} on a pool: each run is one transaction on one client (plus `connections − 1`
 * short read-only ones for a split rollup). Size the pool for concurrency × (1 + connections).
 */
export class EvaluationRepository implements EvaluationStore {
  constructor(
    private readonly pool: Pool,
    private readonly rollup: RollupOptions = DEFAULT_ROLLUP,
  ) {}

  run<T>(fn: (tx: EvaluationTx) => Promise<T>): Promise<T> {
    return withTransaction(this.pool, async (client) => {
      await client.query(sessionSql(this.rollup));
      return fn(new EvaluationTransaction(client, this.pool, this.rollup));
    });
  }
}
