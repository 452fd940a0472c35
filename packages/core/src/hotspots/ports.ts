import type { Alert, Logger, SeriesKey } from '@voc/domain';
import type { PeakReading, TaskEventKind, TaskInput, TopDevice } from '../tasks/ports.js';

import type {
  CellHistory,
  CellResult,
  CellStats,
  DistrictStats,
  Facility,
  Jurisdiction,
  MethodSettings,
  TraceSettings,
  PersistenceState,
  TaskState,
  Window,
} from '@voc/hotspot';

/**
 * The ports the hotspot use-cases need. The PostgreSQL repositories of `@voc/db` implement them; the
 * use-cases never see a pool, client or transaction.
 */

/** A series of windows: one metric on one grid (defined with the job catalogue in `@voc/domain`). */
export type { SeriesKey };

/** Why an evaluation ran. */
export type Trigger = 'schedule' | 'late_data' | 'backfill' | 'manual';

/** Filters that make a reading usable (DOMAIN.md §6), passed to the SQL rollup. */
export interface UsableFilter {
  /** Canonical unit of the metric: rows in another unit are never aggregated with it. */
  readonly unit: string;
  readonly vanMaxSpeedKmh: number;
  readonly vanPassGapSeconds: number;
  /**
   * A cell with at least this many fixed-sensor readings (the eligibility minimum) takes its mean, median,
   * p90, max and min from its fixed sensors alone; van readings are then independent evidence (absent: no split).
   */
  readonly minFixedReadings?: number;
}

/** A cell's stored result in a window (a row of `hotspot_cell_stats`). */
export type StoredCell = CellResult;

/** A hotspot row. Times are epoch ms. */
export interface HotspotRow {
  readonly id: number;
  readonly cell: string;
  readonly openedWindow: number;
  readonly clearedWindow: number | null;
  readonly state: 'open' | 'cleared' | 'withdrawn';
  readonly taskId: number | null;
}

/** One paired wind observation of a fixed device with a registry position. */
export interface WindObservation {
  readonly deviceId: string;
  readonly lat: number;
  readonly lon: number;
  readonly dirDeg: number;
  readonly speedMs: number;
}

/** Evidence of a hotspot in one window. */
export interface EvidenceInput {
  readonly hotspotId: number;
  readonly window: number;
  readonly role: 'lead_in' | 'opened' | 'continued' | 'cleared';
  readonly cell: StoredCell | null;
  readonly baseline: number | null;
  readonly details: Record<string, unknown>;
}

/** Figures of a committed evaluation. */
export interface EvaluationRecord {
  readonly district: DistrictStats;
  readonly watermark: number;
  readonly jobId: string | null;
  readonly trigger: Trigger;
  readonly startedAt: number;
  readonly durationMs: number;
  readonly settings: MethodSettings;
  readonly opened: number;
  readonly cleared: number;
}

/** The evaluation run of one window: its lock, idempotence, clock, rollup and final record. */
export interface EvaluationRunPort {
  /** Creates the window's evaluation row if needed and locks it (serialises evaluations of one window). */
  lockWindow(series: SeriesKey, window: Window): Promise<void>;
  /** True when a job with this id already committed an evaluation (exactly once per job id). */
  hasRun(jobId: string): Promise<boolean>;
  /** Database clock, epoch ms (the clock readings' `stored_at` uses). */
  now(): Promise<number>;
  /** The SQL rollup: statistics of usable readings per cell at the series' resolution. */
  aggregate(series: SeriesKey, window: Window, filter: UsableFilter): Promise<CellStats[]>;
  replaceCellStats(series: SeriesKey, window: number, cells: readonly CellResult[]): Promise<void>;
  finish(series: SeriesKey, window: Window, r: EvaluationRecord): Promise<void>;
}

/** Persistence across windows: per-cell states, high-value flags and stored results of evaluated windows. */
export interface PersistencePort {
  /** Serialises the persistence part of evaluations of one series (transaction-scoped lock). */
  lockSeries(series: SeriesKey): Promise<void>;
  /** Start of the latest evaluated (done) window before `window`, or null. */
  previousEvaluated(series: SeriesKey, window: number): Promise<number | null>;
  /** Starts of evaluated (done) windows after `window`, ascending. */
  laterEvaluated(series: SeriesKey, window: number): Promise<number[]>;
  loadStates(series: SeriesKey, window: number): Promise<Map<string, PersistenceState>>;
  replaceStates(series: SeriesKey, window: number, states: ReadonlyMap<string, PersistenceState>): Promise<void>;
  highCells(series: SeriesKey, window: number): Promise<Set<string>>;
  cellResults(series: SeriesKey, window: number, cells: readonly string[]): Promise<Map<string, StoredCell>>;
  baseline(series: SeriesKey, window: number): Promise<number | null>;
}

/** Evidence of a cell in a window: top devices, peak readings and wind observations. */
export interface EvidencePort {
  topDevices(
    series: SeriesKey,
    window: Window,
    cells: readonly string[],
    filter: UsableFilter,
    limit: number,
  ): Promise<Map<string, TopDevice[]>>;
  peakReadings(
    series: SeriesKey,
    window: Window,
    cells: readonly string[],
    filter: UsableFilter,
    limit: number,
  ): Promise<Map<string, PeakReading[]>>;
  windObservations(window: Window): Promise<WindObservation[]>;
}

/** Hotspots and their per-window evidence rows. */
export interface HotspotPort {
  getHotspot(series: SeriesKey, cell: string, openedWindow: number): Promise<HotspotRow | undefined>;
  insertHotspot(series: SeriesKey, cell: string, openedWindow: number): Promise<number>;
  updateHotspot(
    id: number,
    patch: { state?: HotspotRow['state']; clearedWindow?: number | null; lastWindow?: number; taskId?: number },
  ): Promise<void>;
  upsertEvidence(e: EvidenceInput): Promise<void>;
  deleteEvidence(hotspotId: number, window: number): Promise<void>;
}

/** What the evaluation reads and writes of trace-to-source tasks. */
export interface TaskOpeningPort {
  /** The active (open, acknowledged or in progress) task of a cell, if any. */
  activeTask(series: SeriesKey, cell: string): Promise<{ id: number; state: TaskState } | undefined>;
  taskState(taskId: number): Promise<TaskState | undefined>;
  /** Inserts a task; undefined when the cell already has an active task (partial unique index). */
  insertTask(t: TaskInput): Promise<number | undefined>;
  /** Records that the task's hotspot has evidence up to `lastWindow` (the task's `statistics` stay those of the opening window; later windows are in the evidence). */
  touchTask(taskId: number, lastWindow: number): Promise<void>;
  addTaskEvent(
    taskId: number,
    kind: TaskEventKind,
    e: { actor: string; window?: number; note?: string; details?: Record<string, unknown> },
  ): Promise<void>;
}

/** Registered facilities and street-office areas, for candidate ranking and task routing. */
export interface TraceContextPort {
  facilitiesNear(cells: readonly string[], resolution: number): Promise<Facility[]>;
  jurisdictions(): Promise<Jurisdiction[]>;
}

/** A fixed device whose output did not change over a window (stuck). */
export interface StuckDevice {
  readonly deviceId: string;
  readonly cell: string;
  readonly n: number;
  readonly value: number;
}

/** A check-sensor operations task to open (or extend): the network operators check a device, no site visit. */
export interface SensorCheckInput {
  readonly deviceId: string;
  readonly series: SeriesKey;
  readonly cell: string;
  readonly window: number;
  readonly reason: 'stands_out_persistently' | 'stuck' | 'level_shift';
  readonly details: Record<string, unknown>;
}

/** What the detection tests read beyond the window (docs/hotspots.md), and the check-sensor tasks. */
export interface DetectionPort {
  /** Temporal baselines of the cells with history before `window` (see `@voc/db` DetectionQueries). */
  cellHistory(
    series: SeriesKey,
    window: number,
    m: Pick<MethodSettings, 'temporalDays' | 'temporalMinDays' | 'temporalWindows' | 'temporalMinWindows'>,
  ): Promise<Map<string, CellHistory>>;
  /** Per cell, windows among the previous n − 1 in which it stood out from the district. */
  spatialHighCounts(series: SeriesKey, window: number, n: number): Promise<Map<string, number>>;
  /** Per cell, windows among the previous n − 1 in which its excess was a level shift (level-shift test). */
  levelShiftCounts(series: SeriesKey, window: number, n: number): Promise<Map<string, number>>;
  /** Fixed devices with ≥ minReadings usable readings all equal in the window, stating a non-zero uncertainty. */
  stuckDevices(series: SeriesKey, window: Window, filter: UsableFilter, minReadings: number): Promise<StuckDevice[]>;
  /** Opens a check-sensor task or extends the device's open one for this metric. */
  openSensorCheck(c: SensorCheckInput): Promise<{ id: number; opened: boolean }>;
}

/** The alert outbox, written inside the evaluation. */
export interface AlertOutboxWritePort {
  /** Writes an alert to the outbox; a second alert with the same id is ignored. */
  enqueueAlert(alert: Alert, kafkaKey: string): Promise<void>;
}

/**
 * What one evaluation does inside its single database transaction: the narrow ports above, grouped by
 * what they serve; `@voc/db` `EvaluationTransaction` implements them on one client.
 */
export interface EvaluationTx
  extends
    EvaluationRunPort,
    PersistencePort,
    EvidencePort,
    HotspotPort,
    TaskOpeningPort,
    TraceContextPort,
    AlertOutboxWritePort,
    DetectionPort {}

/** Runs `fn` in one transaction: everything it wrote commits together or not at all. */
export interface EvaluationStore {
  run<T>(fn: (tx: EvaluationTx) => Promise<T>): Promise<T>;
}

/** What `evaluateWindow` (evaluate.ts) needs. */
export interface EvaluationDeps {
  readonly store: EvaluationStore;
  readonly method: MethodSettings;
  readonly trace: TraceSettings;
  /** Readings stored less than this before the evaluation started count as possibly unseen (late-data check), ms. */
  readonly watermarkMarginMs: number;
  readonly log: Logger;
}

/** One evaluation to run. */
export interface EvaluateRequest {
  readonly metric: string;
  /** Window start, epoch ms, aligned to the window length. */
  readonly windowStart: number;
  /** BullMQ job id; a job id commits at most one evaluation. Null for backfill and manual runs. */
  readonly jobId: string | null;
  readonly trigger: Trigger;
  /**
   * Re-run persistence over the evaluated windows after this one (default true). A backfill that
   * evaluates every window of a range in order turns it off for all but the last window.
   */
  readonly cascade?: boolean;
}

/** A hotspot that changed in an evaluation. Times epoch ms. */
export interface HotspotChange {
  readonly hotspotId: number;
  readonly cell: string;
  readonly openedWindow: number;
  readonly window: number;
}

/** Result of `evaluateWindow` (evaluate.ts). */
export interface EvaluateOutcome {
  /** True when this job id had already committed (nothing was done). */
  readonly skipped: boolean;
  readonly series: SeriesKey;
  readonly windowStart: number;
  readonly district: DistrictStats | null;
  readonly opened: HotspotChange[];
  readonly cleared: HotspotChange[];
  readonly withdrawn: HotspotChange[];
  readonly tasksOpened: number[];
  /** Check-sensor tasks opened in this evaluation (ids). */
  readonly sensorChecksOpened?: number[];
  /** Windows whose persistence state was (re)written, this one included. */
  readonly windowsWritten: number;
  readonly durationMs: number;
  /** Where the time went, ms: rollup query, method, writing the rollup, persistence and reconciliation, commit. */
  readonly phases: { rollupMs: number; methodMs: number; writeMs: number; persistenceMs: number; commitMs: number };
}
