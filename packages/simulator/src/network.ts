import { areaOf, type District, type StreetGrid } from './district.js';
import type { SensorFault } from './faults.js';
import type { LatLon, XY } from './geo.js';
import { createRng } from './prng.js';
import { SENSOR_CLASSES, type SensorChannel, type SensorClassId } from './sensors.js';
import {
  FACILITY_PROFILES,
  SIM_FACILITY_CATEGORIES,
  schedulePeriods,
  type Emission,
  type OnPeriod,
  type ScheduleKind,
  type SimFacilityCategory,
} from './sources.js';

/**
 * A simulated device: registry fields plus its class, per-metric uncertainty and injected faults.
 * `lat`/`lon` are WGS-84 degrees for fixed devices and NaN for vans (they report a position per reading).
 */
export interface SimDevice extends LatLon {
  readonly id: string;
  readonly kind: 'fixed' | 'van';
  readonly class: SensorClassId;
  /** Sensor principle for the registry (`pid`, `mos`, `optical`, `tof_ms`, `reference`, `other`). */
  readonly sensor: string;
  readonly name: string;
  /** Reported metrics with noise σ (the device's stated uncertainty) and output resolution. */
  readonly channels: readonly SensorChannel[];
  /** Street-office area id of the position (null for vans). */
  readonly area: string | null;
  /** Seconds between readings (fixed sensors), phase within it (s). */
  readonly cadenceS: number;
  readonly phaseS: number;
  /** Probability that any one reading is lost (not a fault). */
  readonly dropoutRate: number;
  readonly faults: readonly SensorFault[];
  /** Local position (metres) for the plume; vans carry their start crossing. */
  readonly xy: XY;
}

/** A facility of the candidate-source registry; `sourceId` is set when it is a planted source. */
export interface SimFacility extends LatLon {
  readonly id: string;
  readonly category: SimFacilityCategory;
  readonly name: string;
  readonly area: string | null;
  readonly xy: XY;
}

/** A planted source: a facility emitting while on. */
export interface PlantedSource extends LatLon {
  readonly id: string;
  readonly facilityId: string;
  readonly category: SimFacilityCategory;
  readonly heightM: number;
  readonly emissions: readonly Emission[];
  readonly schedule: ScheduleKind;
  readonly onPeriods: readonly OnPeriod[];
  readonly xy: XY;
}

/** Network part of a scenario (see `scenarios.ts` for defaults). */
export interface NetworkSpec {
  /** Fixed street sensors (the issue asks for 150–300; 0 for van-only coverage). */
  readonly fixedSensors: number;
  /** Relative weights of the fixed sensor classes. */
  readonly classMix: Readonly<Partial<Record<SensorClassId, number>>>;
  /** Reading period of fixed sensors, s (DOMAIN.md §2: 10 s – 5 min). */
  readonly cadenceS: number;
  readonly dropoutRate: number;
  /** Minimum distance between two fixed sensors, m. */
  readonly minSeparationM: number;
  /** Of the fixed sensors, how many are sited 30–100 m along the street from a facility (default 60). */
  readonly sitedNearFacilities: number;
  /** Survey vans (0–4). */
  readonly vans: number;
  /** Facilities in the registry (sources included). */
  readonly facilities: number;
}

/** Sources part of a scenario. */
export interface SourcesSpec {
  readonly count: number;
  /** Categories taken in turn; default every category but auto repair. */
  readonly categories?: readonly SimFacilityCategory[];
  readonly schedule: ScheduleKind;
  /** Multiplies every emission rate (default 1). */
  readonly rateFactor?: number;
}

/** Faults part of a scenario: how many fixed VOC sensors get each fault. */
export interface FaultsSpec {
  readonly bias?: number;
  readonly drift?: number;
  readonly stuck?: number;
  readonly outage?: number;
}

/** Registry position of the weather mast: the Guanyuan station (`stations.csv`, ±2 km), whose weather it reports. */
export const MET_MAST_POSITION: LatLon = Object.freeze({ lat: 39.929, lon: 116.339 });

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

function pointOnStreet(grid: StreetGrid, r: ReturnType<typeof createRng>, offsetM: number, edge?: number, at?: number): XY {
  const e = grid.edges[edge ?? r.int(grid.edges.length)]!;
  const a = grid.nodes[e.a]!;
  const b = grid.nodes[e.b]!;
  const t = at ?? r.next();
  const len = Math.hypot(b.x - a.x, b.y - a.y);
  const side = r.chance(0.5) ? 1 : -1;
  return {
    x: a.x + (b.x - a.x) * t + (-(b.y - a.y) / len) * offsetM * side,
    y: a.y + (b.y - a.y) * t + ((b.x - a.x) / len) * offsetM * side,
  };
}

/**
 * Places the facilities at the street frontage (10–25 m off the street axis), the fixed sensors along
 * the streets (`sitedNearFacilities` of them 30–100 m along the street from a facility, the rest uniform
 * over street length; all at least `minSeparationM` apart), one weather mast and the vans.
 * Deterministic from the seed.
 * @throws RangeError when the sensors do not fit at that separation
 */
export function buildNetwork(
  seed: number,
  district: District,
  grid: StreetGrid,
  spec: NetworkSpec,
): { devices: SimDevice[]; facilities: SimFacility[] } {
  const r = createRng(seed, 'network');
  const classes = Object.entries(spec.classMix).filter(([, w]) => (w ?? 0) > 0) as [SensorClassId, number][];
  const total = classes.reduce((a, [, w]) => a + w, 0);
  const frontage: { edge: number; along: number }[] = [];
  const facilities: SimFacility[] = [];
  while (facilities.length < spec.facilities) {
    const edge = r.int(grid.edges.length);
    const along = r.next();
    const xy = pointOnStreet(grid, r, r.uniform(10, 25), edge, along);
    const pos = grid.projection.toLatLon(xy);
    const area = areaOf(district, pos);
    if (area === null) continue;
    const category = SIM_FACILITY_CATEGORIES[facilities.length % SIM_FACILITY_CATEGORIES.length]!;
    const n = pad(facilities.length + 1, 3);
    facilities.push({
      id: `sim-fac-${n}`,
      category,
      name: `Simulated ${category.replace('_', ' ')} ${n} (simulated)`,
      lat: round6(pos.lat),
      lon: round6(pos.lon),
      area: area.id,
      xy,
    });
    frontage.push({ edge, along });
  }
  const devices: SimDevice[] = [];
  const placed: XY[] = [];
  const sited = r.shuffle(frontage.map((_, i) => i));
  let siteTries = 0;
  let attempts = 0;
  while (placed.length < spec.fixedSensors) {
    if ((attempts += 1) > spec.fixedSensors * 200)
      throw new RangeError(`${spec.fixedSensors} sensors do not fit ${spec.minSeparationM} m apart on the street grid`);
    // The first sensors are sited on the street 30-100 m from a facility (networks are sited around key
    // facilities); the rest anywhere along the streets.
    const near = placed.length < spec.sitedNearFacilities && siteTries < 3 * sited.length ? sited[siteTries++ % sited.length] : undefined;
    let xy: XY;
    if (near !== undefined && frontage[near]) {
      const f = frontage[near];
      const e = grid.edges[f.edge]!;
      const len = Math.hypot(grid.nodes[e.b]!.x - grid.nodes[e.a]!.x, grid.nodes[e.b]!.y - grid.nodes[e.a]!.y);
      const shift = (r.uniform(30, 100) / len) * (r.chance(0.5) ? 1 : -1);
      xy = pointOnStreet(grid, r, 0, f.edge, Math.min(1, Math.max(0, f.along + shift)));
    } else xy = pointOnStreet(grid, r, 0);
    const pos = grid.projection.toLatLon(xy);
    const area = areaOf(district, pos);
    if (area === null || placed.some((p) => Math.hypot(p.x - xy.x, p.y - xy.y) < spec.minSeparationM)) continue;
    placed.push(xy);
    let u = r.next() * total;
    const cls = classes.find(([, w]) => (u -= w) < 0)?.[0] ?? classes[classes.length - 1]![0];
    const id = `sim-fx-${pad(placed.length, 3)}`;
    devices.push({
      id,
      kind: 'fixed',
      class: cls,
      sensor: SENSOR_CLASSES[cls].sensor,
      name: `Simulated ${cls} street sensor ${pad(placed.length, 3)} (simulated)`,
      lat: round6(pos.lat),
      lon: round6(pos.lon),
      channels: SENSOR_CLASSES[cls].channels,
      area: area.id,
      cadenceS: spec.cadenceS,
      phaseS: r.int(spec.cadenceS),
      dropoutRate: spec.dropoutRate,
      faults: [],
      xy,
    });
  }
  devices.push({
    id: 'sim-met-01',
    kind: 'fixed',
    class: 'met',
    sensor: 'reference',
    name: 'Simulated weather mast reporting the Guanyuan station weather (simulated)',
    ...MET_MAST_POSITION,
    channels: SENSOR_CLASSES.met.channels,
    area: areaOf(district, MET_MAST_POSITION)?.id ?? null,
    cadenceS: 3600,
    phaseS: 0,
    dropoutRate: 0,
    faults: [],
    xy: grid.projection.toXY(MET_MAST_POSITION),
  });
  for (let v = 1; v <= spec.vans; v += 1)
    devices.push({
      id: `sim-van-${pad(v, 2)}`,
      kind: 'van',
      class: 'van_tof',
      sensor: SENSOR_CLASSES.van_tof.sensor,
      name: `Simulated survey van ${pad(v, 2)} (simulated)`,
      lat: NaN,
      lon: NaN,
      channels: SENSOR_CLASSES.van_tof.channels,
      area: null,
      cadenceS: 1,
      phaseS: 0,
      dropoutRate: spec.dropoutRate,
      faults: [],
      xy: { x: 0, y: 0 },
    });
  return { devices, facilities };
}

/** Default order in which planted sources take categories. */
export const SOURCE_CATEGORY_ORDER: readonly SimFacilityCategory[] = [
  'printer',
  'restaurant',
  'body_shop',
  'fuel_station',
  'dry_cleaner',
  'construction_site',
];

/**
 * Plants `spec.count` sources at facilities of the registry, taking categories in turn.
 * @throws RangeError when the registry has too few facilities of a category
 */
export function plantSources(
  seed: number,
  facilities: readonly SimFacility[],
  spec: SourcesSpec,
  from: number,
  to: number,
): PlantedSource[] {
  const r = createRng(seed, 'sources');
  const order = spec.categories ?? SOURCE_CATEGORY_ORDER;
  const pool = new Map(order.map((c) => [c, r.shuffle(facilities.filter((f) => f.category === c))]));
  const out: PlantedSource[] = [];
  for (let i = 0; i < spec.count; i += 1) {
    const category = order[i % order.length]!;
    const f = pool.get(category)?.shift();
    if (!f) throw new RangeError(`not enough ${category} facilities for ${spec.count} sources`);
    const profile = FACILITY_PROFILES[category];
    out.push({
      id: `sim-src-${pad(i + 1, 2)}`,
      facilityId: f.id,
      category,
      lat: f.lat,
      lon: f.lon,
      xy: f.xy,
      heightM: profile.heightM,
      emissions: profile.emissions.map((e) => ({ species: e.species, rateGs: e.rateGs * (spec.rateFactor ?? 1) })),
      schedule: spec.schedule,
      onPeriods: schedulePeriods(category, spec.schedule, from, to, createRng(seed, `schedule/${f.id}`)),
    });
  }
  return out;
}

/**
 * Injects faults into fixed VOC sensors (PID, MOS, BTEX, NMHC classes), on their first channel: a bias
 * of 6 σ, a drift of 4 σ per day, both from 6 h after the start; a stuck output from 12 h for 24 h; an
 * outage from 12 h for 12 h (magnitudes ours). Returns the devices with faults set.
 */
export function injectFaults(seed: number, devices: readonly SimDevice[], spec: FaultsSpec, from: number, to: number): SimDevice[] {
  const r = createRng(seed, 'faults');
  const eligible = r.shuffle(
    devices.filter((d) => d.kind === 'fixed' && ['pid', 'mos', 'btex_gc', 'nmhc_fid'].includes(d.class)).map((d) => d.id),
  );
  const faults = new Map<string, SensorFault[]>();
  const h = 3_600_000;
  const take = (n: number | undefined, make: (d: SimDevice) => SensorFault) => {
    for (let i = 0; i < (n ?? 0); i += 1) {
      const id = eligible.shift();
      if (id === undefined) throw new RangeError('more faults requested than fixed VOC sensors');
      const d = devices.find((x) => x.id === id)!;
      faults.set(id, [make(d)]);
    }
  };
  const ch = (d: SimDevice) => d.channels[0]!;
  take(spec.bias, (d) => ({ kind: 'bias', metric: ch(d).metric, offset: 6 * ch(d).noise, from: from + 6 * h }));
  take(spec.drift, (d) => ({ kind: 'drift', metric: ch(d).metric, perDay: 4 * ch(d).noise, from: from + 6 * h }));
  take(spec.stuck, (d) => ({ kind: 'stuck', metric: ch(d).metric, from: from + 12 * h, to: Math.min(to, from + 36 * h) }));
  take(spec.outage, () => ({ kind: 'outage', from: from + 12 * h, to: Math.min(to, from + 24 * h) }));
  return devices.map((d) => (faults.has(d.id) ? { ...d, faults: faults.get(d.id)! } : d));
}

function round6(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}
