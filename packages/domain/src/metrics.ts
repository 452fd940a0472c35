import { UNITS, type ReferenceState, type Unit } from './units.js';

/**
 * Physical family of a metric, which decides how its units convert.
 * - `gas`: mixing ratio or mass concentration of a gas; ppb ↔ µg/m³ needs `molarMass`.
 * - `particulate`: mass concentration only (µg/m³, mg/m³).
 * - `index`: unitless sensor response (MOS); never converted, never mixed with concentrations.
 * - `count`: number concentration (#/cm³).
 * - `meteo`: temperature, humidity, pressure, wind, rain.
 * - `equipment`: fume-monitor currents and states.
 * - `acoustic`: sound levels (construction-site noise), never converted.
 */
export type MetricFamily = 'gas' | 'particulate' | 'index' | 'count' | 'meteo' | 'equipment' | 'acoustic';

/**
 * One metric of the catalogue.
 * - `unit`: canonical unit in storage.
 * - `refState`: reference state of the canonical value (`none` when not a gas concentration).
 * - `molarMass`: g/mol, for ppb ↔ µg/m³; absent when the metric has no single molar mass (NMHC, TVOC by MOS).
 * - `range`: physical range in the canonical unit; a value outside it is rejected (`value_out_of_range`).
 *   Lower bounds below zero tolerate instrument noise around zero; such values are stored with QA `suspect`.
 */
export interface MetricDef {
  readonly id: string;
  readonly label: string;
  readonly family: MetricFamily;
  readonly unit: Unit;
  readonly refState: ReferenceState;
  readonly molarMass?: number;
  readonly range: readonly [number, number];
  /** True for the metrics the hotspot grid evaluates by default. */
  readonly hotspot?: boolean;
}

// Molar masses: IUPAC standard atomic weights (CRC Handbook of Chemistry and Physics).
// TVOC by PID is isobutylene-equivalent (C4H8, 56.106 g/mol) by the usual calibration (DOMAIN.md §2).
const defs = [
  {
    id: 'tvoc',
    label: 'TVOC (PID, isobutylene-equivalent)',
    family: 'gas',
    unit: UNITS.ug_m3,
    refState: 'reference',
    molarMass: 56.106,
    range: [-50, 1e6],
    hotspot: true,
  },
  {
    id: 'voc_index',
    label: 'VOC index (metal-oxide sensor response, unitless)',
    family: 'index',
    unit: UNITS.index,
    refState: 'none',
    range: [0, 1e5],
    hotspot: true,
  },
  {
    id: 'nmhc',
    label: 'Non-methane hydrocarbons',
    family: 'gas',
    unit: UNITS.ug_m3,
    refState: 'reference',
    range: [-50, 1e6],
    hotspot: true,
  },
  {
    id: 'benzene',
    label: 'Benzene C6H6',
    family: 'gas',
    unit: UNITS.ug_m3,
    refState: 'reference',
    molarMass: 78.112,
    range: [-5, 1e5],
    hotspot: true,
  },
  {
    id: 'toluene',
    label: 'Toluene C7H8',
    family: 'gas',
    unit: UNITS.ug_m3,
    refState: 'reference',
    molarMass: 92.139,
    range: [-5, 1e5],
    hotspot: true,
  },
  {
    id: 'xylene',
    label: 'Xylenes C8H10',
    family: 'gas',
    unit: UNITS.ug_m3,
    refState: 'reference',
    molarMass: 106.165,
    range: [-5, 1e5],
    hotspot: true,
  },
  { id: 'co', label: 'Carbon monoxide', family: 'gas', unit: UNITS.mg_m3, refState: 'reference', molarMass: 28.01, range: [-1, 1000] },
  { id: 'no2', label: 'Nitrogen dioxide', family: 'gas', unit: UNITS.ug_m3, refState: 'reference', molarMass: 46.0055, range: [-10, 1e5] },
  {
    id: 'nox',
    label: 'Nitrogen oxides (as NO2)',
    family: 'gas',
    unit: UNITS.ug_m3,
    refState: 'reference',
    molarMass: 46.0055,
    range: [-10, 1e5],
  },
  { id: 'so2', label: 'Sulfur dioxide', family: 'gas', unit: UNITS.ug_m3, refState: 'reference', molarMass: 64.066, range: [-10, 1e5] },
  { id: 'o3', label: 'Ozone', family: 'gas', unit: UNITS.ug_m3, refState: 'reference', molarMass: 47.998, range: [-10, 1e5] },
  { id: 'co2', label: 'Carbon dioxide', family: 'gas', unit: UNITS.ppm, refState: 'none', molarMass: 44.009, range: [0, 1e5] },
  { id: 'pm25', label: 'PM2.5', family: 'particulate', unit: UNITS.ug_m3, refState: 'none', range: [-10, 1e5], hotspot: true },
  { id: 'pm10', label: 'PM10', family: 'particulate', unit: UNITS.ug_m3, refState: 'none', range: [-10, 1e5] },
  // Construction-site dust monitors (HJ 212 ST=39, a34001; SPEC-NOTES §7).
  { id: 'tsp', label: 'Total suspended particulate (TSP)', family: 'particulate', unit: UNITS.ug_m3, refState: 'none', range: [-10, 1e5] },
  // A-weighted equivalent sound level; 0–140 dB(A) covers every site meter (GB 12523-2011 limits are 70/55 dB(A)).
  { id: 'noise_laeq', label: 'A-weighted sound level (LAeq)', family: 'acoustic', unit: UNITS.dBA, refState: 'none', range: [0, 140] },
  { id: 'bc', label: 'Black carbon', family: 'particulate', unit: UNITS.ug_m3, refState: 'none', range: [-100, 1e4] },
  { id: 'ufp', label: 'Ultrafine particle number', family: 'count', unit: UNITS.count_cm3, refState: 'none', range: [0, 1e8] },
  {
    id: 'oil_fume',
    label: 'Cooking oil fume (emission, standard state)',
    family: 'particulate',
    unit: UNITS.mg_m3,
    refState: 'standard',
    range: [0, 1000],
  },
  {
    id: 'fume_pm',
    label: 'Particulate in cooking exhaust (standard state)',
    family: 'particulate',
    unit: UNITS.mg_m3,
    refState: 'standard',
    range: [0, 1000],
  },
  {
    id: 'fume_nmhc',
    label: 'NMHC in cooking exhaust (standard state)',
    family: 'gas',
    unit: UNITS.mg_m3,
    refState: 'standard',
    range: [0, 10000],
  },
  { id: 'fan_current', label: 'Exhaust fan current', family: 'equipment', unit: UNITS.A, refState: 'none', range: [0, 1000] },
  { id: 'purifier_current', label: 'Fume purifier current', family: 'equipment', unit: UNITS.A, refState: 'none', range: [0, 1000] },
  { id: 'fan_state', label: 'Exhaust fan state (0 off, 1 on)', family: 'equipment', unit: UNITS.state, refState: 'none', range: [0, 1] },
  {
    id: 'purifier_state',
    label: 'Fume purifier state (0 off, 1 on)',
    family: 'equipment',
    unit: UNITS.state,
    refState: 'none',
    range: [0, 1],
  },
  { id: 'flue_temp', label: 'Flue gas temperature', family: 'meteo', unit: UNITS.degC, refState: 'none', range: [-50, 600] },
  { id: 'temp', label: 'Air temperature', family: 'meteo', unit: UNITS.degC, refState: 'none', range: [-60, 70] },
  { id: 'rh', label: 'Relative humidity', family: 'meteo', unit: UNITS.percent, refState: 'none', range: [0, 100] },
  { id: 'dew_point', label: 'Dew point', family: 'meteo', unit: UNITS.degC, refState: 'none', range: [-80, 50] },
  { id: 'pressure', label: 'Air pressure', family: 'meteo', unit: UNITS.hPa, refState: 'none', range: [300, 1100] },
  { id: 'wind_speed', label: 'Wind speed', family: 'meteo', unit: UNITS.m_s, refState: 'none', range: [0, 75] },
  {
    id: 'wind_dir',
    label: 'Wind direction (from, degrees clockwise from north)',
    family: 'meteo',
    unit: UNITS.deg,
    refState: 'none',
    range: [0, 360],
  },
  { id: 'rain', label: 'Precipitation', family: 'meteo', unit: UNITS.mm, refState: 'none', range: [0, 500] },
] as const satisfies readonly MetricDef[];

/** Metric id, e.g. `tvoc`, `benzene`, `voc_index`. */
export type MetricId = (typeof defs)[number]['id'];

/** The metric catalogue, by id. */
export const METRICS: Readonly<Record<MetricId, MetricDef>> = Object.freeze(
  Object.fromEntries(defs.map((d) => [d.id, d as MetricDef])) as Record<MetricId, MetricDef>,
);

/** All metric ids in catalogue order. */
export const METRIC_IDS: MetricId[] = defs.map((d) => d.id);

/** Type guard for a metric id. */
export function isMetricId(id: string): id is MetricId {
  return Object.prototype.hasOwnProperty.call(METRICS, id);
}
