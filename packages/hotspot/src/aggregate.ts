import { cellToParent } from 'h3-js';
import { quantileSorted } from 'simple-statistics';
import { ERROR_CODES, VocError } from '@voc/domain';
import type { MethodSettings } from './settings.js';

/** GPS fix qualities that make a van reading usable for the grid (`none` does not). */
export const USABLE_GPS_FIXES = ['2d', '3d', 'dgps'] as const;

/**
 * One stored value as the grid sees it (a row of `readings`).
 * - `h3`: the stored cell (h3-js hex string, resolution 12, or any resolution ≥ the grid's).
 * - `mobile`: true for a survey-van reading (it carries its own position; fixed sensors do not).
 * - `speedKmh`, `gpsFix`: the van's GPS state at the reading; null for fixed sensors.
 * - `value` is in the metric's canonical `unit`; `time` is epoch ms.
 */
export interface GridReading {
  readonly deviceId: string;
  readonly time: number;
  readonly value: number;
  readonly unit: string;
  readonly qa: string;
  readonly h3: string;
  readonly mobile: boolean;
  readonly speedKmh: number | null;
  readonly gpsFix: string | null;
}

/**
 * Statistics of one cell, metric and window (DOMAIN.md §6), over usable readings only.
 * - `n`: usable readings; `nFixed`: of them, from fixed sensors; `devices`: distinct devices.
 * - `vanPasses`: passes of vans through the cell; `maxPassReadings`: usable readings of the longest pass.
 * - `median` and `p90`: linear interpolation between order statistics (Hyndman & Fan 1996 type 7, as
 *   PostgreSQL `percentile_cont` and `simple-statistics` `quantileSorted`).
 */
export interface CellStats {
  readonly cell: string;
  readonly n: number;
  readonly nFixed: number;
  readonly devices: number;
  readonly vanPasses: number;
  readonly maxPassReadings: number;
  readonly mean: number;
  readonly median: number;
  readonly p90: number;
  readonly max: number;
  readonly min: number;
  /**
   * Instrument uncertainty of the cell for the metric (σ, canonical unit): the largest stated by its
   * devices with readings in the window (registry `devices.uncertainty`); absent or null when none states one.
   */
  readonly uncertainty?: number | null;
  /** Median of the van readings alone (usable ones), null without any: the van's independent evidence. */
  readonly vanMedian?: number | null;
  /**
   * Within-window dispersion of the fixed sensors' readings, canonical unit: the residual standard
   * deviation about each device's own least-squares line in time, pooled over the cell's devices
   * (docs/hotspots.md, step 3); null when the cell is not eligible by its fixed sensors.
   */
  readonly dispersion?: number | null;
}

/**
 * True when a reading counts for the grid: QA `valid`, and for a van a GPS fix (2d/3d/dgps) and a
 * known speed ≤ `vanMaxSpeedKmh` (DOMAIN.md §2: readings at high speed or without a fix are not usable
 * for maps; an unknown speed cannot be shown to be low, so it does not count).
 */
export function isUsable(r: GridReading, s: Pick<MethodSettings, 'vanMaxSpeedKmh'>): boolean {
  if (r.qa !== 'valid' || !Number.isFinite(r.value)) return false;
  if (!r.mobile) return true;
  return (
    r.gpsFix !== null && (USABLE_GPS_FIXES as readonly string[]).includes(r.gpsFix) && r.speedKmh !== null && r.speedKmh <= s.vanMaxSpeedKmh
  );
}

/**
 * Splits one van's usable readings in one cell (sorted by time) into passes: a gap longer than
 * `gapSeconds` starts a new pass. @returns the number of readings of each pass
 */
export function passLengths(sortedTimes: readonly number[], gapSeconds: number): number[] {
  const out: number[] = [];
  let prev: number | undefined;
  for (const t of sortedTimes) {
    if (prev === undefined || t - prev > gapSeconds * 1000) out.push(0);
    out[out.length - 1]! += 1;
    prev = t;
  }
  return out;
}

/**
 * Reference implementation of the cell aggregation (the SQL rollup of the worker must agree with it).
 * Groups usable readings by the parent cell at `resolution` and computes {@link CellStats}; with
 * `minReadings`, a cell with at least that many fixed-sensor readings takes mean, median, p90, max and min
 * from them alone (as the SQL rollup does with the eligibility minimum).
 * @throws VocError invalid_request when the readings carry more than one unit: a MOS index is never
 *   aggregated with a concentration (DOMAIN.md §2), nor ppb with µg/m³
 * @returns one entry per cell with at least one usable reading, ordered by cell
 */
export function aggregateCells(
  readings: readonly GridReading[],
  s: Pick<MethodSettings, 'resolution' | 'vanMaxSpeedKmh' | 'vanPassGapSeconds'> & { readonly minReadings?: number },
): CellStats[] {
  const units = new Set(readings.map((r) => r.unit));
  if (units.size > 1) {
    throw new VocError(ERROR_CODES.invalid_request, `readings of different units cannot be aggregated together: ${[...units].join(', ')}`);
  }
  const byCell = new Map<string, GridReading[]>();
  for (const r of readings) {
    if (!isUsable(r, s)) continue;
    const cell = cellToParent(r.h3, s.resolution);
    const list = byCell.get(cell);
    if (list) list.push(r);
    else byCell.set(cell, [r]);
  }
  const out: CellStats[] = [];
  for (const [cell, rows] of [...byCell].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    // A cell eligible by its fixed sensors takes its statistics from them alone (a 1 Hz van pass would
    // outweigh them); van readings are then independent evidence (`vanMedian`).
    const nFixed = rows.filter((r) => !r.mobile).length;
    const own = nFixed >= (s.minReadings ?? Infinity) ? rows.filter((r) => !r.mobile) : rows;
    const values = own.map((r) => r.value).sort((a, b) => a - b);
    const vanTimes = new Map<string, number[]>();
    for (const r of rows) if (r.mobile) (vanTimes.get(r.deviceId) ?? vanTimes.set(r.deviceId, []).get(r.deviceId)!).push(r.time);
    const passes = [...vanTimes.values()].flatMap((ts) =>
      passLengths(
        ts.sort((a, b) => a - b),
        s.vanPassGapSeconds,
      ),
    );
    const vanValues = rows
      .filter((r) => r.mobile)
      .map((r) => r.value)
      .sort((a, b) => a - b);
    out.push({
      cell,
      vanMedian: vanValues.length ? quantileSorted(vanValues, 0.5) : null,
      n: rows.length,
      nFixed,
      devices: new Set(rows.map((r) => r.deviceId)).size,
      vanPasses: passes.length,
      maxPassReadings: passes.length ? Math.max(...passes) : 0,
      mean: values.reduce((a, v) => a + v, 0) / values.length,
      median: quantileSorted(values, 0.5),
      p90: quantileSorted(values, 0.9),
      max: values[values.length - 1]!,
      min: values[0]!,
      dispersion: nFixed >= (s.minReadings ?? Infinity) ? pooledDispersion(own) : null,
    });
  }
  return out;
}

/**
 * Within-window dispersion of fixed-sensor readings (the reference of the SQL rollup's `dispersion`):
 * per device with ≥ 3 readings, the residual sum of squares about its least-squares line in time;
 * √(Σ RSS / Σ (n − 2)) over those devices. A device whose readings share one time contributes its
 * plain sum of squares about the mean. @returns null when no device has 3 readings
 */
export function pooledDispersion(rows: readonly Pick<GridReading, 'deviceId' | 'time' | 'value'>[]): number | null {
  const byDevice = new Map<string, { t: number; v: number }[]>();
  for (const r of rows) (byDevice.get(r.deviceId) ?? byDevice.set(r.deviceId, []).get(r.deviceId)!).push({ t: r.time / 1000, v: r.value });
  let rss = 0;
  let dof = 0;
  for (const pts of byDevice.values()) {
    const n = pts.length;
    if (n < 3) continue;
    const mt = pts.reduce((a, p) => a + p.t, 0) / n;
    const mv = pts.reduce((a, p) => a + p.v, 0) / n;
    let sxx = 0;
    let sxy = 0;
    let syy = 0;
    for (const p of pts) {
      sxx += (p.t - mt) ** 2;
      sxy += (p.t - mt) * (p.v - mv);
      syy += (p.v - mv) ** 2;
    }
    rss += sxx > 0 ? syy - (sxy * sxy) / sxx : syy;
    dof += n - 2;
  }
  return dof > 0 ? Math.sqrt(Math.max(0, rss) / dof) : null;
}
