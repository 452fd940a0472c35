import { median } from 'simple-statistics';
import type { CellStats } from './aggregate.js';
import { getisOrdGiStar, ring1, type Neighbourhood } from './gistar.js';
import type { MethodSettings } from './settings.js';
import { cellUncertainty, testCell, type CellTest, type EvaluationContext } from './detect.js';

/** Consistency constant of the MAD for normal data: 1 / Φ⁻¹(3/4) ≈ 1.4826 (Rousseeuw & Croux 1993). */
export const MAD_SCALE = 1.4826;
/**
 * Consistency constant of the mean absolute deviation for normal data, √(π/2) ≈ 1.2533. Used when the
 * MAD is 0, as in the modified z-score of IBM SPSS (Iglewicz & Hoaglin 1993, "How to Detect and Handle Outliers").
 */
export const MEAN_AD_SCALE = 1.253314;

/**
 * Why a cell is high-value: `relative` (its median stands out from the district and from its own
 * history by the minimum excess), `upper` (the same on its p90: a source on for part of the window),
 * `mean` (the same on its mean: a plume arriving in spikes), `absolute` (mean above the metric's
 * threshold while the cell also stands out).
 */
export type HighReason = 'relative' | 'upper' | 'mean' | 'absolute';

/** How the robust z-score was scaled in a window: MAD, mean absolute deviation (MAD = 0), or not at all (every eligible median equal). */
export type ScaleKind = 'mad' | 'mean_ad' | 'none';

/**
 * One cell's result in one window. `ratio`, `robustZ` and `giStar` are null for ineligible cells;
 * `ratio` is also null when the baseline is ≤ 0; `giStar` when undefined (see {@link getisOrdGiStar}).
 */
export interface CellResult extends CellStats {
  readonly eligible: boolean;
  readonly ratio: number | null;
  readonly robustZ: number | null;
  readonly giStar: number | null;
  readonly high: boolean;
  readonly reasons: readonly HighReason[];
  /** median − district baseline and p90 − district p90 baseline (canonical unit); null when ineligible. */
  readonly excess?: number | null;
  readonly excessP90?: number | null;
  /** mean − district mean baseline (canonical unit); null when ineligible. */
  readonly excessMean?: number | null;
  /** The excess over the cell's own history (temporal baseline); null when ineligible or history too short. */
  readonly temporalExcess?: number | null;
  /** The cell stood out from the district (spatial test, median or p90), whatever its history. */
  readonly spatialHigh?: boolean;
  /** Stood out in too many recent windows: a sensor to check, not a source (never high-value). */
  readonly suspect?: boolean;
  /**
   * The cell stood out (a test would have made it high-value) but its dispersion did not rise with its
   * excess: the whole distribution moved, as with a calibration step or drift, not a plume. Never
   * high-value; in 2 of 3 windows it raises a check-sensor task (docs/hotspots.md, level-shift test).
   */
  readonly levelShift?: boolean;
  /** Confidence in [0, 1] of a high-value cell (0 otherwise), and the tests behind it. */
  readonly confidence?: number;
  readonly tests?: readonly CellTest[];
}

/** District-level figures of one window and metric. `baseline`, `mad` and `scale` are null without eligible cells. */
export interface DistrictStats {
  readonly cells: number;
  readonly eligible: number;
  readonly high: number;
  /** Median of the eligible cell medians. */
  readonly baseline: number | null;
  /** Median absolute deviation of the eligible cell medians from the baseline. */
  readonly mad: number | null;
  /** Denominator of the robust z: 1.4826 × MAD, or 1.2533 × mean absolute deviation when MAD = 0. */
  readonly scale: number | null;
  readonly scaleKind: ScaleKind;
  /** Median of the eligible cells' p90s and its robust scale (same rule as `scale`). */
  readonly baselineP90?: number | null;
  readonly scaleP90?: number | null;
  /** Median of the eligible cells' means and its robust scale (same rule as `scale`). */
  readonly baselineMean?: number | null;
  readonly scaleMean?: number | null;
  /** Regional guard: share of eligible cells with history that rose by their minimum excess over their own past median, and the verdict. */
  readonly risingFraction?: number | null;
  readonly regional?: boolean;
  /** Eligible cells found sensor-suspect in this window. */
  readonly suspects?: number;
  /** Eligible cells whose excess was a level shift in this window (held from enforcement). */
  readonly levelShifts?: number;
}

/** Robust centre and scale of a set of values (MAD, else mean absolute deviation, else none); see {@link evaluateCells}. */
export function robustScale(values: readonly number[]): { centre: number; mad: number; scale: number | null; kind: ScaleKind } | null {
  if (values.length === 0) return null;
  const b = median([...values]);
  const deviations = values.map((m) => Math.abs(m - b));
  const m = median(deviations);
  if (m > 0) return { centre: b, mad: m, scale: MAD_SCALE * m, kind: 'mad' };
  const meanAd = deviations.reduce((a, d) => a + d, 0) / deviations.length;
  return { centre: b, mad: m, scale: meanAd > 0 ? MEAN_AD_SCALE * meanAd : null, kind: meanAd > 0 ? 'mean_ad' : 'none' };
}

/**
 * Eligibility (DOMAIN.md §6): at least `minReadings` usable readings from fixed sensors, or at least
 * `minVanPassReadings` usable readings in one van pass.
 */
export function isEligible(
  c: Pick<CellStats, 'nFixed' | 'maxPassReadings'>,
  s: Pick<MethodSettings, 'minReadings' | 'minVanPassReadings'>,
): boolean {
  return c.nFixed >= s.minReadings || c.maxPassReadings >= s.minVanPassReadings;
}

/**
 * The method for one window and metric (docs/hotspots.md), a pure function of the cell statistics and
 * what the method knows of the past (`ctx`).
 *
 * - baseline b = median of the eligible cell medians; MAD = median |m_i − b| over the same cells;
 *   scale = 1.4826 × MAD, or 1.2533 × the mean absolute deviation when MAD = 0, or none when every
 *   eligible median equals b (then z = 0 for all cells); the same on the p90s (`baselineP90`, `scaleP90`)
 *   and on the means (`baselineMean`, `scaleMean`);
 * - each eligible cell runs the tests of {@link testCell} (spatial, minimum excess, temporal, upper
 *   quantile, absolute, sensor suspect); it is high-value when one of `relative`, `upper`, `absolute` holds;
 *   an ineligible cell is never high-value;
 * - regional guard: when ≥ regionalFraction of the (≥ regionalMinCells) eligible cells with history rose by
 *   their minimum excess over their own past median, the window is `regional` (recorded; a cell is still
 *   high-value only when it stands out from the district, which the tests require anyway);
 * - `ratio` = m / b when b > 0 (stored for information; a gate only when the `ratio` setting is > 1);
 * - Getis-Ord Gi* of the eligible medians over ring-1 neighbours, recorded as cluster evidence only.
 *
 * @param stats one entry per cell with usable readings (any order)
 * @param metric metric id, to look up its threshold and default uncertainty
 * @returns results ordered as `stats`, and the district figures
 */
export function evaluateCells(
  stats: readonly CellStats[],
  s: MethodSettings,
  metric: string,
  neighbourhood: Neighbourhood = ring1,
  ctx: EvaluationContext = {},
): { district: DistrictStats; cells: CellResult[] } {
  const eligible = stats.filter((c) => isEligible(c, s));
  const med = robustScale(eligible.map((c) => c.median));
  const up = robustScale(eligible.map((c) => c.p90));
  const mn = robustScale(eligible.map((c) => c.mean));
  let withHistory = 0;
  let rising = 0;
  for (const c of eligible) {
    const h = ctx.temporal?.get(c.cell);
    if (!h || h.median === null) continue;
    withHistory += 1;
    const minEx = s.minExcessFactor * cellUncertainty(c, s, metric);
    if (c.median - h.median >= Math.max(minEx, Number.MIN_VALUE)) rising += 1;
  }
  const risingFraction = withHistory > 0 ? rising / withHistory : null;
  const regional = withHistory >= s.regionalMinCells && risingFraction !== null && risingFraction >= s.regionalFraction;
  const gi = getisOrdGiStar(new Map(eligible.map((c) => [c.cell, c.median])), neighbourhood);
  let high = 0;
  let suspects = 0;
  let levelShifts = 0;
  const cells = stats.map((c): CellResult => {
    // Explicit fields rather than a spread: this runs for every cell of every window.
    const base = {
      cell: c.cell,
      n: c.n,
      nFixed: c.nFixed,
      devices: c.devices,
      vanPasses: c.vanPasses,
      maxPassReadings: c.maxPassReadings,
      mean: c.mean,
      median: c.median,
      p90: c.p90,
      max: c.max,
      min: c.min,
      uncertainty: c.uncertainty ?? null,
      vanMedian: c.vanMedian ?? null,
      dispersion: c.dispersion ?? null,
    };
    if (!isEligible(c, s) || med === null || up === null || mn === null)
      return { ...base, eligible: false, ratio: null, robustZ: null, giStar: null, high: false, reasons: [] };
    const v = testCell(
      c,
      {
        baseline: med.centre,
        scale: med.scale,
        baselineP90: up.centre,
        scaleP90: up.scale,
        baselineMean: mn.centre,
        scaleMean: mn.scale,
        regional,
      },
      s,
      metric,
      ctx,
    );
    if (v.reasons.length > 0) high += 1;
    if (v.suspect) suspects += 1;
    if (v.levelShift) levelShifts += 1;
    return {
      ...base,
      uncertainty: v.uncertainty,
      eligible: true,
      ratio: med.centre > 0 ? c.median / med.centre : null,
      robustZ: v.robustZ,
      giStar: gi.get(c.cell) ?? null,
      high: v.reasons.length > 0,
      reasons: v.reasons,
      excess: v.excess,
      excessP90: v.excessP90,
      excessMean: v.excessMean,
      temporalExcess: v.temporalExcess,
      spatialHigh: v.spatialHigh,
      suspect: v.suspect,
      levelShift: v.levelShift,
      confidence: v.confidence,
      tests: v.tests,
    };
  });
  return {
    district: {
      cells: stats.length,
      eligible: eligible.length,
      high,
      baseline: med?.centre ?? null,
      mad: med?.mad ?? null,
      scale: med?.scale ?? null,
      scaleKind: med?.kind ?? 'none',
      baselineP90: up?.centre ?? null,
      scaleP90: up?.scale ?? null,
      baselineMean: mn?.centre ?? null,
      scaleMean: mn?.scale ?? null,
      risingFraction,
      regional,
      suspects,
      levelShifts,
    },
    cells,
  };
}
