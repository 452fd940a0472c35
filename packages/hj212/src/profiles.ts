import { METRICS, UNITS, isMetricId, type MetricId } from '@voc/domain';

/** A metric an observation can carry: a catalogue metric (packages/domain `metrics.ts`; TSP and noise are there since dust monitors joined). */
export type ObservationMetric = MetricId;

/** How one factor code (or bare CP item) of a device maps to a metric. */
export interface FactorMapping {
  readonly metric: ObservationMetric;
  /** The unit the DEVICE sends this factor in (packets carry no units, SPEC-NOTES §8.4). */
  readonly unit: string;
  /** Value fields to read, in preference; default by command (2011: Rtd; 2051/2061/2031: Avg, then Rtd). */
  readonly fields?: readonly string[];
}

/** A device's factor profile: factor codes (`code-Field=`) and bare items (`FANSTATUS=`) to metrics. */
export interface FactorProfile {
  readonly id: string;
  readonly factors: Readonly<Record<string, FactorMapping>>;
  readonly items: Readonly<Record<string, FactorMapping>>;
}

/** Overrides for {@link defineProfile}: add or replace codes, or remove inherited ones. */
export interface ProfileOverrides {
  readonly id: string;
  readonly factors?: Readonly<Record<string, FactorMapping>>;
  readonly items?: Readonly<Record<string, FactorMapping>>;
  readonly remove?: readonly string[];
}

/** Canonical unit of a metric (its catalogue unit). */
export function metricUnit(metric: ObservationMetric): string {
  return METRICS[metric].unit;
}

/**
 * Derives a vendor or device profile from a base one. Throws `TypeError` on a metric outside the
 * catalogue or a unit that cannot convert to the metric's unit (checked at configuration time).
 */
export function defineProfile(base: FactorProfile | undefined, o: ProfileOverrides): FactorProfile {
  const factors: Record<string, FactorMapping> = { ...(base?.factors ?? {}), ...(o.factors ?? {}) };
  const items: Record<string, FactorMapping> = { ...(base?.items ?? {}), ...(o.items ?? {}) };
  for (const k of o.remove ?? []) {
    delete factors[k];
    delete items[k];
  }
  for (const [code, m] of [...Object.entries(factors), ...Object.entries(items)]) {
    if (!isMetricId(m.metric)) throw new TypeError(`profile ${o.id}: ${code} maps to unknown metric ${String(m.metric)}`);
    if (unitFactor(m.unit, metricUnit(m.metric)) === undefined)
      throw new TypeError(`profile ${o.id}: ${code} unit ${m.unit} does not convert to ${metricUnit(m.metric)}`);
  }
  return Object.freeze({ id: o.id, factors: Object.freeze(factors), items: Object.freeze(items) });
}

const SCALE: Record<string, readonly [string, number]> = {
  'mg/m³': ['mass', 1000],
  'µg/m³': ['mass', 1],
  kPa: ['pressure', 10],
  hPa: ['pressure', 1],
  Pa: ['pressure', 0.01],
};

/** Multiplier from `from` to `to`, or `undefined` when they do not convert (e.g. ppb to µg/m³ needs a molar mass). */
export function unitFactor(from: string, to: string): number | undefined {
  if (from === to) return 1;
  const a = SCALE[from];
  const b = SCALE[to];
  if (a === undefined || b === undefined || a[0] !== b[0]) return undefined;
  return a[1] / b[1];
}

const meteo: Record<string, FactorMapping> = {
  a01001: { metric: 'temp', unit: UNITS.degC },
  a01002: { metric: 'rh', unit: UNITS.percent },
  a01006: { metric: 'pressure', unit: UNITS.kPa },
  a01007: { metric: 'wind_speed', unit: UNITS.m_s },
  a01008: { metric: 'wind_dir', unit: UNITS.deg },
};

/**
 * Ambient air-quality stations (ST=22), HJ 212-2017 codes (SPEC-NOTES §7). Ambient stations report
 * gases and PM in µg/m³ and CO in mg/m³ (the transcribed table's mg/m³ is for sources; the PM
 * "ng/m³" of the transcription is taken as µg/m³).
 */
export const PROFILE_AIR_QUALITY: FactorProfile = defineProfile(undefined, {
  id: 'hj212-air-quality',
  factors: {
    ...meteo,
    a21002: { metric: 'nox', unit: UNITS.ug_m3 },
    a21004: { metric: 'no2', unit: UNITS.ug_m3 },
    a21005: { metric: 'co', unit: UNITS.mg_m3 },
    a21026: { metric: 'so2', unit: UNITS.ug_m3 },
    a05024: { metric: 'o3', unit: UNITS.ug_m3 },
    a34002: { metric: 'pm10', unit: UNITS.ug_m3 },
    a34004: { metric: 'pm25', unit: UNITS.ug_m3 },
    a24088: { metric: 'nmhc', unit: UNITS.mg_m3 },
    a25002: { metric: 'benzene', unit: UNITS.mg_m3 },
    a25003: { metric: 'toluene', unit: UNITS.mg_m3 },
    a25005: { metric: 'xylene', unit: UNITS.mg_m3 },
  },
});

/**
 * Construction-site dust monitors (ST=39): a34001 TSP, a34002 PM10, a34004 PM2.5 (µg/m³) and `LA`
 * (A-weighted sound level, dB(A); seen in public dust-monitor code, not verified against the
 * standard's table), plus weather.
 */
export const PROFILE_DUST: FactorProfile = defineProfile(undefined, {
  id: 'hj212-dust',
  factors: {
    ...meteo,
    a34001: { metric: 'tsp', unit: UNITS.ug_m3 },
    a34002: { metric: 'pm10', unit: UNITS.ug_m3 },
    a34004: { metric: 'pm25', unit: UNITS.ug_m3 },
    LA: { metric: 'noise_laeq', unit: UNITS.dBA },
  },
});

/**
 * Restaurant fume monitors (ST=51 in practice). The 2017 table has no code for cooking fume, fan or
 * purifier (SPEC-NOTES §7): the defaults are a24088 NMHC and a01012 flue temperature (standard codes)
 * and a34041 fume / a34000 particulate (one public test client; unverified). Real devices need a
 * vendor profile (see `PROFILE_FUME_VENDOR_CONC`).
 */
export const PROFILE_FUME: FactorProfile = defineProfile(undefined, {
  id: 'hj212-fume',
  factors: {
    a24088: { metric: 'fume_nmhc', unit: UNITS.mg_m3 },
    a01012: { metric: 'flue_temp', unit: UNITS.degC },
    a34041: { metric: 'oil_fume', unit: UNITS.mg_m3 },
    a34000: { metric: 'fume_pm', unit: UNITS.mg_m3 },
  },
});

/**
 * Vendor codes of the one public cooking-fume packet (`issue6-cooking-fume-st51`): `CONC` fume
 * concentration (mg/m³), `S03` flue temperature (2005 code), bare `FANSTATUS` / `PURIFYSTATUS` states
 * (0/1). `FANAD` / `PURIFYAD` / `CONCAD` are raw analog readings of unknown scale: left unmapped.
 */
export const PROFILE_FUME_VENDOR_CONC: FactorProfile = defineProfile(PROFILE_FUME, {
  id: 'vendor-conc-fume',
  factors: {
    CONC: { metric: 'oil_fume', unit: UNITS.mg_m3 },
    S03: { metric: 'flue_temp', unit: UNITS.degC },
  },
  items: {
    FANSTATUS: { metric: 'fan_state', unit: UNITS.state },
    PURIFYSTATUS: { metric: 'purifier_state', unit: UNITS.state },
  },
});

/**
 * The project's simulated fume monitors (tools `hj212-sim`; not a real vendor): the standard-ish codes
 * of {@link PROFILE_FUME}, the fan and purifier states of {@link PROFILE_FUME_VENDOR_CONC}, and two
 * made-up current codes `FANI` / `PURI` (A). A real vendor's profile is defined the same way.
 */
export const PROFILE_SIM_FUME: FactorProfile = defineProfile(PROFILE_FUME_VENDOR_CONC, {
  id: 'sim-fume',
  factors: {
    FANI: { metric: 'fan_current', unit: UNITS.A },
    PURI: { metric: 'purifier_current', unit: UNITS.A },
  },
});

/** Default profile by system code: 39 dust, 51 fume, anything else air quality. */
export function profileForSystem(st: string): FactorProfile {
  if (st === '39') return PROFILE_DUST;
  if (st === '51') return PROFILE_FUME;
  return PROFILE_AIR_QUALITY;
}

/** The built-in profiles by id: the names a logger's registry entry (`hj212_devices.profile`) may use. */
export const PROFILES: Readonly<Record<string, FactorProfile>> = Object.freeze({
  [PROFILE_AIR_QUALITY.id]: PROFILE_AIR_QUALITY,
  [PROFILE_DUST.id]: PROFILE_DUST,
  [PROFILE_FUME.id]: PROFILE_FUME,
  [PROFILE_FUME_VENDOR_CONC.id]: PROFILE_FUME_VENDOR_CONC,
  [PROFILE_SIM_FUME.id]: PROFILE_SIM_FUME,
});

/** A built-in profile by id, or `undefined`. */
export function profileById(id: string): FactorProfile | undefined {
  return Object.prototype.hasOwnProperty.call(PROFILES, id) ? PROFILES[id] : undefined;
}
