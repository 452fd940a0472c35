import {
  advance,
  INITIAL_STATE,
  isActiveTaskState,
  isTrivial,
  sameState,
  type CellResult,
  type DistrictStats,
  type PersistenceState,
  type TimedTransition,
} from '@voc/hotspot';
import type { EvaluationTx, HotspotRow, SeriesKey, StoredCell, UsableFilter, EvaluationDeps, HotspotChange } from './ports.js';
import type { PeakReading, TopDevice } from '../tasks/ports.js';
import { AlertBuilder, alertStats, iso } from './alerts.js';
import { round, SYSTEM_ACTOR, TaskOpener } from './open-tasks.js';

/** How many top devices and peak readings a task and each evidence window keep. */
const TOP_N = 5;

export function sameStates(a: ReadonlyMap<string, PersistenceState>, b: ReadonlyMap<string, PersistenceState>): boolean {
  if (a.size !== b.size) return false;
  for (const [cell, s] of a) {
    const o = b.get(cell);
    if (!o || !sameState(s, o)) return false;
  }
  return true;
}

/** A transition of one cell. */
interface CellTransition extends TimedTransition {
  readonly cell: string;
}

/**
 * Decides which cells are hotspots: persistence (`advance`) over the method's high-value flags, then
 * the hotspot lifecycle (open, continue, clear, withdraw) and its evidence, inside the evaluation's
 * transaction. New hotspots get their task from {@link TaskOpener}; alerts go through {@link AlertBuilder}.
 */
export class Reconciler {
  readonly opened: HotspotChange[] = [];
  readonly cleared: HotspotChange[] = [];
  readonly withdrawn: HotspotChange[] = [];
  private readonly baselines = new Map<number, number | null>();
  private readonly results = new Map<number, Map<string, StoredCell>>();
  private readonly alerts: AlertBuilder;
  readonly tasks: TaskOpener;

  constructor(
    private readonly tx: EvaluationTx,
    private readonly deps: EvaluationDeps,
    private readonly series: SeriesKey,
    private readonly W: number,
    private readonly filter: UsableFilter,
    private readonly now: number,
    current: { window: number; district: DistrictStats; cells: readonly CellResult[] },
  ) {
    this.alerts = new AlertBuilder(tx, series, W, filter, now);
    this.tasks = new TaskOpener(tx, deps, series, W, filter, this.alerts);
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
        await this.alerts.enqueue({
          ...this.alerts.base(h, w),
          alertId: `hotspot_withdrawn/${h.id}/${iso(w)}`,
          type: 'hotspot_withdrawn',
          reason,
        });
      }
    }

    for (const cell of openNow) {
      const st = next.get(cell)!;
      const openedWindow = st.openedWindow!;
      const { row: h, created } = await this.hotspotFor(cell, openedWindow, w);
      const r = results.get(cell) ?? null;
      const wind = await this.tasks.windFor(w, cell);
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
            await this.alerts.enqueue({
              ...this.alerts.base(h, w),
              alertId: `hotspot_opened/${h.id}`,
              type: 'hotspot_opened',
              stats: alertStats(r, baseline),
            });
          await this.tasks.openTask(h, r, baseline, details, w);
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
      await this.alerts.enqueue({
        ...this.alerts.base(h, x.window),
        alertId: `hotspot_cleared/${h.id}/${iso(x.window)}`,
        type: 'hotspot_cleared',
      });
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
}
