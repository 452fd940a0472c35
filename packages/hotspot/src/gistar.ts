import { gridDisk } from 'h3-js';

/** Neighbourhood function: the cells whose values enter cell `i`'s local sum, including `i` itself, without duplicates. */
export type Neighbourhood = (cell: string) => readonly string[];

// The grid evaluates the same cells window after window: keep their disks (bounded; cleared when full).
const RING1_CACHE = new Map<string, readonly string[]>();
const RING1_CACHE_MAX = 200_000;

/** Ring-1 H3 neighbourhood: the cell and its 6 neighbours (5 at a pentagon), `gridDisk(cell, 1)` (memoised). */
export const ring1: Neighbourhood = (cell) => {
  let disk = RING1_CACHE.get(cell);
  if (!disk) {
    if (RING1_CACHE.size >= RING1_CACHE_MAX) RING1_CACHE.clear();
    disk = gridDisk(cell, 1);
    RING1_CACHE.set(cell, disk);
  }
  return disk;
};

/**
 * Getis-Ord Gi* z-scores with binary weights (w_ij = 1 when j is in i's neighbourhood, i included).
 *
 *   Gi* = (Σ_j w_ij x_j − x̄ W_i) / ( S √[(n S1_i − W_i²) / (n − 1)] )
 *   W_i = Σ_j w_ij,  S1_i = Σ_j w_ij²,  x̄ = Σ x_j / n,  S = √(Σ x_j² / n − x̄²)
 *
 * Source: Getis, A. & Ord, J. K. (1992) "The analysis of spatial association by use of distance
 * statistics", Geographical Analysis 24(3):189–206; standardised form of Ord, J. K. & Getis, A. (1995)
 * "Local spatial autocorrelation statistics: distributional issues and an application", Geographical
 * Analysis 27(4):286–306, eq. 14. Under the null hypothesis Gi* is approximately standard normal, so
 * Gi* > 1.96 ≈ p < 0.05 (DOMAIN.md §6).
 *
 * Only cells present in `values` take part (n = their number); neighbours without a value are left out
 * of the sums. A cell's score is null when it is undefined: S = 0 (all values equal) or n S1_i − W_i² = 0
 * (its neighbourhood holds every cell), or n < 2.
 * @param values cell → value (the grid uses eligible cell medians)
 * @returns cell → Gi* z-score or null, for every cell of `values`
 */
export function getisOrdGiStar(values: ReadonlyMap<string, number>, neighbourhood: Neighbourhood = ring1): Map<string, number | null> {
  const n = values.size;
  const out = new Map<string, number | null>();
  let sum = 0;
  let sumSq = 0;
  for (const v of values.values()) {
    sum += v;
    sumSq += v * v;
  }
  const mean = n > 0 ? sum / n : 0;
  const variance = n > 0 ? sumSq / n - mean * mean : 0;
  // Guard against a tiny negative variance from rounding when every value is equal.
  const s = variance > 1e-12 * Math.max(1, mean * mean) ? Math.sqrt(variance) : 0;
  for (const cell of values.keys()) {
    if (n < 2 || s === 0) {
      out.set(cell, null);
      continue;
    }
    let w = 0;
    let local = 0;
    for (const j of neighbourhood(cell)) {
      const x = values.get(j);
      if (x === undefined) continue;
      w += 1;
      local += x;
    }
    const denomSq = (n * w - w * w) / (n - 1);
    out.set(cell, denomSq > 0 ? (local - mean * w) / (s * Math.sqrt(denomSq)) : null);
  }
  return out;
}
