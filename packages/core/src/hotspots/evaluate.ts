import type { Logger } from '@voc/domain';
import { gridDisk } from 'h3-js';
import { ERROR_CODES, isMetricId, METRICS, SCHEMA_IDS, VocError, type Alert, type AlertStats } from '@voc/domain';
import {
  advance,
  cellCentre,
  cellPolygon,
  distanceM,
  evaluateCells,
  findJurisdiction,
  INITIAL_STATE,
  isActiveTaskState,
  isTrivial,
  rankCandidates,
  sameState,
  summariseWind,
  windowMs,
  type CellResult,
  type DistrictStats,
  type MethodSettings,
  type PersistenceState,
  type TimedTransition,
  type TraceSettings,
  type WindSummary,
  type Window,
} from '@voc/hotspot';
import type {
  EvaluationStore,
  EvaluationTx,
  HotspotRow,
  PeakReading,
  SeriesKey,
  StoredCell,
  TopDevice,
  Trigger,
  UsableFilter,
  WindObservation,
} from './ports.js';

/** Actor recorded on task events written by the worker. */
export const SYSTEM_ACTOR = 'hotspot-worker';
/** How many top devices and peak readings a task and each evidence window keep. */
const TOP_N = 5;

/** What {@link evaluateWindow} needs. */
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

/** Result of {@link evaluateWindow}. */
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
  /** Windows whose persistence state was (re)written, this one included. */
  readonly windowsWritten: number;
  readonly durationMs: number;
  /** Where the time went, ms: rollup query, method, writing the rollup, persistence and reconciliation, commit. */
  readonly phases: { rollupMs: number; methodMs: number; writeMs: number; persistenceMs: number; commitMs: number };
}

/** Statistics of a cell in a window as alerts and tasks carry them. */
function alertStats(c: StoredCell, baseline: number | null): AlertStats {
  return {
    n: c.n,
    devices: c.devices,
    vanPasses: c.vanPasses,
    mean: c.mean,
    median: c.median,
    p90: c.p90,
    max: c.max,
    baseline,
    ratio: c.ratio,
    robustZ: c.robustZ,
    giStar: c.giStar,
    reasons: [...c.reasons],
  };
}

const iso = (t: number): string => new Date(t).toISOString();

function sameStates(a: ReadonlyMap<string, PersistenceState>, b: ReadonlyMap<string, PersistenceState>): boolean {
  if (a.size !== b.size) return false;
  for (const [cell, s] of a) {
    const o = b.get(cell);
    if (!o || !sameState(s, o)) return false;
  }
  return true;
}

/**
 * Evaluates one window of one metric (DOMAIN.md §6) in a single database transaction:
 *
 * 1. recompute the cell rollup of the window from raw readings (so late readings count) and apply the
 *    method (eligibility, baseline, ratio, robust z, thresholds, Gi*);
 * 2. apply persistence in window order: the state after the previous evaluated window, stepped over
 *    this window's flags, then — when this is a re-evaluation — over every later evaluated window until
 *    the states match what is stored (nothing further changes);
 * 3. reconcile hotspots with the new states: open (with one task per cell while active), continue
 *    (evidence), clear (noted on the task), and withdraw hotspots a corrected history no longer
 *    supports (noted, never deleted);
 * 4. write alerts to the outbox; a dispatcher publishes them after commit.
 *
 * Idempotent: running it again on the same data writes the same rows; a job id that already
 * committed is skipped, so a job retried after its commit does nothing.
 * @throws VocError invalid_request for an unknown metric or a misaligned window start;
 *   database errors propagate (the job is retried)
 */
export async function evaluateWindow(deps: EvaluationDeps, req: EvaluateRequest): Promise<EvaluateOutcome> {
  const s = deps.method;
  if (!isMetricId(req.metric)) throw new VocError(ERROR_CODES.invalid_request, `unknown metric "${req.metric}"`);
  const W = windowMs(s.windowMinutes);
  if (req.windowStart % W !== 0)
    throw new VocError(ERROR_CODES.invalid_request, `window start ${iso(req.windowStart)} is not aligned to ${s.windowMinutes} min`);
  const series: SeriesKey = { metric: req.metric, resolution: s.resolution, windowMinutes: s.windowMinutes };
  const window: Window = { start: req.windowStart, end: req.windowStart + W };
  const filter: UsableFilter = { unit: METRICS[req.metric].unit, vanMaxSpeedKmh: s.vanMaxSpeedKmh, vanPassGapSeconds: s.vanPassGapSeconds };
  const started = Date.now();

  return deps.store
    .run(async (tx) => {
      await tx.lockWindow(series, window);
      if (req.jobId !== null && (await tx.hasRun(req.jobId))) {
        const phases = { rollupMs: 0, methodMs: 0, writeMs: 0, persistenceMs: 0, commitMs: 0 };
        return {
          skipped: true,
          series,
          windowStart: window.start,
          district: null,
          opened: [],
          cleared: [],
          withdrawn: [],
          tasksOpened: [],
          windowsWritten: 0,
          phases,
          t0: performance.now(),
        };
      }
      const dbNow = await tx.now();
      let t = performance.now();
      const lap = () => {
        const now = performance.now();
        const d = now - t;
        t = now;
        return Math.round(d);
      };
      const stats = await tx.aggregate(series, window, filter);
      const rollupMs = lap();
      const { district, cells } = evaluateCells(stats, s, req.metric);
      const methodMs = lap();
      await tx.replaceCellStats(series, window.start, cells);
      const writeMs = lap();
      await tx.lockSeries(series);
      const rec = new Reconciler(tx, deps, series, W, filter, dbNow, { window: window.start, district, cells });
      const windowsWritten = await rec.persist(window.start, new Set(cells.filter((c) => c.high).map((c) => c.cell)), req.cascade ?? true);
      await tx.finish(series, window, {
        district,
        watermark: dbNow - deps.watermarkMarginMs,
        jobId: req.jobId,
        trigger: req.trigger,
        startedAt: dbNow,
        durationMs: Date.now() - started,
        settings: s,
        opened: rec.opened.length,
        cleared: rec.cleared.length,
      });
      const persistenceMs = lap();
      const outcome = {
        skipped: false,
        series,
        windowStart: window.start,
        district,
        opened: rec.opened,
        cleared: rec.cleared,
        withdrawn: rec.withdrawn,
        tasksOpened: rec.tasksOpened,
        windowsWritten,
        phases: { rollupMs, methodMs, writeMs, persistenceMs },
      };
      deps.log.debug(
        {
          metric: req.metric,
          window: iso(window.start),
          cells: district.cells,
          eligible: district.eligible,
          high: district.high,
          opened: rec.opened.length,
          cleared: rec.cleared.length,
        },
        'window evaluated',
      );
      return { ...outcome, t0: performance.now() };
    })
    .then(({ t0, ...o }): EvaluateOutcome => ({
      ...o,
      durationMs: Date.now() - started,
      phases: { ...o.phases, commitMs: Math.round(performance.now() - t0) },
    }));
}

/** A transition of one cell. */
interface CellTransition extends TimedTransition {
  readonly cell: string;
}

/** Persistence and reconciliation of one evaluation, inside its transaction. */
class Reconciler {
  readonly opened: HotspotChange[] = [];
  readonly cleared: HotspotChange[] = [];
  readonly withdrawn: HotspotChange[] = [];
  readonly tasksOpened: number[] = [];
  private readonly baselines = new Map<number, number | null>();
  private readonly results = new Map<number, Map<string, StoredCell>>();
  private windCache = new Map<number, WindObservation[]>();

  constructor(
    private readonly tx: EvaluationTx,
    private readonly deps: EvaluationDeps,
    private readonly series: SeriesKey,
    private readonly W: number,
    private readonly filter: UsableFilter,
    private readonly now: number,
    current: { window: number; district: DistrictStats; cells: readonly CellResult[] },
  ) {
    this.baselines.set(current.window, current.district.baseline);
    this.results.set(current.window, new Map(current.cells.map((c) => [c.cell, c])));
  }

  /**
   * Steps persistence from window `t` on (see {@link evaluateWindow}).
   * @returns number of windows whose states were written
   */
  async persist(t: number, flagsAtT: ReadonlySet<string>, cascade: boolean): Promise<number> {
    const s = this.deps.method;
    let prevWin = await this.tx.previousEvaluated(this.series, t);
    let prev = prevWin === null ? new Map<string, PersistenceState>() : await this.tx.loadStates(this.series, prevWin);
    const windows = [t, ...(cascade ? await this.tx.laterEvaluated(this.series, t) : [])];
    let written = 0;
    for (const w of windows) {
      const flags = w === t ? flagsAtT : await this.tx.highCells(this.series, w);
      const missed = prevWin === null ? 0 : Math.round((w - prevWin) / this.W) - 1;
      const next = new Map<string, PersistenceState>();
      const transitions: CellTransition[] = [];
      for (const cell of new Set([...prev.keys(), ...flags])) {
        const r = advance(prev.get(cell) ?? INITIAL_STATE, missed, flags.has(cell), w, this.W, s);
        if (!isTrivial(r.state)) next.set(cell, r.state);
        for (const tr of r.transitions) transitions.push({ cell, ...tr });
      }
      const old = await this.tx.loadStates(this.series, w);
      if (w !== t && sameStates(next, old)) break;
      await this.reconcile(w, old, next, transitions);
      await this.tx.replaceStates(this.series, w, next);
      written += 1;
      prev = next;
      prevWin = w;
    }
    return written;
  }

  private async resultsAt(w: number, cells: readonly string[]): Promise<Map<string, StoredCell>> {
    const cached = this.results.get(w);
    if (cached) return cached;
    const m = await this.tx.cellResults(this.series, w, cells);
    return m;
  }

  private async baselineAt(w: number): Promise<number | null> {
    if (!this.baselines.has(w)) this.baselines.set(w, await this.tx.baseline(this.series, w));
    return this.baselines.get(w) ?? null;
  }

  private async windFor(w: number, cell: string): Promise<WindSummary | null> {
    let obs = this.windCache.get(w);
    if (!obs) {
      obs = await this.tx.windObservations({ start: w, end: w + this.W });
      this.windCache.set(w, obs);
    }
    const centre = cellCentre(cell);
    let best: { id: string; d: number } | undefined;
    for (const o of obs) {
      const d = distanceM(centre, o);
      if (d <= this.deps.trace.windMaxKm * 1000 && (!best || d < best.d || (d === best.d && o.deviceId < best.id)))
        best = { id: o.deviceId, d };
    }
    if (!best) return null;
    const id = best.id;
    return summariseWind(
      id,
      best.d,
      obs.filter((o) => o.deviceId === id),
      this.deps.trace.calmWindMs,
    );
  }

  private alertBase(h: { id: number; cell: string; openedWindow: number }, w: number) {
    const c = cellCentre(h.cell);
    return {
      schema: SCHEMA_IDS.alert,
      occurredAt: iso(this.now),
      metric: this.series.metric,
      unit: this.filter.unit,
      cell: h.cell,
      resolution: this.series.resolution,
      lat: c.lat,
      lon: c.lon,
      windowMinutes: this.series.windowMinutes,
      hotspotId: h.id,
      openedWindow: iso(h.openedWindow),
      windowStart: iso(w),
      windowEnd: iso(w + this.W),
    } as const;
  }

  private async alert(a: Alert): Promise<void> {
    await this.tx.enqueueAlert(a, a.cell);
  }

  private async hotspotFor(cell: string, openedWindow: number, w: number): Promise<{ row: HotspotRow; created: boolean }> {
    const found = await this.tx.getHotspot(this.series, cell, openedWindow);
    if (found) return { row: found, created: false };
    const id = await this.tx.insertHotspot(this.series, cell, openedWindow);
    await this.tx.updateHotspot(id, { lastWindow: w });
    return { row: { id, cell, openedWindow, clearedWindow: null, state: 'open', taskId: null }, created: true };
  }

  private async taskIsActive(taskId: number | null): Promise<boolean> {
    if (taskId === null) return false;
    const st = await this.tx.taskState(taskId);
    return st !== undefined && isActiveTaskState(st);
  }

  /** Applies the difference between the stored and the new states of window `w`. */
  private async reconcile(
    w: number,
    old: ReadonlyMap<string, PersistenceState>,
    next: ReadonlyMap<string, PersistenceState>,
    transitions: readonly CellTransition[],
  ): Promise<void> {
    const openNow = [...next].filter(([, st]) => st.status === 'open').map(([cell]) => cell);
    const clearedHere = transitions.filter((x) => x.transition === 'cleared');
    const evidenceCells = [...new Set([...openNow, ...clearedHere.filter((x) => x.window === w).map((x) => x.cell)])].sort();
    const results = await this.resultsAt(w, evidenceCells);
    const baseline = await this.baselineAt(w);
    const detailCells = openNow.sort();
    const [tops, peaks] = detailCells.length
      ? await Promise.all([
          this.tx.topDevices(this.series, { start: w, end: w + this.W }, detailCells, this.filter, TOP_N),
          this.tx.peakReadings(this.series, { start: w, end: w + this.W }, detailCells, this.filter, TOP_N),
        ])
      : [new Map<string, TopDevice[]>(), new Map<string, PeakReading[]>()];

    // Hotspots the stored states had open in this window but the new states do not (same opening).
    for (const [cell, st] of [...old].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      if (st.status !== 'open' || st.openedWindow === null) continue;
      const now = next.get(cell);
      if (now?.status === 'open' && now.openedWindow === st.openedWindow) continue;
      const h = await this.tx.getHotspot(this.series, cell, st.openedWindow);
      if (!h) continue;
      const clearedNow = clearedHere.some((x) => x.cell === cell && x.openedWindow === st.openedWindow);
      if (clearedNow) continue;
      await this.tx.deleteEvidence(h.id, w);
      if (st.openedWindow === w && h.state !== 'withdrawn') {
        await this.tx.updateHotspot(h.id, { state: 'withdrawn', clearedWindow: null });
        this.withdrawn.push({ hotspotId: h.id, cell, openedWindow: h.openedWindow, window: w });
        const reason = 'a re-evaluation after late readings no longer meets the persistence rule in the window this hotspot opened in';
        if (await this.taskIsActive(h.taskId)) {
          await this.tx.addTaskEvent(h.taskId!, 'hotspot_withdrawn', {
            actor: SYSTEM_ACTOR,
            window: w,
            note: `hotspot ${h.id} withdrawn: ${reason}`,
            details: { hotspotId: h.id },
          });
        }
        await this.alert({ ...this.alertBase(h, w), alertId: `hotspot_withdrawn/${h.id}/${iso(w)}`, type: 'hotspot_withdrawn', reason });
      }
    }

    for (const cell of openNow) {
      const st = next.get(cell)!;
      const openedWindow = st.openedWindow!;
      const { row: h, created } = await this.hotspotFor(cell, openedWindow, w);
      const r = results.get(cell) ?? null;
      const wind = await this.windFor(w, cell);
      const details = { topDevices: tops.get(cell) ?? [], peakReadings: peaks.get(cell) ?? [], wind };
      const role = openedWindow === w ? 'opened' : 'continued';
      await this.tx.upsertEvidence({ hotspotId: h.id, window: w, role, cell: r, baseline, details });
      await this.tx.updateHotspot(h.id, { lastWindow: w });
      if (h.state === 'withdrawn') {
        await this.tx.updateHotspot(h.id, { state: 'open', clearedWindow: null });
        if (await this.taskIsActive(h.taskId))
          await this.tx.addTaskEvent(h.taskId!, 'hotspot_reinstated', {
            actor: SYSTEM_ACTOR,
            window: w,
            note: `hotspot ${h.id} reinstated by a re-evaluation`,
            details: { hotspotId: h.id },
          });
      } else if (h.state === 'cleared' && h.clearedWindow !== null && h.clearedWindow <= w) {
        await this.tx.updateHotspot(h.id, { state: 'open', clearedWindow: null });
        if (await this.taskIsActive(h.taskId)) {
          await this.tx.addTaskEvent(h.taskId!, 'hotspot_clear_revised', {
            actor: SYSTEM_ACTOR,
            window: h.clearedWindow,
            note: `hotspot ${h.id} is open again after a re-evaluation; it had cleared in window ${iso(h.clearedWindow)}`,
            details: { hotspotId: h.id },
          });
        }
      }
      if (role === 'opened') {
        await this.leadIn(h.id, cell, st, w);
        if (created) {
          this.opened.push({ hotspotId: h.id, cell, openedWindow, window: w });
          if (r)
            await this.alert({
              ...this.alertBase(h, w),
              alertId: `hotspot_opened/${h.id}`,
              type: 'hotspot_opened',
              stats: alertStats(r, baseline),
            });
          await this.openTask(h, r, baseline, details, w);
        }
      } else if (r && (await this.taskIsActive(h.taskId))) {
        await this.tx.addTaskEvent(h.taskId!, 'evidence', {
          actor: SYSTEM_ACTOR,
          window: w,
          note: `window ${iso(w)}: ${r.high ? 'high-value' : 'not high-value'}, median ${round(r.median)} (baseline ${baseline === null ? '-' : round(baseline)})`,
          details: { hotspotId: h.id, ...alertStats(r, baseline) },
        });
        await this.tx.touchTask(h.taskId!, w);
      }
    }

    for (const x of clearedHere) {
      if (x.openedWindow === null) continue;
      const h = await this.tx.getHotspot(this.series, x.cell, x.openedWindow);
      if (!h || h.state === 'withdrawn' || (h.state === 'cleared' && h.clearedWindow === x.window)) continue;
      await this.tx.updateHotspot(h.id, { state: 'cleared', clearedWindow: x.window });
      if (x.window === w)
        await this.tx.upsertEvidence({
          hotspotId: h.id,
          window: w,
          role: 'cleared',
          cell: results.get(x.cell) ?? null,
          baseline,
          details: {},
        });
      this.cleared.push({ hotspotId: h.id, cell: x.cell, openedWindow: h.openedWindow, window: x.window });
      await this.alert({ ...this.alertBase(h, x.window), alertId: `hotspot_cleared/${h.id}/${iso(x.window)}`, type: 'hotspot_cleared' });
      if (await this.taskIsActive(h.taskId)) {
        await this.tx.addTaskEvent(h.taskId!, 'hotspot_cleared', {
          actor: SYSTEM_ACTOR,
          window: x.window,
          note: `hotspot ${h.id} cleared in window ${iso(x.window)} after ${this.deps.method.clearN} windows that were not high-value; the task stays as it is`,
          details: { hotspotId: h.id },
        });
      }
    }
  }

  /** Evidence rows of the earlier high-value windows that, with this one, opened the hotspot. */
  private async leadIn(hotspotId: number, cell: string, st: PersistenceState, w: number): Promise<void> {
    for (let j = 1; j < this.deps.method.openN; j += 1) {
      if (((st.history >> j) & 1) === 0) continue;
      const lw = w - j * this.W;
      const r = (await this.resultsAt(lw, [cell])).get(cell) ?? null;
      await this.tx.upsertEvidence({ hotspotId, window: lw, role: 'lead_in', cell: r, baseline: await this.baselineAt(lw), details: {} });
    }
  }

  /** Links hotspot `h` to the existing task `taskId` and records a `hotspot_joined` event in window `w`. */
  private async joinTask(h: HotspotRow, taskId: number, w: number, note: string): Promise<void> {
    await this.tx.updateHotspot(h.id, { taskId });
    await this.tx.addTaskEvent(taskId, 'hotspot_joined', { actor: SYSTEM_ACTOR, window: w, note, details: { hotspotId: h.id } });
  }

  /** Opens the task of a new hotspot, or joins the cell's active task (never a second one). */
  private async openTask(
    h: HotspotRow,
    r: StoredCell | null,
    baseline: number | null,
    details: { topDevices: TopDevice[]; peakReadings: PeakReading[]; wind: WindSummary | null },
    w: number,
  ): Promise<void> {
    const active = await this.tx.activeTask(this.series, h.cell);
    if (active) {
      await this.joinTask(
        h,
        active.id,
        w,
        `hotspot ${h.id} opened in window ${iso(w)} while this task was active; its evidence is added here`,
      );
      return;
    }
    const centre = cellCentre(h.cell);
    const office = findJurisdiction(centre, await this.tx.jurisdictions());
    const facilities = await this.tx.facilitiesNear(gridDisk(h.cell, this.deps.trace.candidateRing), this.series.resolution);
    const candidates = rankCandidates(h.cell, facilities, details.wind, this.deps.trace);
    const stats = r
      ? { windowStart: iso(w), unit: this.filter.unit, ...alertStats(r, baseline) }
      : { windowStart: iso(w), unit: this.filter.unit };
    const taskId = await this.tx.insertTask({
      series: this.series,
      cell: h.cell,
      hotspotId: h.id,
      openedWindow: w,
      lat: centre.lat,
      lon: centre.lon,
      cellPolygon: cellPolygon(h.cell),
      streetOffice: office ? { id: office.id, name: office.name } : null,
      statistics: stats,
      topDevices: details.topDevices,
      peakReadings: details.peakReadings,
      wind: details.wind,
      candidates: candidates.map((c) => ({
        facilityId: c.id,
        name: c.name,
        category: c.category,
        lat: c.lat,
        lon: c.lon,
        fumeDeviceIds: c.fumeDeviceIds,
        distanceM: Math.round(c.distanceM),
        bearingDeg: Math.round(c.bearingDeg),
        alignment: c.alignment === null ? null : round(c.alignment),
        inCell: c.inCell,
        score: round(c.score),
      })),
    });
    if (taskId === undefined) {
      // Another series of the same cell (another window length) opened one in the meantime.
      const again = await this.tx.activeTask(this.series, h.cell);
      if (again) await this.joinTask(h, again.id, w, `hotspot ${h.id} joined this task`);
      return;
    }
    await this.tx.updateHotspot(h.id, { taskId });
    await this.tx.addTaskEvent(taskId, 'opened', {
      actor: SYSTEM_ACTOR,
      window: w,
      note: `opened for hotspot ${h.id} (${this.series.metric}, window ${iso(w)})`,
      details: { hotspotId: h.id },
    });
    this.tasksOpened.push(taskId);
    if (r) {
      await this.alert({
        ...this.alertBase(h, w),
        alertId: `task_opened/${taskId}`,
        type: 'task_opened',
        taskId,
        streetOffice: office ? { id: office.id, name: office.name } : null,
        stats: alertStats(r, baseline),
        candidates: candidates.slice(0, 5).map((c) => ({
          facilityId: c.id,
          name: c.name,
          category: c.category,
          distanceM: Math.round(c.distanceM),
          score: round(c.score),
        })),
      });
    }
  }
}

/** Rounds to 4 significant decimals for notes and stored summaries. */
function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
