import type { StabilityClass } from './stability.js';

/**
 * Gaussian plume dispersion (DOMAIN.md §9): the standard screening model with ground reflection,
 *
 *   C(x, y, z) = Q / (2π u σy σz) · exp(−y² / 2σy²) · [exp(−(z − H)² / 2σz²) + exp(−(z + H)² / 2σz²)]
 *
 * (Turner 1970, *Workbook of Atmospheric Dispersion Estimates*, US EPA AP-26; Hanna, Briggs & Hosker 1982,
 * *Handbook on Atmospheric Diffusion*, DOE/TIC-11223, eq. 4.1), with σy, σz from Briggs (1973,
 * *Diffusion estimation for small emissions*, ATDL-106), urban (St. Louis) or open-country curves, as
 * tabulated in Hanna et al. 1982 and in Seinfeld & Pandis, *Atmospheric Chemistry and Physics* (chapter on
 * atmospheric diffusion). The curves are fitted for 100 m < x < 10 km; closer than that they are
 * extrapolated, and we never evaluate closer than {@link PlumeOptions.minDownwindM}.
 */

/** Briggs parameterisation: `urban` (McElroy–Pooler St. Louis data) or `rural` (open country). */
export type Terrain = 'urban' | 'rural';

/** Plume spreads at downwind distance x, m. */
export interface Sigmas {
  readonly sy: number;
  readonly sz: number;
}

type Base = 'A' | 'B' | 'C' | 'D' | 'E' | 'F';

function briggs(x: number, c: Base, terrain: Terrain): Sigmas {
  if (terrain === 'urban') {
    const a = 1 / Math.sqrt(1 + 0.0004 * x);
    switch (c) {
      case 'A':
      case 'B':
        return { sy: 0.32 * x * a, sz: 0.24 * x * Math.sqrt(1 + 0.001 * x) };
      case 'C':
        return { sy: 0.22 * x * a, sz: 0.2 * x };
      case 'D':
        return { sy: 0.16 * x * a, sz: (0.14 * x) / Math.sqrt(1 + 0.0003 * x) };
      case 'E':
      case 'F':
        return { sy: 0.11 * x * a, sz: (0.08 * x) / Math.sqrt(1 + 0.0015 * x) };
    }
  }
  const a = 1 / Math.sqrt(1 + 0.0001 * x);
  switch (c) {
    case 'A':
      return { sy: 0.22 * x * a, sz: 0.2 * x };
    case 'B':
      return { sy: 0.16 * x * a, sz: 0.12 * x };
    case 'C':
      return { sy: 0.11 * x * a, sz: (0.08 * x) / Math.sqrt(1 + 0.0002 * x) };
    case 'D':
      return { sy: 0.08 * x * a, sz: (0.06 * x) / Math.sqrt(1 + 0.0015 * x) };
    case 'E':
      return { sy: 0.06 * x * a, sz: (0.03 * x) / (1 + 0.0003 * x) };
    case 'F':
      return { sy: 0.04 * x * a, sz: (0.016 * x) / (1 + 0.0003 * x) };
  }
}

/**
 * Briggs (1973) σy and σz, m, at downwind distance x (m) for a stability class. An intermediate class
 * of the Pasquill table (A-B, B-C, C-D) takes the geometric mean of its two neighbours' spreads (ours).
 * @throws RangeError when x ≤ 0
 */
export function briggsSigmas(x: number, stability: StabilityClass, terrain: Terrain): Sigmas {
  if (!(x > 0)) throw new RangeError(`downwind distance must be > 0 m, got ${x}`);
  if (stability.length === 1) return briggs(x, stability as Base, terrain);
  const [p, q] = stability.split('-') as [Base, Base];
  const a = briggs(x, p, terrain);
  const b = briggs(x, q, terrain);
  return { sy: Math.sqrt(a.sy * b.sy), sz: Math.sqrt(a.sz * b.sz) };
}

/** Options of {@link plumeConcentration}. */
export interface PlumeOptions {
  readonly terrain: Terrain;
  /** Receptors closer downwind than this are evaluated at this distance, m (default 20; ours). */
  readonly minDownwindM?: number;
  /** Wind speeds below this are raised to it, m/s (default 1: the model fails in calms, DOMAIN.md §9). */
  readonly minWindMs?: number;
}

/**
 * Smallest instantaneous lateral spread under meander, as a fraction of the time-averaged σy (0.3; ours):
 * keeps the instantaneous plume from collapsing to a line where the meander alone would exceed σy.
 */
export const MIN_INSTANTANEOUS_SPREAD = 0.3;

/**
 * Concentration at a receptor from a point source, g/m³ (× 10⁶ for µg/m³).
 *
 * With `meanderSigmaM` (σm) the plume is the instantaneous one of a meandering plume (Gifford 1959,
 * *Adv. Geophys.* 6:117; see `meander.ts`): the time-averaged variance σy² is split into the meander's
 * σm² and the instantaneous spread σy,i² = max(σy² − σm², (0.3 σy)²) ({@link MIN_INSTANTANEOUS_SPREAD}),
 * and σy,i replaces σy; the caller puts the meandering centreline into `y`. Averaged over a Gaussian
 * meander of s.d. σm the result is again a Gaussian plume of variance σy,i² + σm² (= σy² unless the floor
 * applies, then somewhat wider and lower on the axis). Without σm (or σm = 0): the steady plume.
 * @param q emission rate, g/s
 * @param u wind speed at release height, m/s
 * @param x downwind distance, m (≤ 0: receptor upwind, concentration 0)
 * @param y crosswind distance, m
 * @param z receptor height above ground, m
 * @param h effective release height, m
 * @param meanderSigmaM s.d. of the meander's lateral displacement at this distance, m (≥ 0; default none)
 * @throws RangeError when meanderSigmaM is negative or not a number
 */
export function plumeConcentration(
  q: number,
  u: number,
  x: number,
  y: number,
  z: number,
  h: number,
  stability: StabilityClass,
  opts: PlumeOptions,
  meanderSigmaM?: number,
): number {
  if (meanderSigmaM !== undefined && !(meanderSigmaM >= 0)) throw new RangeError(`meander s.d. must be ≥ 0 m, got ${meanderSigmaM}`);
  if (x <= 0 || q <= 0) return 0;
  const xe = Math.max(x, opts.minDownwindM ?? 20);
  const ue = Math.max(u, opts.minWindMs ?? 1);
  const s = briggsSigmas(xe, stability, opts.terrain);
  const sz = s.sz;
  const sy = meanderSigmaM
    ? Math.sqrt(Math.max(s.sy * s.sy - meanderSigmaM * meanderSigmaM, (MIN_INSTANTANEOUS_SPREAD * s.sy) ** 2))
    : s.sy;
  const lateral = Math.exp(-(y * y) / (2 * sy * sy));
  if (lateral === 0) return 0;
  const vertical = Math.exp(-((z - h) ** 2) / (2 * sz * sz)) + Math.exp(-((z + h) ** 2) / (2 * sz * sz));
  return (q / (2 * Math.PI * ue * sy * sz)) * lateral * vertical;
}

/**
 * Downwind and crosswind distances of a receptor from a source for a wind blowing **from** `windFromDeg`
 * (meteorological convention, degrees clockwise from north). Positions in local metres (x east, y north).
 */
export function plumeFrame(
  source: { x: number; y: number },
  receptor: { x: number; y: number },
  windFromDeg: number,
): { downwind: number; crosswind: number } {
  const rad = (windFromDeg * Math.PI) / 180;
  // Unit vector of the direction the air moves to: opposite of where it comes from.
  const dx = -Math.sin(rad);
  const dy = -Math.cos(rad);
  const rx = receptor.x - source.x;
  const ry = receptor.y - source.y;
  return { downwind: rx * dx + ry * dy, crosswind: rx * dy - ry * dx };
}
