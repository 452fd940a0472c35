import { join } from 'node:path';
import { UNITS } from '@voc/domain';
import type { WireGps } from '@voc/domain';
import { columnIndex, csvRows, dataError, round } from '../csv.js';
import { bearingDeg, haversineM, type LatLon } from '../geo.js';
import { localToUtc } from '../time.js';
import type { ReplayDevice, ReplayItem, ReplayValue } from '../types.js';

/** Path of the mmaqshiny joined 1 Hz file under a data directory (same layout as `../shared/data`). */
export const MOBILE_FILE = join('mobile', 'bangalore-mmaqshiny', 'joined_file.csv');
/** Device id of the survey van. */
export const VAN_DEVICE_ID = 'van-01';
/** Local time of the file: India Standard Time, UTC+05:30 (no daylight-saving time). */
export const MOBILE_TIME_ZONE = '+05:30';

/**
 * Where the translated track starts: the South 2nd Ring Road on the Xicheng side near Baizhifang,
 * about 39.8665 N, 116.3450 E (WGS-84, ±300 m). The Bengaluru drive runs about 11 km north and 5 km
 * east of its first point, so the translated track crosses Xicheng from south to north (to about
 * 39.969 N, 116.393 E). The shape is kept by adding one constant lat/lon offset to every point.
 */
export const VAN_TRACK_START: LatLon = Object.freeze({ lat: 39.8665, lon: 116.345 });

/** Below this distance between consecutive fixes (metres) the van is standing: speed 0, no heading. */
export const STANDING_DISTANCE_M = 0.5;

/**
 * PM2.5 column: `DT8530_PM2.5_RHC_Ref`, the DustTrak 8530 value corrected for humidity (mmaqshiny
 * divides by 1 + 0.25·RH²/(1 − RH), Chakrabarti et al. 2004, because an optical photometer
 * over-reads hygroscopic particles in humid air; RH was about 70 % on this drive) and then
 * reference-calibrated (slope/intercept from a co-location with a reference monitor; identity in
 * this shipped example, so it equals `DT8530_PM2.5_RHC`). The raw column would overstate PM2.5 by about 40 %.
 */
export const VAN_PM25_COLUMN = 'DT8530_PM2.5_RHC_Ref (ug/m3)';

const COLS = {
  time: 'date(LT)',
  lat: 'Latitude',
  lon: 'Longitude',
  // Raw AE51 black carbon: its 120 negative values (instrument noise at low loading) are kept; the
  // gateway stores small negatives with QA `suspect`. The noise-reduced columns have NA instead.
  bc: 'AE51_BC (ug/m3)',
  pm25: VAN_PM25_COLUMN,
  // Labelled % but holds a fraction (0.679-0.719): multiplied by 100.
  rh: 'RH(%)',
  ufp: 'CPC3007_Particle Concentration (#/cm3)',
  co2: 'LI-COR_CO2 (ppm)',
} as const;

/** Options of {@link mobileItems}. */
export interface MobileOptions {
  /** Where the track's first point is moved to; default {@link VAN_TRACK_START}. */
  readonly trackStart?: LatLon;
}

/** Devices of the mobile source. */
export function mobileDevices(): ReplayDevice[] {
  return [{ deviceId: VAN_DEVICE_ID, kind: 'van' }];
}

interface Row {
  line: number;
  ts: Date;
  pos: LatLon;
  values: ReplayValue[];
}

function cellNumber(path: string, line: number, column: string, cell: string | undefined): number | undefined {
  if (cell === undefined || cell === 'NA') return undefined;
  const v = Number(cell);
  if (cell.trim() === '' || !Number.isFinite(v)) throw dataError(path, line, `${column}: "${cell}" is neither a number nor NA`);
  return v;
}

async function readRows(path: string): Promise<Row[]> {
  const rows: Row[] = [];
  let col: Record<keyof typeof COLS, number> | undefined;
  for await (const r of csvRows(path)) {
    if (!col) {
      col = columnIndex(path, r, COLS);
      continue;
    }
    const c = (i: number) => r.cells[i];
    const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(c(col.time) ?? '');
    if (!m) throw dataError(path, r.line, `date(LT) "${c(col.time)}" is not YYYY-MM-DD HH:MM:SS`);
    const ts = localToUtc({ year: +m[1]!, month: +m[2]!, day: +m[3]!, hour: +m[4]!, minute: +m[5]!, second: +m[6]! }, MOBILE_TIME_ZONE);
    const lat = cellNumber(path, r.line, COLS.lat, c(col.lat));
    const lon = cellNumber(path, r.line, COLS.lon, c(col.lon));
    if (lat === undefined || lon === undefined) throw dataError(path, r.line, 'a van reading needs a position');
    const values: ReplayValue[] = [];
    const num = (k: keyof typeof COLS) => cellNumber(path, r.line, COLS[k], c(col![k]));
    const pm25 = num('pm25');
    if (pm25 !== undefined) values.push({ metric: 'pm25', value: pm25, unit: UNITS.ug_m3 });
    const bc = num('bc');
    if (bc !== undefined) values.push({ metric: 'bc', value: bc, unit: UNITS.ug_m3 });
    const ufp = num('ufp');
    if (ufp !== undefined) values.push({ metric: 'ufp', value: ufp, unit: UNITS.count_cm3 });
    const co2 = num('co2');
    if (co2 !== undefined) values.push({ metric: 'co2', value: co2, unit: UNITS.ppm });
    const rh = num('rh');
    if (rh !== undefined) values.push({ metric: 'rh', value: round(rh * 100, 6), unit: UNITS.percent });
    rows.push({ line: r.line, ts, pos: { lat, lon }, values });
  }
  return rows;
}

/** Speed (km/h) and heading between two fixes of the original track; heading undefined when standing. */
function motion(a: Row, b: Row): { speedKmh: number; headingDeg?: number } | undefined {
  const dt = (b.ts.getTime() - a.ts.getTime()) / 1000;
  if (dt <= 0) return undefined;
  const d = haversineM(a.pos, b.pos);
  if (d < STANDING_DISTANCE_M) return { speedKmh: 0 };
  return { speedKmh: round((d / dt) * 3.6, 2), headingDeg: round(bearingDeg(a.pos, b.pos), 1) };
}

/**
 * The mobile-monitoring source: the mmaqshiny Bengaluru drive (25 Sep 2019, 1 Hz) as survey van
 * `van-01`, its track **translated** into Xicheng by a constant lat/lon offset that moves its first point
 * to {@link VAN_TRACK_START}. Local time IST (UTC+05:30). Speed and heading come from consecutive fixes
 * of the original (untranslated) track, haversine distance / Δt (the first fix uses the segment to the
 * second); GPS fix `3d`. Values: PM2.5 ({@link VAN_PM25_COLUMN}), raw BC (negatives kept), UFP #/cm³,
 * CO2 ppm, RH % (the file's fraction × 100); `NA` left out.
 * @param dataDir folder holding `mobile/bangalore-mmaqshiny/joined_file.csv`
 */
export async function* mobileItems(dataDir: string, opts: MobileOptions = {}): AsyncGenerator<ReplayItem> {
  const rows = await readRows(join(dataDir, MOBILE_FILE));
  const first = rows[0];
  if (!first) return;
  const start = opts.trackStart ?? VAN_TRACK_START;
  const dLat = start.lat - first.pos.lat;
  const dLon = start.lon - first.pos.lon;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const prev = rows[i - 1];
    const next = rows[i + 1];
    const mv = prev ? motion(prev, row) : next ? motion(row, next) : undefined;
    const gps: WireGps = {
      lat: round(row.pos.lat + dLat, 8),
      lon: round(row.pos.lon + dLon, 8),
      fix: '3d',
      ...(mv ? { speedKmh: mv.speedKmh } : {}),
      ...(mv?.headingDeg !== undefined ? { headingDeg: mv.headingDeg } : {}),
    };
    if (row.values.length === 0) continue;
    yield { source: 'mobile', deviceId: VAN_DEVICE_ID, kind: 'van', ts: row.ts, values: row.values, gps };
  }
}
