import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { latLngToCell } from 'h3-js';
import { STORED_H3_RESOLUTION, type MetricId, type ReadingMessage } from '@voc/domain';
import { buildReading, type ReadingValueSpec } from '@voc/domain/testing';

/**
 * Loader of the UCI "Beijing Multi-Site Air-Quality" files (../shared/data/beijing-multisite, CC BY 4.0;
 * Zhang et al. 2017, doi:10.1098/rspa.2017.0457) as reading messages of fixed devices at the station
 * coordinates of `stations.csv`, for tests and the benchmark, which write them straight into the database.
 *
 * Choices (the data's traps, SOURCE.md): `NA` is missing and gives no value (never zero); local time is
 * China Standard Time (UTC+8); CO is given in µg/m³ and stored in mg/m³ (÷ 1000); `wd` (16-point
 * compass) becomes `wind_dir` in degrees (N = 0, NNE = 22.5, …) and `WSPM` `wind_speed` in m/s.
 */

/** A station of `stations.csv`. */
export interface Station {
  readonly station: string;
  readonly lat: number;
  readonly lon: number;
  readonly kind: string;
}

const COMPASS = ['N', 'NNE', 'NE', 'ENE', 'E', 'ESE', 'SE', 'SSE', 'S', 'SSW', 'SW', 'WSW', 'W', 'WNW', 'NW', 'NNW'];

/** Column → metric, with the factor to the canonical unit. */
const COLUMNS: readonly { col: string; metric: MetricId; factor: number; rawUnit: string }[] = [
  { col: 'PM2.5', metric: 'pm25', factor: 1, rawUnit: 'ug/m3' },
  { col: 'PM10', metric: 'pm10', factor: 1, rawUnit: 'ug/m3' },
  { col: 'SO2', metric: 'so2', factor: 1, rawUnit: 'ug/m3' },
  { col: 'NO2', metric: 'no2', factor: 1, rawUnit: 'ug/m3' },
  { col: 'CO', metric: 'co', factor: 1 / 1000, rawUnit: 'ug/m3' },
  { col: 'O3', metric: 'o3', factor: 1, rawUnit: 'ug/m3' },
  { col: 'TEMP', metric: 'temp', factor: 1, rawUnit: 'C' },
  { col: 'PRES', metric: 'pressure', factor: 1, rawUnit: 'hPa' },
  { col: 'DEWP', metric: 'dew_point', factor: 1, rawUnit: 'C' },
  { col: 'RAIN', metric: 'rain', factor: 1, rawUnit: 'mm' },
  { col: 'WSPM', metric: 'wind_speed', factor: 1, rawUnit: 'm/s' },
];

/** Reads `stations.csv`. */
export function beijingStations(dir: string): Station[] {
  const rows = parse<Record<string, string>>(readFileSync(join(dir, 'stations.csv'), 'utf8'), {
    columns: true,
    skip_empty_lines: true,
    trim: true,
  });
  return rows.map((r) => ({ station: r.station!, lat: Number(r.latitude), lon: Number(r.longitude), kind: r.kind! }));
}

/** UTC epoch ms of a row's local (UTC+8) hour. */
export function beijingTime(year: number, month: number, day: number, hour: number): number {
  return Date.UTC(year, month - 1, day, hour) - 8 * 3_600_000;
}

/** Device id of a station. */
export function stationDeviceId(prefix: string, station: string): string {
  return `${prefix}bj-${station.toLowerCase()}`;
}

/**
 * Reading messages of every station in [from, to) (UTC epoch ms of the original data).
 * @param shiftMs added to every time (tests move the data to a range no other test uses)
 * @param metrics keep only these metrics (default all)
 */
export function beijingReadings(
  dir: string,
  opts: { from: number; to: number; prefix?: string; shiftMs?: number; metrics?: readonly MetricId[] },
): ReadingMessage[] {
  const shift = opts.shiftMs ?? 0;
  const keep = opts.metrics ? new Set<string>(opts.metrics) : undefined;
  const out: ReadingMessage[] = [];
  for (const st of beijingStations(dir)) {
    const h3 = latLngToCell(st.lat, st.lon, STORED_H3_RESOLUTION);
    const file = join(dir, `PRSA_Data_${st.station}_20130301-20170228.csv`);
    const rows = parse<Record<string, string>>(readFileSync(file, 'utf8'), { columns: true, skip_empty_lines: true });
    for (const r of rows) {
      const t = beijingTime(Number(r.year), Number(r.month), Number(r.day), Number(r.hour));
      if (t < opts.from || t >= opts.to) continue;
      const values: ReadingValueSpec[] = [];
      for (const c of COLUMNS) {
        const raw = r[c.col];
        if (raw === undefined || raw === 'NA' || raw === '' || (keep && !keep.has(c.metric))) continue;
        const v = Number(raw);
        values.push({ metric: c.metric, value: v * c.factor, raw: { value: v, unit: c.rawUnit } });
      }
      const wd = r.wd;
      const dirIdx = wd ? COMPASS.indexOf(wd) : -1;
      if (dirIdx >= 0 && (!keep || keep.has('wind_dir'))) {
        values.push({ metric: 'wind_dir', value: dirIdx * 22.5, raw: { value: dirIdx * 22.5, unit: wd! } });
      }
      if (values.length === 0) continue;
      out.push(buildReading(stationDeviceId(opts.prefix ?? '', st.station), t + shift, values, { h3 }));
    }
  }
  return out;
}
