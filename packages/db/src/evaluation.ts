import type { SeriesKey } from '@voc/domain';
import { DEFAULT_ROLLUP, rollupWindow, sessionSql, toResult, type ResultRow, type RollupOptions } from './rollup.js';
import { HotspotWrites } from './hotspots.js';
import { TaskWrites } from './tasks.js';
import { FacilityLookup } from './facilities.js';
import { JurisdictionLookup } from './jurisdictions.js';
import { AlertOutboxWrites } from './alert-outbox.js';
import { DetectionQueries } from './detection.js';
import { EvidenceQueries } from './evidence.js';
import { cellHex, cellInt, ms, SERIES, seriesParams, ts, type Queryable } from './sql.js';
import { withTransaction, type Pool } from './pool.js';
import { type CellResult, type CellStats, type PersistenceState, type Window } from '@voc/hotspot';
import type {
  EvaluationRecord,
  EvaluationStore,
  EvaluationTx,
  StoredCell,
  UsableFilter,
  AlertOutboxWritePort,
  HotspotPort,
  TaskOpeningPort,
  TraceContextPort,
  DetectionPort,
} from '@voc/core';

/** {@link EvaluationTx} on one PostgreSQL transaction. */
export class EvaluationTransaction implements EvaluationTx {
  /**
   * @param db the transaction's client
   * @param pool where the extra connections of a split rollup come from (none: the rollup runs on `db`)
   */
  private readonly hotspots: HotspotWrites;
  private readonly tasks: TaskWrites;
  private readonly facilities: FacilityLookup;
  private readonly jurisdictionLookup: JurisdictionLookup;
  private readonly outbox: AlertOutboxWrites;
  private readonly detection: DetectionQueries;
  private readonly evidence: EvidenceQueries;

  constructor(
    private readonly db: Queryable,
    private readonly pool?: Pool,
    private readonly rollup: RollupOptions = DEFAULT_ROLLUP,
  ) {
    this.hotspots = new HotspotWrites(db);
    this.tasks = new TaskWrites(db);
    this.facilities = new FacilityLookup(db);
    this.jurisdictionLookup = new JurisdictionLookup(db);
    this.outbox = new AlertOutboxWrites(db);
    this.detection = new DetectionQueries(db);
    this.evidence = new EvidenceQueries(db);
  }

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

  aggregate(s: SeriesKey, w: Window, f: UsableFilter): Promise<CellStats[]> {
    return rollupWindow(this.db, this.pool, this.rollup, s, w, f);
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
      uncertainty: c.uncertainty ?? null,
      van_median: c.vanMedian ?? null,
      excess_mean: c.excessMean ?? null,
      dispersion: c.dispersion ?? null,
      level_shift: c.levelShift ?? false,
      excess: c.excess ?? null,
      excess_p90: c.excessP90 ?? null,
      temporal_excess: c.temporalExcess ?? null,
      spatial_high: c.spatialHigh ?? false,
      suspect: c.suspect ?? false,
      confidence: c.confidence ?? null,
      tests: c.tests ?? null,
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
      `select cell::text as cell, n, n_fixed, devices, van_passes, max_pass_n, mean, median, p90, max, min, eligible, ratio, robust_z, gi_star, high, reasons,
              uncertainty, van_median, dispersion, level_shift, excess_mean, excess, excess_p90, temporal_excess, spatial_high, suspect, confidence, tests
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

  topDevices(...a: Parameters<EvaluationTx['topDevices']>): ReturnType<EvaluationTx['topDevices']> {
    return this.evidence.topDevices(...a);
  }

  peakReadings(...a: Parameters<EvaluationTx['peakReadings']>): ReturnType<EvaluationTx['peakReadings']> {
    return this.evidence.peakReadings(...a);
  }

  windObservations(...a: Parameters<EvaluationTx['windObservations']>): ReturnType<EvaluationTx['windObservations']> {
    return this.evidence.windObservations(...a);
  }

  async finish(s: SeriesKey, w: Window, r: EvaluationRecord): Promise<void> {
    const d = r.district;
    await this.db.query(
      `update hotspot_evaluations set status = 'done', version = version + 1, evaluated_at = clock_timestamp(), watermark = $5, job_id = $6,
         cells = $7, eligible = $8, high = $9, baseline = $10, mad = $11, scale = $12, scale_kind = $13, duration_ms = $14, settings = $15,
         baseline_p90 = $16, scale_p90 = $17, rising_fraction = $18, regional = $19, baseline_mean = $20, scale_mean = $21
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
        d.baselineP90 ?? null,
        d.scaleP90 ?? null,
        d.risingFraction ?? null,
        d.regional ?? false,
        d.baselineMean ?? null,
        d.scaleMean ?? null,
      ],
    );
    await this.db.query(
      `insert into hotspot_evaluation_runs (metric, resolution, window_minutes, window_start, version, job_id, trigger, started_at, cells, eligible, high, opened, cleared)
       select metric, resolution, window_minutes, window_start, version, $5, $6, $7, $8, $9, $10, $11, $12 from hotspot_evaluations where ${SERIES} and window_start = $4`,
      [...seriesParams(s), ts(w.start), r.jobId, r.trigger, ts(r.startedAt), d.cells, d.eligible, d.high, r.opened, r.cleared],
    );
  }

  // Hotspots, tasks, trace context and alerts: written by their own repositories on this transaction's client.
  getHotspot(...a: Parameters<HotspotPort['getHotspot']>): ReturnType<HotspotPort['getHotspot']> {
    return this.hotspots.getHotspot(...a);
  }

  insertHotspot(...a: Parameters<HotspotPort['insertHotspot']>): ReturnType<HotspotPort['insertHotspot']> {
    return this.hotspots.insertHotspot(...a);
  }

  updateHotspot(...a: Parameters<HotspotPort['updateHotspot']>): ReturnType<HotspotPort['updateHotspot']> {
    return this.hotspots.updateHotspot(...a);
  }

  upsertEvidence(...a: Parameters<HotspotPort['upsertEvidence']>): ReturnType<HotspotPort['upsertEvidence']> {
    return this.hotspots.upsertEvidence(...a);
  }

  deleteEvidence(...a: Parameters<HotspotPort['deleteEvidence']>): ReturnType<HotspotPort['deleteEvidence']> {
    return this.hotspots.deleteEvidence(...a);
  }

  activeTask(...a: Parameters<TaskOpeningPort['activeTask']>): ReturnType<TaskOpeningPort['activeTask']> {
    return this.tasks.activeTask(...a);
  }

  taskState(...a: Parameters<TaskOpeningPort['taskState']>): ReturnType<TaskOpeningPort['taskState']> {
    return this.tasks.taskState(...a);
  }

  insertTask(...a: Parameters<TaskOpeningPort['insertTask']>): ReturnType<TaskOpeningPort['insertTask']> {
    return this.tasks.insertTask(...a);
  }

  touchTask(...a: Parameters<TaskOpeningPort['touchTask']>): ReturnType<TaskOpeningPort['touchTask']> {
    return this.tasks.touchTask(...a);
  }

  addTaskEvent(...a: Parameters<TaskOpeningPort['addTaskEvent']>): ReturnType<TaskOpeningPort['addTaskEvent']> {
    return this.tasks.addTaskEvent(...a);
  }

  facilitiesNear(...a: Parameters<TraceContextPort['facilitiesNear']>): ReturnType<TraceContextPort['facilitiesNear']> {
    return this.facilities.facilitiesNear(...a);
  }

  jurisdictions(...a: Parameters<TraceContextPort['jurisdictions']>): ReturnType<TraceContextPort['jurisdictions']> {
    return this.jurisdictionLookup.jurisdictions(...a);
  }

  cellHistory(...a: Parameters<DetectionPort['cellHistory']>): ReturnType<DetectionPort['cellHistory']> {
    return this.detection.cellHistory(...a);
  }

  spatialHighCounts(...a: Parameters<DetectionPort['spatialHighCounts']>): ReturnType<DetectionPort['spatialHighCounts']> {
    return this.detection.spatialHighCounts(...a);
  }

  levelShiftCounts(...a: Parameters<DetectionPort['levelShiftCounts']>): ReturnType<DetectionPort['levelShiftCounts']> {
    return this.detection.levelShiftCounts(...a);
  }

  stuckDevices(...a: Parameters<DetectionPort['stuckDevices']>): ReturnType<DetectionPort['stuckDevices']> {
    return this.detection.stuckDevices(...a);
  }

  openSensorCheck(...a: Parameters<DetectionPort['openSensorCheck']>): ReturnType<DetectionPort['openSensorCheck']> {
    return this.detection.openSensorCheck(...a);
  }

  enqueueAlert(...a: Parameters<AlertOutboxWritePort['enqueueAlert']>): ReturnType<AlertOutboxWritePort['enqueueAlert']> {
    return this.outbox.enqueueAlert(...a);
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
