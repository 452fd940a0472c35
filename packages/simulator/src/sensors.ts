import { GAS_PROPERTIES, ISOBUTYLENE_MOLAR_MASS, type SpeciesVector } from './species.js';

/**
 * Sensor classes of the simulated network (DOMAIN.md §2, §8) and what each reports. The noise figures
 * are class defaults of ours in the range DOMAIN.md §8 gives (low-cost street sensors several ppb or
 * µg/m³, analysers far below); like the registry's per-device uncertainty they are settings.
 */
export const SENSOR_CLASSES = {
  /** Street PID: TVOC, isobutylene-equivalent µg/m³ (sensor `pid`). σ 5 µg/m³ ≈ 2 ppb isobutylene. */
  pid: { sensor: 'pid', channels: [{ metric: 'tvoc', unit: 'µg/m³', noise: 5, resolution: 0.1 }] },
  /** Street metal-oxide sensor: unitless VOC index, baseline 100 (sensor `mos`). */
  mos: { sensor: 'mos', channels: [{ metric: 'voc_index', unit: 'index', noise: 3, resolution: 1 }] },
  /** Street optical particle counter: PM2.5 and PM10 µg/m³ (sensor `optical`), integer output. */
  optical: {
    sensor: 'optical',
    channels: [
      { metric: 'pm25', unit: 'µg/m³', noise: 5, resolution: 1 },
      { metric: 'pm10', unit: 'µg/m³', noise: 8, resolution: 1 },
    ],
  },
  /** Street BTEX micro gas chromatograph: benzene, toluene, xylene µg/m³ (sensor `other`). */
  btex_gc: {
    sensor: 'other',
    channels: [
      { metric: 'benzene', unit: 'µg/m³', noise: 0.3, resolution: 0.01 },
      { metric: 'toluene', unit: 'µg/m³', noise: 0.3, resolution: 0.01 },
      { metric: 'xylene', unit: 'µg/m³', noise: 0.3, resolution: 0.01 },
    ],
  },
  /** Street NMHC analyser (FID): NMHC µg/m³ at the reference state (sensor `other`). */
  nmhc_fid: { sensor: 'other', channels: [{ metric: 'nmhc', unit: 'µg/m³', noise: 10, resolution: 1 }] },
  /** Survey-van PTR-TOF-MS with an optical PM channel (sensor `tof_ms`), 1 Hz. */
  van_tof: {
    sensor: 'tof_ms',
    channels: [
      { metric: 'benzene', unit: 'µg/m³', noise: 0.2, resolution: 0.01 },
      { metric: 'toluene', unit: 'µg/m³', noise: 0.2, resolution: 0.01 },
      { metric: 'xylene', unit: 'µg/m³', noise: 0.2, resolution: 0.01 },
      { metric: 'pm25', unit: 'µg/m³', noise: 5, resolution: 1 },
    ],
  },
  /** Weather mast reporting the real station weather hourly (sensor `reference`). */
  met: {
    sensor: 'reference',
    channels: [
      { metric: 'wind_speed', unit: 'm/s', noise: 0, resolution: 0.1 },
      { metric: 'wind_dir', unit: '°', noise: 0, resolution: 0.1 },
      { metric: 'temp', unit: '°C', noise: 0, resolution: 0.1 },
      { metric: 'pressure', unit: 'hPa', noise: 0, resolution: 0.1 },
    ],
  },
} as const satisfies Record<string, { sensor: string; channels: readonly SensorChannel[] }>;

/** One reported metric of a sensor class: canonical unit, noise σ (same unit) and output resolution. */
export interface SensorChannel {
  readonly metric: string;
  readonly unit: string;
  readonly noise: number;
  readonly resolution: number;
}

/** A sensor class id. */
export type SensorClassId = keyof typeof SENSOR_CLASSES;

/** Gain of the simulated MOS index, index units per isobutylene-equivalent µg/m³ above its adaptive baseline (ours). */
export const MOS_GAIN = 1;

/** TVOC as a PID reports it, isobutylene-equivalent µg/m³: Σ cᵢ × (M_iso / Mᵢ) / CFᵢ. */
export function pidTvoc(c: SpeciesVector): number {
  let sum = 0;
  for (const [k, p] of Object.entries(GAS_PROPERTIES))
    sum += (c[k as keyof typeof GAS_PROPERTIES] * (ISOBUTYLENE_MOLAR_MASS / p.molarMass)) / p.pidCf;
  return sum;
}

/** NMHC as an FID analyser reports it, µg/m³: the mass of the hydrocarbon species. */
export function fidNmhc(c: SpeciesVector): number {
  let sum = 0;
  for (const [k, p] of Object.entries(GAS_PROPERTIES)) if (p.hydrocarbon) sum += c[k as keyof typeof GAS_PROPERTIES];
  return sum;
}

/**
 * True value of a metric for given species concentrations, before noise and faults.
 * `voc_index`: a metal-oxide sensor adapts its baseline to its recent surroundings (Sensirion SGP40 VOC
 * index: 100 = the average of the past hours), so the index is 100 + {@link MOS_GAIN} × (PID-equivalent
 * TVOC − the same for the day's mean background `dayBackground`).
 * @returns null when the metric is not a species metric (weather)
 */
export function trueMetricValue(metric: string, c: SpeciesVector, dayBackground: SpeciesVector): number | null {
  switch (metric) {
    case 'tvoc':
      return pidTvoc(c);
    case 'voc_index':
      return Math.max(0, 100 + MOS_GAIN * (pidTvoc(c) - pidTvoc(dayBackground)));
    case 'nmhc':
      return fidNmhc(c);
    case 'benzene':
    case 'toluene':
    case 'xylene':
    case 'pm25':
    case 'pm10':
      return c[metric];
    default:
      return null;
  }
}
