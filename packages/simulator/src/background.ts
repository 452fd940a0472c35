import type { StationHour } from './met.js';

/** 273.15 / 298.15: a gas concentration at the standard state (273.15 K) expressed at the reference state (298.15 K), same pressure. */
export const STANDARD_TO_REFERENCE = 273.15 / 298.15;

/** The district background and weather at one instant, interpolated from the hourly station data. */
export interface Conditions {
  /** µg/m³ (mean of the stations). */
  readonly pm25: number;
  readonly pm10: number;
  /** mg/m³ at the reference state (file µg/m³ at the standard state × 273.15/298.15 / 1000). */
  readonly coMgM3: number;
  /** Direction the wind comes from, degrees from north, and its speed, m/s (first station with weather). */
  readonly windFromDeg: number;
  readonly windSpeed: number;
  readonly temp: number;
  readonly pressure: number;
}

type Field = 'pm25' | 'pm10' | 'co' | 'u' | 'v' | 'ws' | 'temp' | 'pressure';
const FIELDS: Field[] = ['pm25', 'pm10', 'co', 'u', 'v', 'ws', 'temp', 'pressure'];

/** Hourly background series over a time span, gap-filled. */
export interface Background {
  readonly from: number;
  /** Exclusive: the last hour + 1 h. */
  readonly to: number;
  readonly stations: readonly string[];
  /** Hours whose value of a field was filled by interpolation (no station had it), per field. */
  readonly filledHours: Readonly<Record<Field, number>>;
  /** Conditions at time t (epoch ms), linear between hourly values (wind as a vector). @throws RangeError outside [from, to) */
  at(t: number): Conditions;
  /** The hourly PM2.5 series (µg/m³), one per hour from `from`. */
  readonly hourlyPm25: readonly number[];
}

const HOUR = 3_600_000;

/**
 * Combines station files into one district background: per hour, the mean over the stations that have
 * a value (PM2.5, PM10, CO); the weather of the first station that has it (stations matched to the same
 * weather station carry the same columns). Hours missing at every station are filled by linear
 * interpolation between the nearest hours with data (held constant before the first / after the last).
 * @throws RangeError when the files share no hour or a field has no value at all
 */
export function buildBackground(stations: readonly (readonly StationHour[])[]): Background {
  const times = stations.flatMap((s) => s.map((r) => r.time));
  if (times.length === 0) throw new RangeError('no station rows');
  const from = Math.min(...times);
  const to = Math.max(...times) + HOUR;
  const n = Math.round((to - from) / HOUR);
  const cols = Object.fromEntries(FIELDS.map((f) => [f, new Array<number | null>(n).fill(null)])) as Record<Field, (number | null)[]>;
  const sums = { pm25: new Array<number[]>(n), pm10: new Array<number[]>(n), co: new Array<number[]>(n) };
  for (const s of stations)
    for (const r of s) {
      const i = Math.round((r.time - from) / HOUR);
      for (const [k, v] of [
        ['pm25', r.pm25],
        ['pm10', r.pm10],
        ['co', r.coUgM3Standard === null ? null : (r.coUgM3Standard * STANDARD_TO_REFERENCE) / 1000],
      ] as const)
        if (v !== null) (sums[k][i] ??= []).push(v);
      if (cols.ws[i] === null && r.windSpeed !== null && r.windFromDeg !== null) {
        const rad = (r.windFromDeg * Math.PI) / 180;
        // u, v: components of the direction the wind comes from, weighted by speed, for interpolation.
        cols.u[i] = Math.sin(rad) * r.windSpeed;
        cols.v[i] = Math.cos(rad) * r.windSpeed;
        cols.ws[i] = r.windSpeed;
      }
      if (cols.temp[i] === null && r.temp !== null) cols.temp[i] = r.temp;
      if (cols.pressure[i] === null && r.pressure !== null) cols.pressure[i] = r.pressure;
    }
  for (const k of ['pm25', 'pm10', 'co'] as const)
    for (let i = 0; i < n; i += 1) {
      const v = sums[k][i];
      if (v) cols[k][i] = v.reduce((a, b) => a + b, 0) / v.length;
    }
  const filledHours = {} as Record<Field, number>;
  const filled = {} as Record<Field, number[]>;
  for (const f of FIELDS) {
    const { values, count } = fillGaps(cols[f], f);
    filled[f] = values;
    filledHours[f] = count;
  }
  return {
    from,
    to,
    stations: stations.map((s) => s[0]?.station ?? '?'),
    filledHours,
    hourlyPm25: filled.pm25,
    at(t) {
      if (!(t >= from && t < to))
        throw new RangeError(
          `no background data at ${new Date(t).toISOString()} (data cover ${new Date(from).toISOString()} to ${new Date(to).toISOString()})`,
        );
      const pos = (t - from) / HOUR;
      const i = Math.floor(pos);
      const w = pos - i;
      const j = Math.min(i + 1, n - 1);
      const lerp = (f: Field) => filled[f][i]! * (1 - w) + filled[f][j]! * w;
      const u = lerp('u');
      const v = lerp('v');
      return {
        pm25: lerp('pm25'),
        pm10: lerp('pm10'),
        coMgM3: lerp('co'),
        windFromDeg: ((((Math.atan2(u, v) * 180) / Math.PI) % 360) + 360) % 360,
        windSpeed: lerp('ws'),
        temp: lerp('temp'),
        pressure: lerp('pressure'),
      };
    },
  };
}

function fillGaps(col: readonly (number | null)[], name: string): { values: number[]; count: number } {
  const n = col.length;
  const prev = new Array<number>(n).fill(-1);
  const next = new Array<number>(n).fill(-1);
  for (let i = 0, last = -1; i < n; i += 1) {
    if (col[i] !== null) last = i;
    prev[i] = last;
  }
  for (let i = n - 1, last = -1; i >= 0; i -= 1) {
    if (col[i] !== null) last = i;
    next[i] = last;
  }
  if (prev[n - 1] === -1) throw new RangeError(`station data have no ${name} value at all`);
  let count = 0;
  const values = col.map((v, i) => {
    if (v !== null) return v;
    count += 1;
    const p = prev[i]!;
    const q = next[i]!;
    if (p < 0) return col[q]!;
    if (q < 0) return col[p]!;
    const w = (i - p) / (q - p);
    return col[p]! * (1 - w) + col[q]! * w;
  });
  return { values, count };
}

/** A regional pollution episode found in the background series. */
export interface Episode {
  readonly start: number;
  readonly end: number;
  readonly metric: 'pm25';
  /** Highest hourly district PM2.5 in the episode, µg/m³. */
  readonly peak: number;
}

/**
 * Regional episodes: runs of hours whose district PM2.5 exceeds `threshold` (default 150 µg/m³, the
 * lower limit of "heavy pollution", IAQI 200, in HJ 633-2012 Table 1), merging runs separated by at most
 * `mergeGapHours` (default 3) and keeping those of at least `minHours` (default 6). Both are ours.
 */
export function findEpisodes(bg: Background, opts: { threshold?: number; minHours?: number; mergeGapHours?: number } = {}): Episode[] {
  const threshold = opts.threshold ?? 150;
  const minHours = opts.minHours ?? 6;
  const gap = opts.mergeGapHours ?? 3;
  const runs: { s: number; e: number }[] = [];
  bg.hourlyPm25.forEach((v, i) => {
    if (v <= threshold) return;
    const last = runs[runs.length - 1];
    if (last && i - last.e <= gap) last.e = i + 1;
    else runs.push({ s: i, e: i + 1 });
  });
  return runs
    .filter((r) => r.e - r.s >= minHours)
    .map((r) => ({
      start: bg.from + r.s * HOUR,
      end: bg.from + r.e * HOUR,
      metric: 'pm25' as const,
      peak: Math.max(...bg.hourlyPm25.slice(r.s, r.e)),
    }));
}
