import { latLngToCell } from 'h3-js';
import { findEpisodes, type Background, type Episode } from './background.js';
import type { District } from './district.js';
import type { ConcentrationField } from './field.js';
import type { SensorFault } from './faults.js';
import { haversineM } from './geo.js';
import type { PlantedSource, SimDevice, SimFacility } from './network.js';
import { trueMetricValue } from './sensors.js';
import { METRICS_OF_SPECIES, type Emission, type OnPeriod } from './sources.js';
import { addSpecies } from './field.js';
import type { ScenarioSpec } from './simulate.js';

/** Label carried by every truth document. */
export const SIMULATED_LABEL = 'SIMULATED scenario: every device, facility, source and reading here is simulated, not measured';

/** How well the nearest sensor can see a source (the "detectable": excess ≥ 3 × noise). */
export interface Detectability {
  /** Nearest fixed sensor reporting a metric the source shows in; null without one (van-only coverage). */
  readonly sensorId: string | null;
  readonly metric: string | null;
  readonly distanceM: number | null;
  /** That sensor's noise σ on `metric` (its stated uncertainty). */
  readonly noise: number | null;
  /** Windows in which the source was on, with the window-mean plume excess at that sensor (canonical unit). */
  readonly windows: readonly { readonly start: number; readonly excess: number }[];
  /** Windows whose excess ≥ 3 σ. */
  readonly windowsAbove: number;
  /** True when `windowsAbove` ≥ the persistence rule's k (2): only then can a hotspot open from that sensor. */
  readonly detectable: boolean;
  /**
   * The sensor within 1.5 km that sees the source best (most windows ≥ 3 σ, then highest window-mean
   * excess in σ): information for the benchmark, not the definition of detectable.
   */
  readonly bestSensor: {
    readonly sensorId: string;
    readonly metric: string;
    readonly distanceM: number;
    readonly windowsAbove: number;
    readonly peakSigmas: number;
  } | null;
}

/** A planted source in the truth. Times are epoch ms; rates g/s. */
export interface TruthSource {
  readonly id: string;
  readonly facilityId: string;
  readonly category: string;
  readonly lat: number;
  readonly lon: number;
  /** H3 cell of the source at the scenario's resolution. */
  readonly cell: string;
  readonly heightM: number;
  readonly emissions: readonly Emission[];
  /** Metrics the source shows in at some sensor class. */
  readonly metrics: readonly string[];
  readonly schedule: string;
  readonly onPeriods: readonly OnPeriod[];
  readonly detectability: Detectability;
}

/** A device in the truth (with its class, uncertainty and faults). */
export interface TruthDevice {
  readonly id: string;
  readonly kind: 'fixed' | 'van';
  readonly class: string;
  readonly sensor: string;
  readonly lat: number | null;
  readonly lon: number | null;
  readonly cell: string | null;
  readonly area: string | null;
  readonly uncertainty: Readonly<Record<string, number>>;
  readonly cadenceS: number;
  readonly dropoutRate: number;
  readonly faults: readonly SensorFault[];
}

/** The ground truth of a scenario, written as JSON beside its readings. */
export interface GroundTruth {
  readonly simulated: true;
  readonly label: string;
  readonly scenario: string;
  readonly description: string;
  readonly seed: number;
  readonly from: number;
  readonly to: number;
  readonly windowMinutes: number;
  readonly resolution: number;
  readonly district: { readonly name: string; readonly source: string };
  readonly background: {
    readonly stations: readonly string[];
    readonly dataset: string;
    readonly license: string;
    readonly filledHours: Readonly<Record<string, number>>;
  };
  readonly devices: readonly TruthDevice[];
  readonly facilities: readonly { id: string; category: string; lat: number; lon: number; cell: string }[];
  readonly sources: readonly TruthSource[];
  /** Regional episodes of the real background during the scenario (district PM2.5 > 150 µg/m³). */
  readonly episodes: readonly Episode[];
  /** Ids of sensors with a value fault (bias, drift, stuck). */
  readonly faultySensors: readonly string[];
  /** H3 cells (scenario resolution) holding a fixed sensor. */
  readonly monitoredCells: readonly string[];
  /** H3 cells (scenario resolution) holding a street crossing of the grid: what vans can cover. */
  readonly streetCells: readonly string[];
}

/** Multiple of the sensor noise an excess must reach to count as detectable (issue 10 target). */
export const DETECTABLE_SIGMAS = 3;
/** Windows above that multiple a source needs (the persistence rule's default k, DOMAIN.md §6). */
export const DETECTABLE_WINDOWS = 2;

/** Inputs of {@link buildTruth}. */
export interface TruthInputs {
  readonly spec: ScenarioSpec;
  readonly from: number;
  readonly to: number;
  readonly district: District;
  readonly background: Background;
  readonly devices: readonly SimDevice[];
  readonly facilities: readonly SimFacility[];
  readonly sources: readonly PlantedSource[];
  readonly field: ConcentrationField;
  /** Street crossings (WGS-84) of the grid the vans drive. */
  readonly crossings: readonly { lat: number; lon: number }[];
}

interface SensorView {
  readonly metric: string;
  readonly noise: number;
  readonly windows: { start: number; excess: number }[];
  readonly above: number;
  readonly peak: number;
}

/**
 * Window-mean plume excess of source `s` at device `d`, best channel (most windows ≥ 3 σ, then highest
 * peak/σ). The excess is sampled at the device's own reading instants (its cadence and phase, as
 * `simulate`'s chunks read it), so each window mean is the mean of the noise-free excess the sensor's
 * readings in that window carry (dropouts, outages and value faults aside): with plume meander the
 * excess changes from one reading to the next, and samples at other instants would average another signal.
 */
function sensorView(inp: TruthInputs, s: PlantedSource, d: SimDevice, metrics: readonly string[]): SensorView {
  const len = inp.spec.windowMinutes * 60_000;
  const step = inp.spec.network.cadenceS * 1000;
  const cadence = d.cadenceS * 1000;
  const phase = d.phaseS * 1000;
  // The chunks' first step and their rule for a device whose cadence is not the network's.
  const first = Math.ceil(inp.from / step) * step;
  const channels = d.channels.filter((c) => metrics.includes(c.metric));
  const windows = channels.map(() => [] as { start: number; excess: number }[]);
  for (let w = Math.floor(inp.from / len) * len; w < inp.to; w += len) {
    if (!s.onPeriods.some((p) => p.start < w + len && p.end > w)) continue;
    const sums = channels.map(() => 0);
    let n = 0;
    const end = Math.min(w + len, inp.to);
    for (let t = first + Math.max(0, Math.ceil((w - phase - first) / step)) * step + phase; t < end; t += step) {
      if (cadence !== step && t % cadence !== 0) continue;
      const wx = inp.field.weather(t);
      const bg = inp.field.backgroundAt(wx);
      const dayBg = inp.field.dayBackground(t);
      const all = addSpecies(bg, inp.field.excessAt(d.xy, t, wx, s));
      for (const [i, ch] of channels.entries())
        sums[i]! += trueMetricValue(ch.metric, all, dayBg)! - trueMetricValue(ch.metric, bg, dayBg)!;
      n += 1;
    }
    for (const [i, ws] of windows.entries())
      ws.push({ start: w + inp.spec.timeOffsetMs, excess: n ? Number((sums[i]! / n).toPrecision(6)) : 0 });
  }
  let best: SensorView | null = null;
  for (const [i, ch] of channels.entries()) {
    const ws = windows[i]!;
    const above = ws.filter((x) => x.excess >= DETECTABLE_SIGMAS * ch.noise).length;
    const peak = Math.max(0, ...ws.map((x) => x.excess)) / ch.noise;
    if (!best || above > best.above || (above === best.above && peak > best.peak))
      best = { metric: ch.metric, noise: ch.noise, windows: ws, above, peak };
  }
  return best!;
}

/** Sensors within this distance of a source are searched for the best-placed one, m. */
const BEST_SENSOR_RADIUS_M = 1500;

function detectability(inp: TruthInputs, s: PlantedSource, metrics: readonly string[]): Detectability {
  const candidates = inp.devices
    .filter((d) => d.kind === 'fixed' && d.class !== 'met' && d.channels.some((c) => metrics.includes(c.metric)))
    .map((d) => ({ d, dist: haversineM(d, s) }))
    .sort((a, b) => a.dist - b.dist || (a.d.id < b.d.id ? -1 : 1));
  const nearest = candidates[0];
  if (!nearest)
    return {
      sensorId: null,
      metric: null,
      distanceM: null,
      noise: null,
      windows: [],
      windowsAbove: 0,
      detectable: false,
      bestSensor: null,
    };
  const v = sensorView(inp, s, nearest.d, metrics);
  let best: { id: string; dist: number; v: SensorView } | null = null;
  for (const c of candidates.filter((x) => x.dist <= BEST_SENSOR_RADIUS_M)) {
    const cv = c === nearest ? v : sensorView(inp, s, c.d, metrics);
    if (!best || cv.above > best.v.above || (cv.above === best.v.above && cv.peak > best.v.peak))
      best = { id: c.d.id, dist: c.dist, v: cv };
  }
  return {
    sensorId: nearest.d.id,
    metric: v.metric,
    distanceM: Math.round(nearest.dist * 10) / 10,
    noise: v.noise,
    windows: v.windows,
    windowsAbove: v.above,
    detectable: v.above >= DETECTABLE_WINDOWS,
    bestSensor: best
      ? {
          sensorId: best.id,
          metric: best.v.metric,
          distanceM: Math.round(best.dist * 10) / 10,
          windowsAbove: best.v.above,
          peakSigmas: Number(best.v.peak.toFixed(2)),
        }
      : null,
  };
}

/** Builds the ground truth of a scenario (times shifted by the spec's `timeOffsetMs`). */
export function buildTruth(inp: TruthInputs): GroundTruth {
  const { spec } = inp;
  const off = spec.timeOffsetMs;
  const res = spec.resolution;
  const shift = <T extends { start: number; end: number }>(p: T): T => ({ ...p, start: p.start + off, end: p.end + off });
  const devices: TruthDevice[] = inp.devices.map((d) => ({
    id: d.id,
    kind: d.kind,
    class: d.class,
    sensor: d.sensor,
    lat: d.kind === 'van' ? null : d.lat,
    lon: d.kind === 'van' ? null : d.lon,
    cell: d.kind === 'van' ? null : latLngToCell(d.lat, d.lon, res),
    area: d.area,
    uncertainty: Object.fromEntries(d.channels.map((c) => [c.metric, c.noise])),
    cadenceS: d.cadenceS,
    dropoutRate: d.dropoutRate,
    faults: d.faults.map((f) => ('to' in f ? { ...f, from: f.from + off, to: f.to + off } : { ...f, from: f.from + off })),
  }));
  const sources: TruthSource[] = inp.sources.map((s) => {
    const metrics = [...new Set(s.emissions.flatMap((e) => METRICS_OF_SPECIES[e.species]))];
    return {
      id: s.id,
      facilityId: s.facilityId,
      category: s.category,
      lat: s.lat,
      lon: s.lon,
      cell: latLngToCell(s.lat, s.lon, res),
      heightM: s.heightM,
      emissions: s.emissions,
      metrics,
      schedule: s.schedule,
      onPeriods: s.onPeriods.map(shift),
      detectability: detectability(inp, s, metrics),
    };
  });
  return {
    simulated: true,
    label: SIMULATED_LABEL,
    scenario: spec.name,
    description: spec.description,
    seed: spec.seed,
    from: inp.from + off,
    to: inp.to + off,
    windowMinutes: spec.windowMinutes,
    resolution: res,
    district: { name: inp.district.name, source: inp.district.source },
    background: {
      stations: inp.background.stations,
      dataset: 'UCI Beijing Multi-Site Air-Quality (Chen 2017, doi:10.24432/C5RK5G); Zhang et al. 2017, Proc. R. Soc. A 473:20170457',
      license: 'CC BY 4.0',
      filledHours: inp.background.filledHours,
    },
    devices,
    facilities: inp.facilities.map((f) => ({
      id: f.id,
      category: f.category,
      lat: f.lat,
      lon: f.lon,
      cell: latLngToCell(f.lat, f.lon, res),
    })),
    sources,
    episodes: findEpisodes(inp.background)
      .filter((e) => e.start < inp.to && e.end > inp.from)
      .map(shift),
    faultySensors: devices.filter((d) => d.faults.some((f) => f.kind !== 'outage')).map((d) => d.id),
    streetCells: [...new Set(inp.crossings.map((p) => latLngToCell(p.lat, p.lon, res)))].sort(),
    monitoredCells: [...new Set(devices.flatMap((d) => (d.cell !== null && d.class !== 'met' ? [d.cell] : [])))].sort(),
  };
}
