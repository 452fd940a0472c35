import type { Background, Conditions } from './background.js';
import type { XY } from './geo.js';
import { meanderProcess, sigmaThetaDeg, type MeanderProcess } from './meander.js';
import type { PlantedSource } from './network.js';
import { plumeConcentration, plumeFrame, type Terrain } from './plume.js';
import type { VOC_PER_CO } from './species.js';
import { backgroundSpecies, zeroSpecies, type SpeciesVector } from './species.js';
import { insolationOf, pasquillClass, solarElevationDeg, type StabilityClass } from './stability.js';
import { isOn } from './sources.js';

/** Weather of one instant as the plume sees it. */
export interface PlumeWeather {
  readonly conditions: Conditions;
  readonly stability: StabilityClass;
}

/** Options of the concentration field. */
export interface FieldOptions {
  readonly terrain: Terrain;
  /** Receptor (sensor inlet) height above ground, m. */
  readonly receptorHeightM: number;
  /** Position (degrees) where the sun's elevation is taken for the stability class: the district centre. */
  readonly centre: { lat: number; lon: number };
  readonly vocPerCo?: typeof VOC_PER_CO;
  /**
   * Plume meander (`meander.ts`): the scenario seed its per-source processes are drawn from, and their
   * Lagrangian time scale, s (default 300). Omitted: no meander, the steady plume of the interpolated
   * hourly wind.
   */
  readonly meander?: { readonly seed: number; readonly timescaleS?: number };
}

const RAD = Math.PI / 180;

const DAY = 86_400_000;
const CST_MS = 8 * 3_600_000;

/**
 * The simulated concentration field: the district background (real stations) plus the Gaussian plume
 * of every planted source that is on, meandering when {@link FieldOptions.meander} is set. Pure: the same
 * inputs give the same numbers, whatever the order of the calls.
 */
export class ConcentrationField {
  private readonly dayMeans = new Map<number, SpeciesVector>();
  private readonly processes = new Map<string, MeanderProcess>();

  constructor(
    private readonly background: Background,
    private readonly sources: readonly PlantedSource[],
    private readonly opts: FieldOptions,
  ) {}

  /** Background conditions and the Pasquill–Gifford class at t. */
  weather(t: number): PlumeWeather {
    const conditions = this.background.at(t);
    const stability = pasquillClass(conditions.windSpeed, insolationOf(solarElevationDeg(t, this.opts.centre.lat, this.opts.centre.lon)));
    return { conditions, stability };
  }

  /** Background species at t. */
  backgroundAt(w: PlumeWeather): SpeciesVector {
    return backgroundSpecies(w.conditions, this.opts.vocPerCo);
  }

  /** Mean background species over the local (CST) day containing t, for the adaptive MOS baseline. */
  dayBackground(t: number): SpeciesVector {
    const day = Math.floor((t + CST_MS) / DAY) * DAY - CST_MS;
    let v = this.dayMeans.get(day);
    if (!v) {
      const acc = zeroSpecies();
      let n = 0;
      for (let h = day; h < day + DAY; h += 3_600_000) {
        if (h < this.background.from || h >= this.background.to) continue;
        const b = backgroundSpecies(this.background.at(h), this.opts.vocPerCo);
        for (const k of Object.keys(acc) as (keyof SpeciesVector)[]) acc[k] += b[k];
        n += 1;
      }
      for (const k of Object.keys(acc) as (keyof SpeciesVector)[]) acc[k] /= Math.max(1, n);
      v = acc;
      this.dayMeans.set(day, v);
    }
    return v;
  }

  /** The meander process of a source (created on first use from the seed and the source id). */
  private process(s: PlantedSource, m: { readonly seed: number; readonly timescaleS?: number }): MeanderProcess {
    let p = this.processes.get(s.id);
    if (!p) {
      p = meanderProcess(m.seed, s.id, m.timescaleS);
      this.processes.set(s.id, p);
    }
    return p;
  }

  /**
   * Plume excess of one source (or of all sources when `only` is omitted) at a receptor, µg/m³ per species.
   * With meander, each source's plume follows the instantaneous wind direction, coming from
   * windFromDeg + σθ(stability) · g_source(t) degrees, and has the instantaneous spread of
   * `plumeConcentration` with σm = downwind distance × sin σθ.
   */
  excessAt(xy: XY, t: number, w: PlumeWeather, only?: PlantedSource): SpeciesVector {
    const out = zeroSpecies();
    const { windSpeed, windFromDeg } = w.conditions;
    const m = this.opts.meander;
    const sigmaTheta = m ? sigmaThetaDeg(w.stability) : 0;
    const sinSigmaTheta = Math.sin(sigmaTheta * RAD);
    for (const s of only ? [only] : this.sources) {
      if (!isOn(s.onPeriods, t)) continue;
      const from = m ? windFromDeg + sigmaTheta * this.process(s, m).at(t) : windFromDeg;
      const { downwind, crosswind } = plumeFrame(s.xy, xy, from);
      if (downwind <= 0) continue;
      const sigmaM = m ? downwind * sinSigmaTheta : undefined;
      for (const e of s.emissions) {
        const c = plumeConcentration(
          e.rateGs,
          windSpeed,
          downwind,
          crosswind,
          this.opts.receptorHeightM,
          s.heightM,
          w.stability,
          this.opts,
          sigmaM,
        );
        out[e.species] += c * 1e6;
      }
    }
    return out;
  }
}

/** Sum of two species vectors. */
export function addSpecies(a: SpeciesVector, b: SpeciesVector): SpeciesVector {
  const out = { ...a };
  for (const k of Object.keys(b) as (keyof SpeciesVector)[]) out[k] += b[k];
  return out;
}
