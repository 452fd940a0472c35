import { createRng } from './prng.js';
import type { StabilityClass } from './stability.js';

/**
 * Plume meander (Gifford 1959, "Statistical properties of a fluctuating plume dispersion model",
 * *Adv. Geophys.* 6:117–137): near a source the plume is a narrow instantaneous plume whose centreline
 * swings with the large eddies of the wind; a receptor there sees a fluctuating, partly intermittent
 * signal whose time average is the familiar wide Gaussian plume. The hourly station wind carries none of
 * that, so the simulator adds to the wind direction, per source, σθ(stability) × g(t): g a stationary
 * unit-variance Gaussian process with exponential autocorrelation exp(−|τ|/T), σθ the standard deviation
 * of the horizontal wind direction of the Pasquill class. The split of σy into meander and instantaneous
 * spread is in `plume.ts` ({@link plumeConcentration}'s `meanderSigmaM`); the use in `field.ts`.
 *
 * Everything here is simulated: representative values, not a fit to Beijing measurements.
 */

type Base = 'A' | 'B' | 'C' | 'D' | 'E' | 'F';

/**
 * Representative σθ, degrees, the standard deviation of the horizontal wind direction, per base Pasquill
 * class. US EPA (2000), *Meteorological Monitoring Guidance for Regulatory Modeling Applications*,
 * EPA-454/R-99-005, Table 6-8 (σA criteria after Irwin 1980) gives the ranges A ≥ 22.5°, B 17.5–22.5°,
 * C 12.5–17.5°, D 7.5–12.5°, E 3.8–7.5°, F < 3.8°; B–E here are the midpoints of those ranges. A (25°)
 * and F (2.9°) are ours, the table's ranges being open there: A the midpoint of 22.5–27.5° (a 5° band
 * like B–D), F that of 2.0–3.8°. Intermediate classes: {@link sigmaThetaDeg}.
 */
export const SIGMA_THETA_DEG: Readonly<Record<Base, number>> = Object.freeze({ A: 25, B: 20, C: 15, D: 10, E: 5.65, F: 2.9 });

const SIGMA_THETA_OF_CLASS: Readonly<Record<StabilityClass, number>> = (() => {
  const g = (p: Base, q: Base) => Math.sqrt(SIGMA_THETA_DEG[p] * SIGMA_THETA_DEG[q]);
  return Object.freeze({ ...SIGMA_THETA_DEG, 'A-B': g('A', 'B'), 'B-C': g('B', 'C'), 'C-D': g('C', 'D') });
})();

/**
 * σθ, degrees, of a stability class: {@link SIGMA_THETA_DEG} for a base class; an intermediate class of
 * the Pasquill table (A-B, B-C, C-D) takes the geometric mean of its two neighbours (ours, as
 * `briggsSigmas` does for σy): A-B 22.36°, B-C 17.32°, C-D 12.25°.
 */
export function sigmaThetaDeg(stability: StabilityClass): number {
  return SIGMA_THETA_OF_CLASS[stability];
}

/**
 * Default Lagrangian time scale T of the meander, s (300; ours as a value, of the order Hanna 1981,
 * *J. Appl. Meteorol.* 20:242–249, gives for the horizontal wind fluctuations near the surface).
 */
export const DEFAULT_MEANDER_TIMESCALE_S = 300;

/** Cosine components of each process (the spectral sum's N). */
export const MEANDER_COMPONENTS = 32;

/** Slots of a process's memo of recent values (direct-mapped by whole second of t; a power of two). */
const MEMO_SLOTS = 128;
const TWO_PI = 2 * Math.PI;

/** A stationary unit-variance Gaussian process of time, a pure function of t. */
export interface MeanderProcess {
  /** Its Lagrangian time scale T, s: the autocorrelation is exp(−|τ| / T). */
  readonly timescaleS: number;
  /** g(t), dimensionless, for t in epoch ms. The same t always gives the same value. */
  at(t: number): number;
}

/**
 * The meander process of one source: g(t) = √(2/N) Σₖ cos(ωₖ t + φₖ), N = {@link MEANDER_COMPONENTS},
 * by the spectral representation method (Shinozuka & Deodatis 1991, "Simulation of stochastic processes
 * by spectral representation", *Appl. Mech. Rev.* 44:191–204) with frequencies drawn from the spectrum
 * of the target correlation instead of a fixed grid: φₖ uniform on [0, 2π), ωₖ = tan(π(Uₖ − ½)) / T rad/s
 * (Uₖ uniform: ωₖ Cauchy, i.e. Lorentzian, the spectrum of exp(−|τ|/T)). Over the ensemble g has mean 0,
 * variance 1 and autocorrelation E[cos ωτ] = exp(−|τ|/T); it is Gaussian in the limit of many components
 * (32 is close: the sum of 32 independent cosines). One realisation's time statistics match these to
 * within the scatter of 32 draws (the lag-T autocorrelation of a single process, e.g., is e⁻¹ ± ≈ 0.12).
 *
 * Seeded from the stream `meander/<sourceId>` of the scenario seed (`createRng`), so the same seed and
 * source give the same values and two sources meander independently. Cost: 32 cosines per new t; values
 * of recent whole-second times are memoised (a network reads at a few dozen distinct times a minute).
 * @param seed scenario seed (a safe integer)
 * @param sourceId id of the planted source, e.g. `sim-src-01`
 * @param timescaleS Lagrangian time scale T, s (default {@link DEFAULT_MEANDER_TIMESCALE_S})
 * @throws RangeError when the seed is not a safe integer or T is not a positive finite number
 */
export function meanderProcess(seed: number, sourceId: string, timescaleS: number = DEFAULT_MEANDER_TIMESCALE_S): MeanderProcess {
  if (!(timescaleS > 0 && Number.isFinite(timescaleS))) throw new RangeError(`meander time scale must be > 0 s, got ${timescaleS}`);
  const rng = createRng(seed, `meander/${sourceId}`);
  const n = MEANDER_COMPONENTS;
  // ω in rad per ms: t is epoch ms.
  const omega = new Float64Array(n);
  const phi = new Float64Array(n);
  for (let k = 0; k < n; k += 1) {
    omega[k] = Math.tan(Math.PI * (rng.next() - 0.5)) / (timescaleS * 1000);
    phi[k] = 2 * Math.PI * rng.next();
  }
  const amp = Math.sqrt(2 / n);
  const memoT = new Float64Array(MEMO_SLOTS).fill(NaN);
  const memoG = new Float64Array(MEMO_SLOTS);
  return {
    timescaleS,
    at(t) {
      const slot = (Math.floor(t / 1000) % MEMO_SLOTS) & (MEMO_SLOTS - 1);
      if (memoT[slot] === t) return memoG[slot]!;
      let sum = 0;
      for (let k = 0; k < n; k += 1) {
        // Reduced to [−π, π] before the cosine: epoch-ms arguments (~10⁷ rad) take the engine's slow
        // large-argument path. The reduction costs ~10⁻⁹ rad, the rounding ω t already carries.
        const a = omega[k]! * t + phi[k]!;
        sum += Math.cos(a - TWO_PI * Math.round(a / TWO_PI));
      }
      const g = amp * sum;
      memoT[slot] = t;
      memoG[slot] = g;
      return g;
    },
  };
}
