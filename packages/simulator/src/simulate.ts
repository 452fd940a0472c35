import { buildBackground, type Background } from './background.js';
import { streetGrid, XICHENG_DEMO_DISTRICT, type District } from './district.js';
import { faultOffset, inOutage, isStuck } from './faults.js';
import { addSpecies, ConcentrationField } from './field.js';
import { loadDefaultStations, type StationHour } from './met.js';
import {
  buildNetwork,
  injectFaults,
  plantSources,
  type FaultsSpec,
  type NetworkSpec,
  type PlantedSource,
  type SimDevice,
  type SimFacility,
  type SourcesSpec,
} from './network.js';
import type { Terrain } from './plume.js';
import { createRng, type Rng } from './prng.js';
import { trueMetricValue } from './sensors.js';
import type { SpeciesVector } from './species.js';
import { buildTruth, type GroundTruth } from './truth.js';
import { DEFAULT_VAN_DRIVING, VanRoute, type VanDriving } from './vans.js';

/** A full scenario: everything the simulation depends on besides the station data. */
export interface ScenarioSpec {
  /** Catalogue name, e.g. `sources-3`. */
  readonly name: string;
  readonly description: string;
  readonly seed: number;
  /** Start, epoch ms (must lie in the station data), and length in hours. */
  readonly start: number;
  readonly durationHours: number;
  readonly network: NetworkSpec;
  readonly sources: SourcesSpec;
  readonly faults: FaultsSpec;
  /** Street grid spacing, m (default 500). */
  readonly streetSpacingM: number;
  /** Briggs curves (default `urban`: a dense city centre). */
  readonly terrain: Terrain;
  /** Sensor inlet height, m (default 3: lamp-post mounting). */
  readonly receptorHeightM: number;
  /**
   * Plume meander (default on): each source's plume follows a seeded fluctuating wind direction
   * (`meander.ts`), so sensors near a source see a fluctuating, partly intermittent signal. Off: the
   * steady plume of the interpolated hourly wind (the simulator before meander, byte for byte).
   */
  readonly meander: boolean;
  /** Lagrangian time scale of the meander, s (default 300; `DEFAULT_MEANDER_TIMESCALE_S`). */
  readonly meanderTimescaleS: number;
  /** Survey shifts of the vans, minutes after local (CST) midnight, [start, end). */
  readonly vanShifts: readonly (readonly [number, number])[];
  readonly vanDriving: VanDriving;
  /** Grid window and H3 resolution the truth's detectability is stated for (the hotspot defaults: 60 min, 8). */
  readonly windowMinutes: number;
  readonly resolution: number;
  /** Added to every emitted time and every time of the truth, ms (default 0: the station data's own times). */
  readonly timeOffsetMs: number;
}

/**
 * One simulated reading in the shape of the wire contract (`@voc/domain` WireReading, before
 * serialisation): values in their canonical units; `gps` for vans (WGS-84, km/h, degrees).
 */
export interface SimReading {
  readonly deviceId: string;
  readonly kind: 'fixed' | 'van';
  /** Epoch ms. */
  readonly time: number;
  readonly values: readonly { readonly metric: string; readonly value: number; readonly unit: string }[];
  readonly gps?: {
    readonly lat: number;
    readonly lon: number;
    readonly speedKmh: number;
    readonly headingDeg?: number;
    readonly fix: '3d';
    readonly hdop: number;
  };
}

/** A built scenario: its registry, its truth, and its readings on demand. */
export interface Simulation {
  readonly spec: ScenarioSpec;
  readonly devices: readonly SimDevice[];
  readonly facilities: readonly SimFacility[];
  readonly sources: readonly PlantedSource[];
  readonly truth: GroundTruth;
  /**
   * Readings in time order, one chunk per fixed-sensor cadence step ([t, t + cadence)); within a chunk by
   * time, then device id. Each call starts afresh and yields the same chunks.
   */
  chunks(): Generator<SimReading[], void, undefined>;
  /** {@link Simulation.chunks} as an async iterable (for a publisher that awaits between chunks). */
  readings(): AsyncGenerator<SimReading[], void, undefined>;
}

/** Inputs besides the spec: the station data (default: the committed slice) and the district. */
export interface SimulationInputs {
  readonly stations?: readonly (readonly StationHour[])[];
  readonly district?: District;
}

const CST_MS = 8 * 3_600_000;
const DAY = 86_400_000;

function roundTo(v: number, step: number): number {
  const r = Math.round(v / step) * step;
  // Avoid binary residue such as 12.300000000000001 so the bytes are stable and readable.
  return Number(r.toFixed(Math.max(0, Math.ceil(-Math.log10(step)))));
}

/**
 * Builds a scenario: district street grid, network, facilities, planted sources, faults, the ground
 * truth, and a generator of its readings. Deterministic: the same spec and inputs give the same bytes.
 * @throws RangeError when the scenario's span is not covered by the station data, or the spec is inconsistent
 */
export function simulate(spec: ScenarioSpec, inputs: SimulationInputs = {}): Simulation {
  if (!(spec.durationHours > 0)) throw new RangeError(`durationHours must be > 0, got ${spec.durationHours}`);
  const from = spec.start;
  const to = spec.start + spec.durationHours * 3_600_000;
  const background: Background = buildBackground(inputs.stations ?? loadDefaultStations());
  if (from < background.from || to > background.to)
    throw new RangeError(
      `scenario ${spec.name} spans ${new Date(from).toISOString()} – ${new Date(to).toISOString()}, the station data ${new Date(background.from).toISOString()} – ${new Date(background.to).toISOString()}`,
    );
  const district = inputs.district ?? XICHENG_DEMO_DISTRICT;
  const grid = streetGrid(district, spec.streetSpacingM);
  const built = buildNetwork(spec.seed, district, grid, spec.network);
  const devices = injectFaults(spec.seed, built.devices, spec.faults, from, to);
  const sources = plantSources(spec.seed, built.facilities, spec.sources, from, to);
  const centre = grid.projection.origin;
  const field = new ConcentrationField(background, sources, {
    terrain: spec.terrain,
    receptorHeightM: spec.receptorHeightM,
    centre,
    ...(spec.meander ? { meander: { seed: spec.seed, timescaleS: spec.meanderTimescaleS } } : {}),
  });
  const crossings = grid.nodes.map((n) => grid.projection.toLatLon(n));
  const truth = buildTruth({ spec, from, to, district, background, devices, facilities: built.facilities, sources, field, crossings });

  function* chunks(): Generator<SimReading[], void, undefined> {
    const fixed = devices.filter((d) => d.kind === 'fixed');
    const vans = devices.filter((d) => d.kind === 'van');
    const rngs = new Map<string, Rng>(devices.map((d) => [d.id, createRng(spec.seed, `readings/${d.id}`)]));
    const last = new Map<string, number>();
    const routes = new Map(vans.map((v) => [v.id, new VanRoute(grid, createRng(spec.seed, `route/${v.id}`), spec.vanDriving)]));
    const step = spec.network.cadenceS * 1000;
    const off = spec.timeOffsetMs;
    const inShift = (t: number) => {
      const minute = ((((t + CST_MS) % DAY) + DAY) % DAY) / 60_000;
      return spec.vanShifts.some(([a, b]) => minute >= a && minute < b);
    };
    const measure = (d: SimDevice, t: number, species: SpeciesVector, rng: Rng, dayBg: SpeciesVector) => {
      const values: { metric: string; value: number; unit: string }[] = [];
      for (const ch of d.channels) {
        const key = `${d.id}|${ch.metric}`;
        const truthValue = trueMetricValue(ch.metric, species, dayBg);
        if (truthValue === null) continue;
        const noisy = truthValue + faultOffset(d.faults, ch.metric, t) + rng.normal(0, ch.noise);
        const value = isStuck(d.faults, ch.metric, t) && last.has(key) ? last.get(key)! : roundTo(noisy, ch.resolution);
        last.set(key, value);
        values.push({ metric: ch.metric, value, unit: ch.unit });
      }
      return values;
    };
    for (let t0 = Math.ceil(from / step) * step; t0 < to; t0 += step) {
      const out: SimReading[] = [];
      for (const d of fixed) {
        const t = t0 + d.phaseS * 1000;
        if (t >= to || (d.cadenceS * 1000 !== step && t % (d.cadenceS * 1000) !== 0)) continue;
        const rng = rngs.get(d.id)!;
        if (inOutage(d.faults, t) || rng.chance(d.dropoutRate)) continue;
        const w = field.weather(t);
        if (d.class === 'met') {
          const c = w.conditions;
          out.push({
            deviceId: d.id,
            kind: 'fixed',
            time: t + off,
            values: [
              { metric: 'wind_speed', value: roundTo(c.windSpeed, 0.1), unit: 'm/s' },
              { metric: 'wind_dir', value: roundTo(c.windFromDeg, 0.1) % 360, unit: '°' },
              { metric: 'temp', value: roundTo(c.temp, 0.1), unit: '°C' },
              { metric: 'pressure', value: roundTo(c.pressure, 0.1), unit: 'hPa' },
            ],
          });
          continue;
        }
        const species = addSpecies(field.backgroundAt(w), field.excessAt(d.xy, t, w));
        const values = measure(d, t, species, rng, field.dayBackground(t));
        if (values.length) out.push({ deviceId: d.id, kind: 'fixed', time: t + off, values });
      }
      for (const v of vans) {
        const route = routes.get(v.id)!;
        const rng = rngs.get(v.id)!;
        for (let t = t0; t < Math.min(t0 + step, to); t += 1000) {
          if (!inShift(t)) continue;
          if (!inShift(t - 1000)) route.restart();
          const fix = route.fixAt(t);
          if (rng.chance(v.dropoutRate)) continue;
          const xy = grid.projection.toXY(fix);
          const w = field.weather(t);
          const values = measure(v, t, addSpecies(field.backgroundAt(w), field.excessAt(xy, t, w)), rng, field.dayBackground(t));
          out.push({
            deviceId: v.id,
            kind: 'van',
            time: t + off,
            values,
            gps: {
              lat: roundTo(fix.lat, 1e-6),
              lon: roundTo(fix.lon, 1e-6),
              speedKmh: roundTo(fix.speedKmh, 0.1),
              ...(fix.headingDeg === null ? {} : { headingDeg: roundTo(fix.headingDeg, 0.1) % 360 }),
              fix: '3d',
              hdop: 0.9,
            },
          });
        }
      }
      out.sort((a, b) => a.time - b.time || (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0));
      yield out;
    }
  }

  return {
    spec,
    devices,
    facilities: built.facilities,
    sources,
    truth,
    chunks,
    async *readings() {
      for (const c of chunks()) yield await Promise.resolve(c);
    },
  };
}

/** Default van driving, re-exported for specs. */
export { DEFAULT_VAN_DRIVING };
