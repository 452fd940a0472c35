import { DEFAULT_MEANDER_TIMESCALE_S } from './meander.js';
import type { NetworkSpec } from './network.js';
import type { ScenarioSpec } from './simulate.js';
import { DEFAULT_VAN_DRIVING } from './vans.js';

/** Names of the detection benchmark's scenarios (issue 10). */
export const SCENARIO_NAMES = [
  'noise-only',
  'regional-episode',
  'sources-1',
  'sources-3',
  'sources-10',
  'intermittent-sources',
  'biased-sensor',
  'drifting-sensor',
  'van-only',
] as const;
/** One of {@link SCENARIO_NAMES}. */
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** 2016-12-`day` `hour`:00 China Standard Time as epoch ms. */
function dec2016(day: number, hour = 0): number {
  return Date.UTC(2016, 11, day, hour) - 8 * 3_600_000;
}

/**
 * Default street network: 200 fixed sensors along the streets, one reading a minute, 1 % of readings
 * lost, ≥ 150 m apart, 60 of them sited 30–100 m from a facility; class mix PID 40 %, MOS 15 %, optical PM 15 %, BTEX GC 15 %, NMHC FID 15 %;
 * 3 survey vans; 84 facilities (12 of each category). All ours.
 */
export const DEFAULT_NETWORK: NetworkSpec = Object.freeze({
  fixedSensors: 200,
  classMix: Object.freeze({ pid: 40, mos: 15, optical: 15, btex_gc: 15, nmhc_fid: 15 }),
  cadenceS: 60,
  dropoutRate: 0.01,
  minSeparationM: 150,
  sitedNearFacilities: 60,
  vans: 3,
  facilities: 84,
});

/**
 * The fixed catalogue. Start times pick real weather from the committed slice (December 2016,
 * Xicheng stations, local time): `noise-only` starts on 13 December 06:00, after an episode ended and
 * 2.5 days before the next (district PM2.5 daily means 25–50 µg/m³); the source and sensor scenarios on
 * 26 December 00:00 (daily means 40–70 µg/m³; the truth lists the short episodes at its edges);
 * `regional-episode` on 16 December 00:00, before the 16–22 December 2016 heavy-pollution episode
 * (district PM2.5 above 150 µg/m³ from 17 December 12:00 to 22 December 04:00, peak 532 µg/m³). Durations default to 48 h and can be
 * changed; the committed slice ends 2016-12-31 23:00 CST (longer spans need the full station files).
 */
const CATALOGUE: Readonly<Record<ScenarioName, { description: string; day: number; hour?: number; patch: Partial<ScenarioSpec> }>> = {
  'noise-only': { description: 'simulated street network with noise only: no sources, no faults', day: 13, hour: 6, patch: {} },
  'regional-episode': {
    description: 'simulated street network during the real 16-22 December 2016 regional episode: no sources, no faults',
    day: 16,
    patch: {},
  },
  'sources-1': {
    description: 'one simulated print shop running its usual hours',
    day: 26,
    patch: { sources: { count: 1, schedule: 'usual' } },
  },
  'sources-3': {
    description: 'three simulated sources (print shop, restaurant, body shop) running their usual hours',
    day: 26,
    patch: { sources: { count: 3, schedule: 'usual' } },
  },
  'sources-10': {
    description: 'ten simulated sources of every category running their usual hours',
    day: 26,
    patch: { sources: { count: 10, schedule: 'usual' } },
  },
  'intermittent-sources': {
    description: 'four simulated sources running two hours a day each',
    day: 26,
    patch: { sources: { count: 4, schedule: 'intermittent', categories: ['printer', 'body_shop', 'restaurant', 'fuel_station'] } },
  },
  'biased-sensor': {
    description: 'three simulated sensors reading high by 6 sigma and one stuck, no sources',
    day: 26,
    patch: { faults: { bias: 3, stuck: 1 } },
  },
  'drifting-sensor': {
    description: 'three simulated sensors drifting upwards by 4 sigma a day and one outage, no sources',
    day: 26,
    patch: { faults: { drift: 3, outage: 1 } },
  },
  'van-only': {
    description: 'three simulated sources seen only by four survey vans (no fixed VOC sensors)',
    day: 26,
    patch: {
      network: { ...DEFAULT_NETWORK, fixedSensors: 0, vans: 4 },
      sources: { count: 3, schedule: 'usual', categories: ['printer', 'body_shop', 'fuel_station'] },
    },
  },
};

/** Options of {@link scenario}. */
export interface ScenarioOptions {
  /** Length, hours (default 48). */
  readonly durationHours?: number;
  /** Seed (default 20161201). */
  readonly seed?: number;
  /** Shift of every emitted time, ms (default 0). */
  readonly timeOffsetMs?: number;
}

/**
 * The spec of a catalogue scenario.
 * @throws RangeError for an unknown name
 */
export function scenario(name: ScenarioName, opts: ScenarioOptions = {}): ScenarioSpec {
  const entry = (CATALOGUE as Record<string, (typeof CATALOGUE)[ScenarioName] | undefined>)[name];
  if (!entry) throw new RangeError(`unknown scenario ${name}; known: ${SCENARIO_NAMES.join(', ')}`);
  return {
    name,
    description: `SIMULATED: ${entry.description}`,
    seed: opts.seed ?? 20161201,
    start: dec2016(entry.day, entry.hour),
    durationHours: opts.durationHours ?? 48,
    network: DEFAULT_NETWORK,
    sources: { count: 0, schedule: 'usual' },
    faults: {},
    streetSpacingM: 500,
    terrain: 'urban',
    receptorHeightM: 3,
    meander: true,
    meanderTimescaleS: DEFAULT_MEANDER_TIMESCALE_S,
    vanShifts: [
      [9 * 60, 11 * 60 + 30],
      [14 * 60, 16 * 60 + 30],
    ],
    vanDriving: DEFAULT_VAN_DRIVING,
    windowMinutes: 60,
    resolution: 8,
    timeOffsetMs: opts.timeOffsetMs ?? 0,
    ...entry.patch,
  };
}
