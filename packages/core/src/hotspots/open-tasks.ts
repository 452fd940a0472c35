import { gridDisk } from 'h3-js';
import type { SeriesKey } from '@voc/domain';
import {
  firedStatistic,
  cellCentre,
  cellPolygon,
  distanceM,
  findJurisdiction,
  scoreCandidates,
  summariseWind,
  type WindSample,
  type WindSummary,
} from '@voc/hotspot';
import { alertStats, iso, type AlertBuilder } from './alerts.js';
import type { EvaluationTx, HotspotRow, StoredCell, UsableFilter, WindObservation, EvaluationDeps } from './ports.js';
import type { PeakReading, TopDevice } from '../tasks/ports.js';

/** Actor recorded on task events written by the worker. */
export const SYSTEM_ACTOR = 'hotspot-worker';

/**
 * Opens trace-to-source tasks for new hotspots (one active task per cell: a second hotspot joins it),
 * with the street office, the wind and the ranked candidate facilities, inside the evaluation's
 * transaction. `tasksOpened` lists the tasks it opened.
 */
export class TaskOpener {
  readonly tasksOpened: number[] = [];
  private windCache = new Map<number, WindObservation[]>();

  constructor(
    private readonly tx: EvaluationTx,
    private readonly deps: Pick<EvaluationDeps, 'trace'>,
    private readonly series: SeriesKey,
    private readonly W: number,
    private readonly filter: UsableFilter,
    private readonly alerts: AlertBuilder,
  ) {}

  /** Wind at the nearest fixed device with paired wind readings within `windMaxKm` of the cell centre, or null. */
  async windFor(w: number, cell: string): Promise<WindSummary | null> {
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

  /**
   * Wind samples for the plume score: the nearest wind device's samples over the window and the
   * `traceHours` before it (the one device of {@link windFor}, so the summary and the samples agree).
   */
  async windSamples(w: number, cell: string): Promise<WindSample[]> {
    const from = w - this.deps.trace.traceHours * 3_600_000;
    const obs = await this.tx.windObservations({ start: from, end: w + this.W });
    const centre = cellCentre(cell);
    let best: { id: string; d: number } | undefined;
    for (const o of obs) {
      const d = distanceM(centre, o);
      if (d <= this.deps.trace.windMaxKm * 1000 && (!best || d < best.d || (d === best.d && o.deviceId < best.id)))
        best = { id: o.deviceId, d };
    }
    return best ? obs.filter((o) => o.deviceId === best.id).map((o) => ({ dirDeg: o.dirDeg, speedMs: o.speedMs })) : [];
  }

  /** Links hotspot `h` to the existing task `taskId` and records a `hotspot_joined` event in window `w`. */
  async joinTask(h: HotspotRow, taskId: number, w: number, note: string): Promise<void> {
    await this.tx.updateHotspot(h.id, { taskId });
    await this.tx.addTaskEvent(taskId, 'hotspot_joined', { actor: SYSTEM_ACTOR, window: w, note, details: { hotspotId: h.id } });
  }

  /** Opens the task of a new hotspot, or joins the cell's active task (never a second one). */
  async openTask(
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
    const peak = details.peakReadings.find((p) => p.lat !== null && p.lon !== null);
    const receptor = peak ? { lat: peak.lat!, lon: peak.lon! } : null;
    const candidates = scoreCandidates(
      h.cell,
      facilities,
      this.series.metric,
      receptor,
      await this.windSamples(w, h.cell),
      this.deps.trace,
    );
    const stats = r
      ? { windowStart: iso(w), unit: this.filter.unit, ...alertStats(r, baseline), ...detectionStats(r) }
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
        inCell: c.inCell,
        plumeScore: round(c.plumeScore),
        distanceScore: round(c.distanceScore),
        typeScore: c.typeScore,
        score: round(c.score),
        explanation: c.explanation,
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
      await this.alerts.enqueue({
        ...this.alerts.base(h, w),
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

/**
 * What the detection tests found in the opening window, as a task states it: the excess over the
 * district baseline (of the statistic that fired: median, else p90, else mean), the
 * instrument uncertainty it was judged against, the excess over the cell's own history, the confidence
 * and every test with its value and threshold (docs/hotspots.md "Confidence").
 */
export function detectionStats(r: StoredCell): Record<string, unknown> {
  const statistic = firedStatistic(r.reasons);
  const excess = statistic === 'p90' ? r.excessP90 : statistic === 'mean' ? r.excessMean : r.excess;
  return {
    excess: excess === null || excess === undefined ? null : round(excess),
    excessStatistic: statistic,
    uncertainty: r.uncertainty ?? null,
    temporalExcess: r.temporalExcess === null || r.temporalExcess === undefined ? null : round(r.temporalExcess),
    confidence: r.confidence ?? null,
    tests: r.tests ?? [],
  };
}

/** Rounds to 4 significant decimals for notes and stored summaries. */
export function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
