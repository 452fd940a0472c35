/**
 * Units and reference states (DOMAIN.md §3).
 *
 * Mixing ratios (ppb, ppm) and mass concentrations (µg/m³, mg/m³) are different quantities; the only
 * bridge between them is µg/m³ = ppb × M / Vm, with M the molar mass (g/mol) and Vm the molar volume
 * (L/mol) at the reference state. Multiplying by 1000 converts mg to µg, never ppb to µg/m³.
 */

/** Canonical unit symbols used in storage and on the wire after normalisation. */
export const UNITS = {
  ppb: 'ppb',
  ppm: 'ppm',
  ug_m3: 'µg/m³',
  mg_m3: 'mg/m³',
  index: 'index',
  count_cm3: '#/cm³',
  degC: '°C',
  percent: '%',
  hPa: 'hPa',
  kPa: 'kPa',
  Pa: 'Pa',
  m_s: 'm/s',
  km_h: 'km/h',
  deg: '°',
  mm: 'mm',
  A: 'A',
  state: 'state',
  /** A-weighted sound pressure level (construction-site noise). */
  dBA: 'dB(A)',
} as const;

/** A canonical unit symbol. */
export type Unit = (typeof UNITS)[keyof typeof UNITS];

/**
 * Spellings devices use for each unit, mapped to the canonical symbol. Matching is case-insensitive
 * after trimming; the micro sign U+00B5 and Greek mu U+03BC are both accepted, as are `3`/`³`.
 */
const UNIT_ALIASES: Record<string, Unit> = {
  ppb: UNITS.ppb,
  ppbv: UNITS.ppb,
  ppm: UNITS.ppm,
  ppmv: UNITS.ppm,
  'ug/m3': UNITS.ug_m3,
  'µg/m3': UNITS.ug_m3,
  'μg/m3': UNITS.ug_m3,
  'mg/m3': UNITS.mg_m3,
  index: UNITS.index,
  '': UNITS.index,
  '#/cm3': UNITS.count_cm3,
  '1/cm3': UNITS.count_cm3,
  'cm-3': UNITS.count_cm3,
  c: UNITS.degC,
  '°c': UNITS.degC,
  degc: UNITS.degC,
  '%': UNITS.percent,
  '%rh': UNITS.percent,
  hpa: UNITS.hPa,
  mbar: UNITS.hPa,
  kpa: UNITS.kPa,
  pa: UNITS.Pa,
  'm/s': UNITS.m_s,
  'km/h': UNITS.km_h,
  deg: UNITS.deg,
  '°': UNITS.deg,
  mm: UNITS.mm,
  a: UNITS.A,
  state: UNITS.state,
  'db(a)': UNITS.dBA,
  dba: UNITS.dBA,
};

/**
 * Parses a unit as a device wrote it.
 * @returns the canonical symbol, or `undefined` when the spelling is unknown.
 */
export function parseUnit(raw: string): Unit | undefined {
  const key = raw.trim().toLowerCase().replace(/³/g, '3').replace(/\s+/g, '');
  return UNIT_ALIASES[key];
}

/**
 * Reference states of a gas concentration.
 * - `reference`: 25 °C, 101.325 kPa; ambient air in China since the 2018 amendment of GB 3095-2012.
 * - `standard`: 273.15 K, 101.325 kPa, dry gas; emission limits (GB 18483-2001, DB11/1488-2018).
 * - `actual`: the conditions at the sensor (temperature and pressure of the sample).
 * - `none`: not a gas concentration (index, temperature, particle count...).
 */
export const REFERENCE_STATES = ['reference', 'standard', 'actual', 'none'] as const;
/** One of {@link REFERENCE_STATES}. */
export type ReferenceState = (typeof REFERENCE_STATES)[number];

/**
 * Molar volume of an ideal gas, L/mol: Vm = 22.414 × (T / 273.15) × (101.325 / P).
 * @param tempK temperature in kelvin
 * @param pressureKPa pressure in kPa
 */
export function molarVolume(tempK: number, pressureKPa: number): number {
  return 22.414 * (tempK / 273.15) * (101.325 / pressureKPa);
}

/** Molar volume at the `reference` state (25 °C, 101.325 kPa): 24.45 L/mol. */
export const VM_REFERENCE = molarVolume(298.15, 101.325);
/** Molar volume at the `standard` state (0 °C, 101.325 kPa): 22.414 L/mol. */
export const VM_STANDARD = molarVolume(273.15, 101.325);
