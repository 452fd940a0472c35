import { median } from 'simple-statistics';
import type { CellStats } from './aggregate.js';
import { getisOrdGiStar, ring1, type Neighbourhood } from './gistar.js';
import type { MethodSettings } from './settings.js';

/** Consistency constant of the MAD for normal data: 1 / Φ⁻¹(3/4) ≈ 1.4826 (Rousseeuw & Croux 1993). */
export const MAD_SCALE = 1.4826;
/**
 * Consistency constant of the mean absolute deviation for normal data, √(π/2) ≈ 1.2533. Used when the
 * MAD is 0, as in the modified z-score of IBM SPSS (Iglewicz & Hoaglin 1993, "How to Detect and Handle Outliers").
 */
export const MEAN_AD_SCALE = 1.253314;

/** Why a cell is high-value: `relative` (ratio and robust z both met) and/or `absolute` (mean above the metric's threshold). */
export type HighReason = 'relative' | 'absolute';

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
 * The method of DOMAIN.md §6 for one window and metric, a pure function of the cell statistics.
 *
 * - baseline b = median of the eligible cell medians; MAD = median |m_i − b| over the same cells;
 * - robust z = (m − b) / (1.4826 × MAD). When MAD = 0 (more than half of the eligible medians equal
 *   the baseline) the scale falls back to 1.2533 × the mean absolute deviation; when that is 0 too,
 *   every eligible median equals b and z = 0 for all cells (nothing stands out);
 * - high-value when eligible and either (m ≥ ratio × b and z ≥ robustZ) — `relative` — or the cell mean
 *   exceeds the metric's absolute threshold — `absolute`; an ineligible cell is never high-value;
 * - Getis-Ord Gi* of the eligible medians over ring-1 neighbours, recorded as cluster evidence only.
 *
 * @param stats one entry per cell with usable readings (any order)
 * @param metric metric id, to look up its absolute threshold
 * @returns results ordered as `stats`, and the district figures
 */
export function evaluateCells(
  stats: readonly CellStats[],
  s: Pick<MethodSettings, 'minReadings' | 'minVanPassReadings' | 'ratio' | 'robustZ' | 'thresholds'>,
  metric: string,
  neighbourhood: Neighbourhood = ring1,
): { district: DistrictStats; cells: CellResult[] } {
  const eligible = stats.filter((c) => isEligible(c, s));
  const medians = eligible.map((c) => c.median);
  let baseline: number | null = null;
  let mad: number | null = null;
  let scale: number | null = null;
  let scaleKind: ScaleKind = 'none';
  if (medians.length > 0) {
    const b = median(medians);
    const deviations = medians.map((m) => Math.abs(m - b));
    const m = median(deviations);
    baseline = b;
    mad = m;
    if (m > 0) {
      scale = MAD_SCALE * m;
      scaleKind = 'mad';
    } else {
      const meanAd = deviations.reduce((a, d) => a + d, 0) / deviations.length;
      if (meanAd > 0) {
        scale = MEAN_AD_SCALE * meanAd;
        scaleKind = 'mean_ad';
      }
    }
  }
  const gi = getisOrdGiStar(new Map(eligible.map((c) => [c.cell, c.median])), neighbourhood);
  const threshold = s.thresholds[metric];
  let high = 0;
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
    };
    if (!isEligible(c, s) || baseline === null)
      return { ...base, eligible: false, ratio: null, robustZ: null, giStar: null, high: false, reasons: [] };
    const z = scale === null ? 0 : (c.median - baseline) / scale;
    const ratio = baseline > 0 ? c.median / baseline : null;
    const reasons: HighReason[] = [];
    if (c.median >= s.ratio * baseline && z >= s.robustZ) reasons.push('relative');
    if (threshold !== undefined && c.mean > threshold) reasons.push('absolute');
    if (reasons.length > 0) high += 1;
    return { ...base, eligible: true, ratio, robustZ: z, giStar: gi.get(c.cell) ?? null, high: reasons.length > 0, reasons };
  });
  return { district: { cells: stats.length, eligible: eligible.length, high, baseline, mad, scale, scaleKind }, cells };
}
