import type { Conditions } from './background.js';

/**
 * What the simulated air carries. Plumes and backgrounds are computed per species, in µg/m³ at the
 * reference state; sensor classes turn species into the metrics they report (`sensors.ts`).
 * - `benzene`, `toluene`, `xylene`, `pce` (tetrachloroethylene, dry cleaning): single compounds.
 * - `cooking_voc`: the non-methane organic gases of cooking (aldehydes, alkanes, alkenes) as one lump.
 * - `alkanes`: light alkanes of petrol vapour (butanes, pentanes) as one lump.
 * - `pm25`, `pm10`: particulate mass (PM10 includes PM2.5).
 */
export const SPECIES = ['benzene', 'toluene', 'xylene', 'pce', 'cooking_voc', 'alkanes', 'pm25', 'pm10'] as const;
/** One of {@link SPECIES}. */
export type Species = (typeof SPECIES)[number];

/** Concentrations per species, µg/m³. */
export type SpeciesVector = Record<Species, number>;

/** A vector of zeros. */
export function zeroSpecies(): SpeciesVector {
  return { benzene: 0, toluene: 0, xylene: 0, pce: 0, cooking_voc: 0, alkanes: 0, pm25: 0, pm10: 0 };
}

/**
 * Gas properties for the PID response: molar mass (g/mol; IUPAC atomic weights, as in
 * `@voc/domain` metrics) and the PID correction factor against isobutylene for a 10.6 eV lamp (RAE
 * Systems Technical Note TN-106; m-xylene 0.43 as in DOMAIN.md §2). The lumps take representative values:
 * `cooking_voc` M 100, CF 2 (ours: aldehydes and alkanes respond weakly); `alkanes` as n-pentane (M 72.15,
 * CF 8.4). `hydrocarbon`: counted in NMHC (tetrachloroethylene is not a hydrocarbon).
 */
export const GAS_PROPERTIES: Readonly<
  Record<Exclude<Species, 'pm25' | 'pm10'>, { molarMass: number; pidCf: number; hydrocarbon: boolean }>
> = {
  benzene: { molarMass: 78.112, pidCf: 0.53, hydrocarbon: true },
  toluene: { molarMass: 92.139, pidCf: 0.5, hydrocarbon: true },
  xylene: { molarMass: 106.165, pidCf: 0.43, hydrocarbon: true },
  pce: { molarMass: 165.83, pidCf: 0.57, hydrocarbon: false },
  cooking_voc: { molarMass: 100, pidCf: 2, hydrocarbon: true },
  alkanes: { molarMass: 72.15, pidCf: 8.4, hydrocarbon: true },
};

/** Isobutylene molar mass, g/mol (C4H8; the PID calibration gas, `tvoc` in `@voc/domain`). */
export const ISOBUTYLENE_MOLAR_MASS = 56.106;

/**
 * Urban background of each VOC species per mg/m³ of CO, µg/m³ per mg/m³ (ours). The Beijing stations do
 * not measure VOCs; traffic emits VOCs and CO together, so the VOC background follows the stations' real
 * CO (its diurnal cycle and episodes) at fixed ratios of the order of urban VOC/CO ratios (e.g. Baker
 * et al. 2008, *Atmos. Environ.* 42:170, for 28 US cities). With CO at 1 mg/m³: benzene 1.5, toluene 3,
 * xylene 2 µg/m³, NMHC ≈ 87 µg/m³. A setting of the scenario.
 */
export const VOC_PER_CO: Readonly<Record<Exclude<Species, 'pm25' | 'pm10'>, number>> = {
  benzene: 1.5,
  toluene: 3,
  xylene: 2,
  pce: 0.1,
  cooking_voc: 20,
  alkanes: 60,
};

/** Background species at the given conditions: PM from the stations, VOCs from CO × {@link VOC_PER_CO}. */
export function backgroundSpecies(
  c: Conditions,
  ratios: Readonly<Record<Exclude<Species, 'pm25' | 'pm10'>, number>> = VOC_PER_CO,
): SpeciesVector {
  return {
    benzene: ratios.benzene * c.coMgM3,
    toluene: ratios.toluene * c.coMgM3,
    xylene: ratios.xylene * c.coMgM3,
    pce: ratios.pce * c.coMgM3,
    cooking_voc: ratios.cooking_voc * c.coMgM3,
    alkanes: ratios.alkanes * c.coMgM3,
    pm25: c.pm25,
    pm10: c.pm10,
  };
}
