import type { Rng } from './prng.js';
import type { Species } from './species.js';

/** Facility categories, as the hotspot registry names them (`@voc/hotspot` FACILITY_CATEGORIES). */
export const SIM_FACILITY_CATEGORIES = [
  'restaurant',
  'printer',
  'body_shop',
  'dry_cleaner',
  'fuel_station',
  'construction_site',
  'auto_repair',
] as const;
/** One of {@link SIM_FACILITY_CATEGORIES}. */
export type SimFacilityCategory = (typeof SIM_FACILITY_CATEGORIES)[number];

/** One species a facility emits, g/s while running. */
export interface Emission {
  readonly species: Species;
  readonly rateGs: number;
}

/**
 * What a facility of each category emits when it runs, its release height and its usual hours (local
 * time, China Standard Time). The species follow DOMAIN.md §9 (print and body shops: toluene, xylene;
 * restaurants: cooking VOCs (NMHC) and particulate; gas stations: benzene and light alkanes; construction:
 * PM10; dry cleaners: tetrachloroethylene). **The rates are scenario choices of ours**, of the order of
 * small urban businesses (a print shop using 1.5 kg of solvent over an 8-hour day emits ≈ 0.05 g/s);
 * they are not measurements.
 * - `hours`: [start, end) minutes after local midnight of each running period of a day.
 * - `weekdays`: runs Monday–Friday only.
 */
export const FACILITY_PROFILES: Readonly<
  Record<
    SimFacilityCategory,
    { emissions: readonly Emission[]; heightM: number; hours: readonly (readonly [number, number])[]; weekdays: boolean }
  >
> = {
  printer: {
    emissions: [
      { species: 'toluene', rateGs: 0.05 },
      { species: 'xylene', rateGs: 0.03 },
    ],
    heightM: 5,
    hours: [[9 * 60, 18 * 60]],
    weekdays: true,
  },
  body_shop: {
    emissions: [
      { species: 'toluene', rateGs: 0.04 },
      { species: 'xylene', rateGs: 0.06 },
    ],
    heightM: 4,
    hours: [[9 * 60, 17 * 60]],
    weekdays: false,
  },
  restaurant: {
    emissions: [
      { species: 'cooking_voc', rateGs: 0.1 },
      { species: 'pm25', rateGs: 0.02 },
      { species: 'pm10', rateGs: 0.022 },
    ],
    heightM: 8,
    hours: [
      [10 * 60 + 30, 13 * 60 + 30],
      [16 * 60 + 30, 20 * 60 + 30],
    ],
    weekdays: false,
  },
  dry_cleaner: { emissions: [{ species: 'pce', rateGs: 0.02 }], heightM: 3, hours: [[8 * 60, 19 * 60]], weekdays: false },
  fuel_station: {
    emissions: [
      { species: 'benzene', rateGs: 0.005 },
      { species: 'alkanes', rateGs: 0.3 },
    ],
    heightM: 2,
    hours: [[6 * 60, 23 * 60]],
    weekdays: false,
  },
  construction_site: {
    emissions: [
      { species: 'pm10', rateGs: 0.3 },
      { species: 'pm25', rateGs: 0.045 },
    ],
    heightM: 1,
    hours: [[7 * 60, 19 * 60]],
    weekdays: false,
  },
  auto_repair: {
    emissions: [
      { species: 'toluene', rateGs: 0.01 },
      { species: 'xylene', rateGs: 0.01 },
    ],
    heightM: 3,
    hours: [[9 * 60, 18 * 60]],
    weekdays: false,
  },
};

/** Metrics in which a species shows at some sensor class (PID TVOC and MOS index see every gas). */
export const METRICS_OF_SPECIES: Readonly<Record<Species, readonly string[]>> = {
  benzene: ['benzene', 'tvoc', 'voc_index', 'nmhc'],
  toluene: ['toluene', 'tvoc', 'voc_index', 'nmhc'],
  xylene: ['xylene', 'tvoc', 'voc_index', 'nmhc'],
  pce: ['tvoc', 'voc_index'],
  cooking_voc: ['nmhc', 'tvoc', 'voc_index'],
  alkanes: ['nmhc', 'tvoc', 'voc_index'],
  pm25: ['pm25', 'pm10'],
  pm10: ['pm10'],
};

/** A period during which a source emits, epoch ms [start, end). */
export interface OnPeriod {
  readonly start: number;
  readonly end: number;
}

/** How a planted source runs: its category's usual hours, or intermittent bursts. */
export type ScheduleKind = 'usual' | 'intermittent';

const CST_MS = 8 * 3_600_000;
const DAY = 86_400_000;

/**
 * Running periods of a source over [from, to). `usual`: the category's hours (weekdays only where the
 * profile says so). `intermittent`: one burst a day of `burstMinutes` (default 120: "a print shop
 * running two hours a day") at a start drawn once per source from the category's first period.
 */
export function schedulePeriods(
  category: SimFacilityCategory,
  kind: ScheduleKind,
  from: number,
  to: number,
  rng: Rng,
  burstMinutes = 120,
): OnPeriod[] {
  const profile = FACILITY_PROFILES[category];
  const first = profile.hours[0]!;
  const burstStart = first[0] + 30 * rng.int(Math.max(1, Math.floor((first[1] - first[0] - burstMinutes) / 30) + 1));
  const periods: OnPeriod[] = [];
  for (let day = Math.floor((from + CST_MS) / DAY) * DAY - CST_MS; day < to; day += DAY) {
    const weekday = new Date(day + CST_MS).getUTCDay();
    if (kind === 'usual' && profile.weekdays && (weekday === 0 || weekday === 6)) continue;
    const hours: readonly (readonly [number, number])[] = kind === 'usual' ? profile.hours : [[burstStart, burstStart + burstMinutes]];
    for (const [a, b] of hours) {
      const start = Math.max(from, day + a * 60_000);
      const end = Math.min(to, day + b * 60_000);
      if (end > start) periods.push({ start, end });
    }
  }
  return periods;
}

/** True when t lies in one of the periods. */
export function isOn(periods: readonly OnPeriod[], t: number): boolean {
  return periods.some((p) => t >= p.start && t < p.end);
}
