import { getResolution, gridDistance, latLngToCell } from 'h3-js';
import { haversineM } from './geo.js';
import type { ScoredCandidate, ScoredHotspot, ScoredTask, ScoreOptions, SystemOutputs } from './score-types.js';
import { DETECTABLE_SIGMAS, type GroundTruth, type TruthSource } from './truth.js';

/** What happened to one planted source. */
export interface SourceScore {
  readonly sourceId: string;
  readonly facilityId: string;
  readonly category: string;
  readonly detectable: boolean;
  readonly found: boolean;
  /**
   * True when a hotspot of its metrics opened within `ring` of it 0…`withinWindows` windows after a
   * window in which its window-mean excess at the nearest sensor reached 3 σ following one below 3 σ
   * (the signal's onset at the sensor): "found within 2 windows" counted from when the excess is there
   * to be seen, rather than from when the source switched on (a plume the wind brings to the sensor
   * hours later). Always false for a source that never reaches 3 σ there.
   */
  readonly foundAfterOnset: boolean;
  /** True when a hotspot of its metrics opened within `ring` of it in a window while it was on, however late (information beside `found`). */
  readonly foundWhileOn: boolean;
  /** The hotspot that found it (earliest opening, then nearest cell). */
  readonly hotspotId: string | null;
  /** Minutes from the start of the on-period to the opening (`openedAt`, default the opening window's end). */
  readonly timeToDetectMin: number | null;
  /** Metres from the source to the rank-1 candidate; null when not found or without candidates. */
  readonly localisationM: number | null;
  /** True when the source's facility is among the top 3 candidates. */
  readonly inTop3: boolean;
}

/** The score of one scenario (issue 10's measures). Rates are null when their denominator is 0. */
export interface ScoreReport {
  readonly simulated: true;
  readonly scenario: string;
  readonly sources: readonly SourceScore[];
  /** Found / all sources, and found / detectable sources. */
  readonly detectionRate: number | null;
  readonly detectableDetectionRate: number | null;
  /** Detectable sources with {@link SourceScore.foundAfterOnset} / detectable sources. */
  readonly detectableOnsetDetectionRate: number | null;
  /** Sources with a hotspot opening while they were on, at any delay / all sources. */
  readonly detectionRateWhileOn: number | null;
  readonly medianTimeToDetectMin: number | null;
  readonly medianLocalisationM: number | null;
  /** Found sources whose facility is among the top-3 candidates / found sources. */
  readonly top3Rate: number | null;
  readonly enforcementTasks: number;
  /** Enforcement tasks no planted source explains. */
  readonly falseTasks: number;
  readonly falseTasksPer100CellsPerWeek: number;
  readonly cells: number;
  readonly weeks: number;
  /** Enforcement tasks opened in a window overlapping a regional episode of the truth. */
  readonly tasksDuringEpisodes: number;
  /** Episodes of the truth with a regional event overlapping them / episodes. */
  readonly episodesRecorded: number | null;
  /** Faulty sensors (bias, drift, stuck) raised by a check-sensor/operations task after the fault began / faulty sensors. */
  readonly faultsRaisedAsFaults: number | null;
  /** Faulty sensors raised as faults whose cell never got an enforcement task no source explains / faulty sensors. */
  readonly faultsRaisedOnlyAsFaults: number | null;
  /** Faulty sensors whose cell got an enforcement task no source explains (a fault taken for a source). */
  readonly faultsRaisedAsSources: number;
  /** Check-sensor/operations tasks naming no faulty sensor. */
  readonly falseSensorTasks: number;
  /** Tasks whose stated excess is below their stated uncertainty; null when no task states both. */
  readonly tasksBelowUncertainty: number | null;
}

const median = (xs: readonly number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const ratio = (a: number, b: number): number | null => (b === 0 ? null : a / b);

function ringDistance(source: { lat: number; lon: number }, cell: string): number {
  try {
    return gridDistance(latLngToCell(source.lat, source.lon, getResolution(cell)), cell);
  } catch {
    return Infinity; // h3 cannot measure across pentagons or very far: not a neighbour
  }
}

function candidatesOf(t: ScoredTask, hotspots: ReadonlyMap<string, ScoredHotspot>): readonly ScoredCandidate[] {
  return t.candidates ?? (t.hotspotId ? hotspots.get(t.hotspotId)?.candidates : undefined) ?? [];
}

/**
 * Scores the system's outputs against a scenario's truth (issue 10):
 * - a source is **found** when a hotspot of one of its metrics opens in its cell or within `ring`
 *   (default 1) of it, in a window 0…`withinWindows` (default 2) windows after the window in which one of
 *   its on-periods starts; time to detect runs from that start to the hotspot's `openedAt` (default the
 *   end of its opening window); it is **found after onset** when such a hotspot opens 0…`withinWindows`
 *   windows after its excess at the nearest sensor first reaches 3 σ (each onset counts);
 * - **localisation**: distance from the source to the rank-1 candidate of that hotspot; **top 3**: the
 *   source's facility among candidates ranked ≤ 3;
 * - an **enforcement task is false** unless a source of its metric, on during its window or the
 *   `lookbackWindows` (default 2) windows before, lies within `ring` of its cell or among its top-3
 *   candidates; the rate is per 100 cells (fixed-sensor cells, else street cells) per week (7 × 24 h);
 * - tasks during episodes: enforcement tasks whose window overlaps a truth episode;
 * - faults: a faulty sensor is raised as a fault when a `check_sensor`/`operations` task names it (or,
 *   when it names no device, lies in its cell) in a window ending after the fault began.
 */
export function scoreScenario(truth: GroundTruth, out: SystemOutputs, opts: ScoreOptions = {}): ScoreReport {
  const ring = opts.ring ?? 1;
  const within = opts.withinWindows ?? 2;
  const len = (opts.windowMinutes ?? truth.windowMinutes) * 60_000;
  const lookback = opts.lookbackWindows ?? 2;
  const idx = (t: number) => Math.floor(t / len);
  const byId = new Map(out.hotspots.map((h) => [h.id, h]));

  const sources: SourceScore[] = truth.sources.map((s) => scoreSource(s, out.hotspots, ring, within, idx));

  const enforcement = out.tasks.filter((t) => t.kind === 'enforcement');
  const explains = (s: TruthSource, t: ScoredTask): boolean =>
    s.metrics.includes(t.metric) &&
    s.onPeriods.some((p) => p.start < t.window.end && p.end > t.window.start - lookback * len) &&
    (ringDistance(s, t.cell) <= ring || candidatesOf(t, byId).some((c) => c.rank <= 3 && c.facilityId === s.facilityId));
  const falseTasks = enforcement.filter((t) => !truth.sources.some((s) => explains(s, t)));
  const cells = opts.monitoredCells ?? (truth.monitoredCells.length || truth.streetCells.length);
  const weeks = (truth.to - truth.from) / (7 * 86_400_000);

  const overlaps = (a: { start: number; end: number }, b: { start: number; end: number }) => a.start < b.end && a.end > b.start;
  const faulty = truth.devices.filter((d) => truth.faultySensors.includes(d.id));
  const sensorTasks = out.tasks.filter((t) => t.kind !== 'enforcement');
  const names = (t: ScoredTask, d: (typeof faulty)[number]) =>
    t.deviceIds && t.deviceIds.length > 0
      ? t.deviceIds.includes(d.id)
      : d.lat !== null && d.lon !== null && ringDistance({ lat: d.lat, lon: d.lon }, t.cell) === 0;
  const faultStart = (d: (typeof faulty)[number]) => Math.min(...d.faults.filter((f) => f.kind !== 'outage').map((f) => f.from));
  const raised = faulty.filter((d) => sensorTasks.some((t) => names(t, d) && t.window.end > faultStart(d)));
  const asSources = faulty.filter(
    (d) => d.lat !== null && d.lon !== null && falseTasks.some((t) => ringDistance({ lat: d.lat!, lon: d.lon! }, t.cell) === 0),
  );
  const withUncertainty = out.tasks.filter((t) => t.excess !== undefined && t.uncertainty !== undefined);

  const found = sources.filter((s) => s.found);
  const detectable = sources.filter((s) => s.detectable);
  return {
    simulated: true,
    scenario: truth.scenario,
    sources,
    detectionRate: ratio(found.length, sources.length),
    detectableDetectionRate: ratio(detectable.filter((s) => s.found).length, detectable.length),
    detectableOnsetDetectionRate: ratio(detectable.filter((s) => s.foundAfterOnset).length, detectable.length),
    detectionRateWhileOn: ratio(sources.filter((s) => s.foundWhileOn).length, sources.length),
    medianTimeToDetectMin: median(found.flatMap((s) => (s.timeToDetectMin === null ? [] : [s.timeToDetectMin]))),
    medianLocalisationM: median(found.flatMap((s) => (s.localisationM === null ? [] : [s.localisationM]))),
    top3Rate: ratio(found.filter((s) => s.inTop3).length, found.length),
    enforcementTasks: enforcement.length,
    falseTasks: falseTasks.length,
    falseTasksPer100CellsPerWeek: cells > 0 && weeks > 0 ? falseTasks.length / (cells / 100) / weeks : 0,
    cells,
    weeks,
    tasksDuringEpisodes: enforcement.filter((t) => truth.episodes.some((e) => overlaps(t.window, e))).length,
    episodesRecorded: ratio(truth.episodes.filter((e) => out.regionalEvents.some((r) => overlaps(r, e))).length, truth.episodes.length),
    faultsRaisedAsFaults: ratio(raised.length, faulty.length),
    faultsRaisedAsSources: asSources.length,
    faultsRaisedOnlyAsFaults: ratio(raised.filter((d) => !asSources.includes(d)).length, faulty.length),
    falseSensorTasks: sensorTasks.filter((t) => !faulty.some((d) => names(t, d))).length,
    tasksBelowUncertainty: withUncertainty.length ? withUncertainty.filter((t) => t.excess! < t.uncertainty!).length : null,
  };
}

/**
 * Window indices (per `idx`) at which the source's window-mean excess at its nearest sensor reaches
 * `DETECTABLE_SIGMAS` × that sensor's noise after a window below it (or none): the onsets of its signal.
 */
function signalOnsets(s: TruthSource, idx: (t: number) => number): number[] {
  const d = s.detectability;
  if (d.noise === null) return [];
  const above = new Set(d.windows.filter((w) => w.excess >= DETECTABLE_SIGMAS * d.noise!).map((w) => idx(w.start)));
  return [...above].filter((i) => !above.has(i - 1)).sort((a, b) => a - b);
}

function scoreSource(
  s: TruthSource,
  hotspots: readonly ScoredHotspot[],
  ring: number,
  within: number,
  idx: (t: number) => number,
): SourceScore {
  const matches: { h: ScoredHotspot; start: number; dist: number }[] = [];
  let whileOn = false;
  let afterOnset = false;
  const onsets = signalOnsets(s, idx);
  for (const h of hotspots) {
    if (!s.metrics.includes(h.metric)) continue;
    const dist = ringDistance(s, h.cell);
    if (dist > ring) continue;
    if (s.onPeriods.some((p) => p.start < h.window.end && p.end > h.window.start)) whileOn = true;
    const hi = idx(h.window.start);
    if (onsets.some((o) => hi - o >= 0 && hi - o <= within)) afterOnset = true;
    const period = s.onPeriods.find((p) => {
      const k = idx(h.window.start) - idx(p.start);
      return k >= 0 && k <= within;
    });
    if (period) matches.push({ h, start: period.start, dist });
  }
  matches.sort((a, b) => a.h.window.start - b.h.window.start || a.dist - b.dist || (a.h.id < b.h.id ? -1 : a.h.id > b.h.id ? 1 : 0));
  const m = matches[0];
  const base = {
    sourceId: s.id,
    facilityId: s.facilityId,
    category: s.category,
    detectable: s.detectability.detectable,
    foundWhileOn: whileOn || !!m,
    foundAfterOnset: afterOnset,
  };
  if (!m) return { ...base, found: false, hotspotId: null, timeToDetectMin: null, localisationM: null, inTop3: false };
  const top = [...m.h.candidates].sort((a, b) => a.rank - b.rank);
  const first = top[0];
  return {
    ...base,
    found: true,
    hotspotId: m.h.id,
    timeToDetectMin: ((m.h.openedAt ?? m.h.window.end) - m.start) / 60_000,
    localisationM: first ? Math.round(haversineM(s, first) * 10) / 10 : null,
    inTop3: top.some((c) => c.rank <= 3 && c.facilityId === s.facilityId),
  };
}

/** Issue 10's targets, for a benchmark to print met / not met beside the figures. */
export const DETECTION_TARGETS = Object.freeze({
  /** Detectable sources found within 2 windows. */
  detectableDetectionRate: 0.9,
  /** Found sources with the true facility in the top 3. */
  top3Rate: 0.7,
  /** In the noise-only and regional-episode scenarios. */
  maxFalseTasksPer100CellsPerWeek: 1,
  /** No task on an excess below the instrument's stated uncertainty. */
  maxTasksBelowUncertainty: 0,
  /** Biased or drifting sensors raised as sensor faults. */
  faultsRaisedAsFaults: 0.8,
});
