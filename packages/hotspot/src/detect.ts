import type { CellStats } from './aggregate.js';
import type { MethodSettings } from './settings.js';

/**
 * The per-cell tests of the method (docs/hotspots.md "Tests of a cell"): spatial (median and p90 against
 * the district), minimum excess in concentration units from the instrument uncertainty, temporal (the
 * cell against its own history), absolute threshold, sensor suspect; and the confidence they add up to.
 * Pure functions of the window's district figures and the cell's history.
 */

/** A cell's own history as the temporal baseline sees it (medians over its past windows, docs/hotspots.md). */
export interface CellHistory {
  /** Median of the cell's past residuals (median − district baseline), canonical unit; null without enough history. */
  readonly residual: number | null;
  /** Median of the cell's past p90 residuals (p90 − district p90 baseline). */
  readonly residualP90: number | null;
  /** Median of the cell's past mean residuals (mean − district mean baseline); null or absent when none was stored. */
  readonly residualMean?: number | null;
  /** Median of the cell's past medians (for the regional guard). */
  readonly median: number | null;
  /** Median of the cell's past within-window dispersions (canonical unit; level-shift test); null or absent when none was stored. */
  readonly dispersion?: number | null;
  /** Past windows the figures are over, and whether they are same-hour-of-day windows or recent ones. */
  readonly windows: number;
  readonly basis: 'hour_of_day' | 'recent';
}

/** What the method knows beyond the window: histories, and how often each cell stood out lately. */
export interface EvaluationContext {
  /** Temporal baselines by cell (cells absent: history too short). */
  readonly temporal?: ReadonlyMap<string, CellHistory>;
  /** Windows among the previous suspectWindows − 1 in which the cell stood out from the district (spatial test). */
  readonly spatialHighCount?: ReadonlyMap<string, number>;
}

/** One test of a cell, as stored with the cell and shown on hotspots and tasks. `value`/`threshold` in the metric's unit unless named z. */
export interface CellTest {
  readonly test:
    | 'spatial_z'
    | 'excess'
    | 'upper_z'
    | 'upper_excess'
    | 'temporal'
    | 'upper_temporal'
    | 'mean_z'
    | 'mean_excess'
    | 'mean_temporal'
    | 'absolute'
    | 'suspect'
    | 'van'
    | 'plume_fluctuation';
  readonly value: number | null;
  readonly threshold: number | null;
  readonly passed: boolean | null;
}

/** District figures a cell is judged against in one window (median-based and p90-based). */
export interface DistrictRef {
  readonly baseline: number;
  readonly scale: number | null;
  readonly baselineP90: number;
  readonly scaleP90: number | null;
  /** Median of the eligible cells' means and its robust scale (absent: the mean test does not run). */
  readonly baselineMean?: number;
  readonly scaleMean?: number | null;
  readonly regional: boolean;
}

/** Outcome of the tests of one eligible cell. */
export interface CellVerdict {
  readonly excess: number;
  readonly excessP90: number;
  readonly excessMean: number | null;
  readonly uncertainty: number;
  readonly minExcess: number;
  readonly temporalExcess: number | null;
  readonly robustZ: number;
  readonly spatialHigh: boolean;
  readonly suspect: boolean;
  /** It would have been high-value, but its excess came without the dispersion of a plume (see {@link testCell}). */
  readonly levelShift: boolean;
  readonly reasons: ('relative' | 'upper' | 'mean' | 'absolute')[];
  readonly confidence: number;
  readonly tests: CellTest[];
}

/** Weights of the confidence score (docs/hotspots.md "Confidence"); they sum to 1. */
export const CONFIDENCE_WEIGHTS = Object.freeze({ spatial: 0.35, excess: 0.35, temporal: 0.2, van: 0.1 });

const clamp01 = (x: number): number => Math.max(0, Math.min(1, x));
const r4 = (x: number): number => Math.round(x * 1e4) / 1e4;

/** Uncertainty of a cell for a metric: its noisiest device's stated σ, else the metric's setting, else 0. */
export function cellUncertainty(c: Pick<CellStats, 'uncertainty'>, s: Pick<MethodSettings, 'uncertainty'>, metric: string): number {
  return c.uncertainty ?? s.uncertainty[metric] ?? 0;
}

/**
 * The statistic whose test made a cell high-value, in order of preference: the median (`relative`, or
 * `absolute`, which also asks the median to stand out), else the p90 (`upper`), else the mean (`mean`).
 */
export function firedStatistic(reasons: readonly string[]): 'median' | 'p90' | 'mean' {
  if (reasons.includes('relative') || reasons.includes('absolute') || reasons.length === 0) return 'median';
  return reasons.includes('upper') ? 'p90' : 'mean';
}

/**
 * Runs the tests of one eligible cell (docs/hotspots.md):
 * - relative: excess e = median − baseline ≥ minExcess (minExcessFactor × uncertainty), robust z ≥ robustZ,
 *   median ≥ ratio × baseline, and the temporal test (e − the cell's past residual ≥ minExcess; unknown
 *   without history, then it passes);
 * - upper (when `upperQuantile`): the same on the p90 against the district's p90 baseline;
 * - mean (when `meanTest`, cells eligible by their fixed sensors): the same on the mean against the
 *   district's mean baseline (a plume arriving in spikes moves the mean, not the median or p90);
 * - absolute: mean > the metric's threshold and the cell also stands out (e ≥ minExcess and z ≥ robustZ);
 * - suspect: the cell stands out spatially now and in ≥ suspectHigh − 1 of the previous suspectWindows − 1
 *   windows; a suspect cell is never high-value (it raises a check-sensor task instead);
 * - level shift (`plumeFluctuation` > 0, a cell eligible by its fixed sensors that would be high-value):
 *   with x the excess of the test that fired (the larger of its spatial and temporal excess) and r the
 *   cell's usual dispersion (median of its past dispersions, else the uncertainty u), the extra variance
 *   dispersion² − r² must reach (plumeFluctuation × x)² and 2 standard errors of a variance estimate,
 *   2 r² √(2/ν) with ν = fixed readings − 2 × devices (the line's degrees of freedom). A plume meanders and
 *   fluctuates at a receptor; a calibration step or drift moves every reading by the same amount. When
 *   it falls short the cell is not high-value (`levelShift`), unless a van pass confirms the excess.
 *   Unknown (no dispersion, no reference) passes; it does not run when the readings are further apart
 *   than `plumeMaxSpacingS` on average (window × devices / fixed readings), as hourly averages are.
 * @returns the verdict; `reasons` empty means not high-value
 */
export function testCell(c: CellStats, d: DistrictRef, s: MethodSettings, metric: string, ctx: EvaluationContext): CellVerdict {
  const u = cellUncertainty(c, s, metric);
  const minEx = s.minExcessFactor * u;
  const e = c.median - d.baseline;
  const z = d.scale === null ? 0 : e / d.scale;
  const ep = c.p90 - d.baselineP90;
  const zp = d.scaleP90 === null ? 0 : ep / d.scaleP90;
  const h = ctx.temporal?.get(c.cell);
  const te = h && h.residual !== null ? e - h.residual : null;
  const tep = h && (h.residualP90 ?? h.residual) !== null ? ep - (h.residualP90 ?? h.residual)! : null;
  // Only for a cell eligible by its fixed sensors: a van pass's mean mixes the positions along the pass.
  const hasMean = s.meanTest && d.baselineMean !== undefined && c.nFixed >= s.minReadings;
  const em = hasMean ? c.mean - d.baselineMean : null;
  const zm = em === null ? null : d.scaleMean === null || d.scaleMean === undefined ? 0 : em / d.scaleMean;
  const hm = h ? (h.residualMean ?? null) : null;
  const tem = em !== null && hm !== null ? em - hm : null;
  const standsMean = em !== null && zm !== null && em > 0 && em >= minEx && zm >= s.robustZ;
  const tOkMean = tem === null || tem >= minEx;
  const stands = e > 0 && e >= minEx && z >= s.robustZ && c.median >= s.ratio * d.baseline;
  const standsUp = s.upperQuantile && ep > 0 && ep >= minEx && zp >= s.robustZ;
  const tOk = te === null || te >= minEx;
  const tOkUp = tep === null || tep >= minEx;
  const spatialHigh = stands || standsUp || standsMean;
  const past = ctx.spatialHighCount?.get(c.cell) ?? 0;
  const suspect = spatialHigh && past + 1 >= s.suspectHigh;
  const threshold = s.thresholds[metric];
  const absolute = threshold !== undefined && c.mean > threshold && e > 0 && e >= minEx && z >= s.robustZ;
  // Van evidence: in a fixed-sensor cell a van pass confirms when the van readings alone stand out by the
  // minimum excess (passed), contradicts when they do not (false); a van-only cell needs ≥ 2 passes.
  const vanOnly = c.nFixed < s.minReadings;
  const vanExcess = c.vanMedian === null || c.vanMedian === undefined ? null : c.vanMedian - d.baseline;
  const vanOk = vanOnly ? c.vanPasses >= 2 : vanExcess !== null && vanExcess > 0 && vanExcess >= minEx;
  const reasons: CellVerdict['reasons'] = [];
  if (!suspect) {
    if (stands && tOk) reasons.push('relative');
    if (standsUp && tOkUp) reasons.push('upper');
    if (standsMean && tOkMean) reasons.push('mean');
    if (absolute) reasons.push('absolute');
  }
  // Level shift: the excess of the test that fired, against the rise of the within-window dispersion.
  let fluctuation: CellTest | null = null;
  let levelShift = false;
  const ref = h?.dispersion ?? (u > 0 ? u : null);
  const spacingS = (s.windowMinutes * 60 * Math.max(1, c.devices)) / Math.max(1, c.nFixed);
  if (
    s.plumeFluctuation > 0 &&
    spacingS <= s.plumeMaxSpacingS &&
    reasons.length > 0 &&
    !vanOnly &&
    c.dispersion !== null &&
    c.dispersion !== undefined &&
    ref !== null
  ) {
    const fired = firedStatistic(reasons);
    const x = Math.max(
      0,
      fired === 'median' ? Math.max(e, te ?? e) : fired === 'p90' ? Math.max(ep, tep ?? ep) : Math.max(em ?? 0, tem ?? em ?? 0),
    );
    const extra2 = c.dispersion * c.dispersion - ref * ref;
    // The extra variance must also exceed 2 standard errors of a variance estimate (2σ⁴/ν for normal
    // noise, ν = the residual degrees of freedom), or noise alone would pass a small excess.
    const dof = Math.max(1, c.nFixed - 2 * c.devices);
    const needed2 = Math.max((s.plumeFluctuation * x) ** 2, 2 * ref * ref * Math.sqrt(2 / dof));
    levelShift = extra2 < needed2 && !vanOk;
    const extra = Math.sqrt(Math.max(0, extra2));
    fluctuation = { test: 'plume_fluctuation', value: r4(extra), threshold: r4(Math.sqrt(needed2)), passed: extra2 >= needed2 };
    if (levelShift) reasons.length = 0;
  }
  const tests: CellTest[] = [
    { test: 'spatial_z', value: r4(z), threshold: s.robustZ, passed: z >= s.robustZ },
    { test: 'excess', value: r4(e), threshold: r4(minEx), passed: e > 0 && e >= minEx },
    { test: 'temporal', value: te === null ? null : r4(te), threshold: r4(minEx), passed: te === null ? null : te >= minEx },
  ];
  if (s.upperQuantile)
    tests.push(
      { test: 'upper_z', value: r4(zp), threshold: s.robustZ, passed: zp >= s.robustZ },
      { test: 'upper_excess', value: r4(ep), threshold: r4(minEx), passed: ep > 0 && ep >= minEx },
      { test: 'upper_temporal', value: tep === null ? null : r4(tep), threshold: r4(minEx), passed: tep === null ? null : tep >= minEx },
    );
  if (em !== null && zm !== null)
    tests.push(
      { test: 'mean_z', value: r4(zm), threshold: s.robustZ, passed: zm >= s.robustZ },
      { test: 'mean_excess', value: r4(em), threshold: r4(minEx), passed: em > 0 && em >= minEx },
      { test: 'mean_temporal', value: tem === null ? null : r4(tem), threshold: r4(minEx), passed: tem === null ? null : tem >= minEx },
    );
  if (threshold !== undefined) tests.push({ test: 'absolute', value: r4(c.mean), threshold, passed: absolute });
  tests.push({ test: 'suspect', value: past + (spatialHigh ? 1 : 0), threshold: s.suspectHigh, passed: suspect });
  if (fluctuation) tests.push(fluctuation);
  tests.push({
    test: 'van',
    value: vanOnly ? c.vanPasses : vanExcess === null ? null : r4(vanExcess),
    threshold: vanOnly ? 2 : r4(minEx),
    passed: vanOnly ? vanOk : vanExcess === null ? null : vanOk,
  });
  // Confidence: from the statistic that fired first (median, else p90, else mean), each term capped at 1.
  const f = firedStatistic(reasons);
  const zz = f === 'p90' ? zp : f === 'mean' ? zm! : z;
  const ee = f === 'p90' ? ep : f === 'mean' ? em! : e;
  const tt = f === 'p90' ? tep : f === 'mean' ? tem : te;
  const W = CONFIDENCE_WEIGHTS;
  const confidence =
    reasons.length === 0
      ? 0
      : W.spatial * clamp01(zz / (2 * s.robustZ)) +
        W.excess * (minEx > 0 ? clamp01(ee / (3 * minEx)) : 1) +
        W.temporal * (tt === null ? 0.5 : tt >= minEx ? 1 : 0) +
        W.van * (vanOk ? 1 : 0);
  return {
    excess: e,
    excessP90: ep,
    excessMean: em,
    uncertainty: u,
    minExcess: minEx,
    temporalExcess: te,
    robustZ: z,
    spatialHigh,
    suspect,
    levelShift,
    reasons,
    confidence: Math.round(confidence * 1000) / 1000,
    tests,
  };
}
