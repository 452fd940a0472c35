import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UNITS } from '@voc/domain';
import type { ReferenceState } from '@voc/domain';
import { columnIndex, csvRows, dataError, round } from '../csv.js';
import { mergeByTime } from '../merge.js';
import { localToUtc } from '../time.js';
import type { ReplayDevice, ReplayItem, ReplayValue } from '../types.js';

/** Folder of the UCI Beijing Multi-Site files under a data directory (same layout as `../shared/data`). */
export const BEIJING_DIR = 'beijing-multisite';
/** Station table: `station,name_zh,district,latitude,longitude,kind`, WGS-84 degrees. */
export const BEIJING_STATIONS_FILE = 'stations.csv';
/** Local time of the files: China Standard Time, UTC+8, no daylight-saving time. */
export const BEIJING_TIME_ZONE = '+08:00';

/** File of one station, e.g. `PRSA_Data_Guanyuan_20130301-20170228.csv` (the demo slice keeps the name). */
export function beijingStationFile(station: string): string {
  return `PRSA_Data_${station}_20130301-20170228.csv`;
}

/** Device id of a station: `bj-<station lowercase>`, e.g. `bj-guanyuan`. */
export function beijingDeviceId(station: string): string {
  return `bj-${station.toLowerCase()}`;
}

/**
 * Mass concentration at the standard state (273.15 K) → at the reference state (298.15 K), same
 * pressure: c_ref = c_std × 273.15 / 298.15 (c ∝ 1/T for a fixed mixing ratio; DOMAIN.md §3).
 * GB 3095-2012 stated gaseous pollutants at the standard state until its 2018 amendment (Ministry of
 * Ecology and Environment announcement 2018 No. 29, in force 2018-09-01) moved them to the reference
 * state; the Beijing files (2013-2017) predate it. Particulate matter is not affected.
 */
export const STANDARD_TO_REFERENCE = 273.15 / 298.15;

/** 16-point compass → degrees clockwise from north (wind comes FROM that direction). */
export const COMPASS_16: Readonly<Record<string, number>> = Object.freeze(
  Object.fromEntries(
    ['N', 'NNE', 'NE', 'ENE', 'E', 'ESE', 'SE', 'SSE', 'S', 'SSW', 'SW', 'WSW', 'W', 'WNW', 'NW', 'NNW'].map((p, i) => [p, i * 22.5]),
  ),
);

/** Station row of `stations.csv`. */
export interface BeijingStation {
  readonly station: string;
  readonly nameZh: string;
  readonly district: string;
  readonly lat: number;
  readonly lon: number;
  readonly setting: string;
}

/** Options of {@link beijingItems}. */
export interface BeijingOptions {
  /** Stations to read (names as in `stations.csv`); default every station whose file exists. */
  readonly stations?: readonly string[];
  /**
   * true (default): gas concentrations (SO2, NO2, CO, O3) are converted from the standard state of the
   * files to the reference state the catalogue stores (× {@link STANDARD_TO_REFERENCE}) and sent with
   * `ref: 'reference'`. false: sent as in the file with `ref: 'standard'` (the gateway refuses a state it
   * would have to convert: `reference_state_mismatch`).
   */
  readonly gasesToReferenceState?: boolean;
}

/** Reads `stations.csv`. */
export async function readBeijingStations(dataDir: string): Promise<BeijingStation[]> {
  const path = join(dataDir, BEIJING_DIR, BEIJING_STATIONS_FILE);
  const out: BeijingStation[] = [];
  let col: Record<'station' | 'nameZh' | 'district' | 'lat' | 'lon' | 'setting', number> | undefined;
  for await (const row of csvRows(path)) {
    if (!col) {
      col = columnIndex(path, row, {
        station: 'station',
        nameZh: 'name_zh',
        district: 'district',
        lat: 'latitude',
        lon: 'longitude',
        setting: 'kind',
      });
      continue;
    }
    const c = (i: number) => row.cells[i] ?? '';
    const lat = Number(c(col.lat));
    const lon = Number(c(col.lon));
    if (!c(col.station) || !Number.isFinite(lat) || !Number.isFinite(lon))
      throw dataError(path, row.line, 'station row needs a name, latitude and longitude');
    out.push({ station: c(col.station), nameZh: c(col.nameZh), district: c(col.district), lat, lon, setting: c(col.setting) });
  }
  return out;
}

/** Stations of `stations.csv` whose data file is present in `dataDir`. */
export async function availableBeijingStations(dataDir: string): Promise<BeijingStation[]> {
  const all = await readBeijingStations(dataDir);
  return all.filter((s) => existsSync(join(dataDir, BEIJING_DIR, beijingStationFile(s.station))));
}

/** Devices of the Beijing source: one fixed sensor per station file present. */
export async function beijingDevices(dataDir: string, opts: BeijingOptions = {}): Promise<ReplayDevice[]> {
  const stations = await selectStations(dataDir, opts);
  return stations.map((s) => ({ deviceId: beijingDeviceId(s.station), kind: 'fixed' as const }));
}

async function selectStations(dataDir: string, opts: BeijingOptions): Promise<BeijingStation[]> {
  const avail = await availableBeijingStations(dataDir);
  if (!opts.stations) return avail;
  return opts.stations.map((name) => {
    const s = avail.find((a) => a.station.toLowerCase() === name.toLowerCase());
    if (!s) throw dataError(join(dataDir, BEIJING_DIR), 0, `no data file for station "${name}"`);
    return s;
  });
}

/** Column → metric; `gas` marks mass concentrations of gases (reference-state handling). */
const POLLUTANTS = [
  { column: 'PM2.5', metric: 'pm25', unit: UNITS.ug_m3, gas: false },
  { column: 'PM10', metric: 'pm10', unit: UNITS.ug_m3, gas: false },
  { column: 'SO2', metric: 'so2', unit: UNITS.ug_m3, gas: true },
  { column: 'NO2', metric: 'no2', unit: UNITS.ug_m3, gas: true },
  // CO is in µg/m³ in these files (e.g. 300), not the mg/m³ of Chinese national reporting: sent as
  // µg/m³, the gateway converts it to the catalogue's mg/m³.
  { column: 'CO', metric: 'co', unit: UNITS.ug_m3, gas: true },
  { column: 'O3', metric: 'o3', unit: UNITS.ug_m3, gas: true },
  { column: 'TEMP', metric: 'temp', unit: UNITS.degC, gas: false },
  { column: 'PRES', metric: 'pressure', unit: UNITS.hPa, gas: false },
  { column: 'DEWP', metric: 'dew_point', unit: UNITS.degC, gas: false },
  { column: 'RAIN', metric: 'rain', unit: UNITS.mm, gas: false },
  { column: 'WSPM', metric: 'wind_speed', unit: UNITS.m_s, gas: false },
] as const;

/** `NA` (the files' missing marker) → undefined; anything else must be a finite number. */
function cellNumber(path: string, line: number, column: string, cell: string | undefined): number | undefined {
  if (cell === undefined || cell === 'NA') return undefined;
  const v = Number(cell);
  if (cell.trim() === '' || !Number.isFinite(v)) throw dataError(path, line, `${column}: "${cell}" is neither a number nor NA`);
  return v;
}

/** Readings of one station file, in file (time) order. */
export async function* beijingStationItems(
  dataDir: string,
  station: BeijingStation,
  opts: BeijingOptions = {},
): AsyncGenerator<ReplayItem> {
  const path = join(dataDir, BEIJING_DIR, beijingStationFile(station.station));
  const toReference = opts.gasesToReferenceState ?? true;
  const gasRef: ReferenceState = toReference ? 'reference' : 'standard';
  const deviceId = beijingDeviceId(station.station);
  let header: ReturnType<typeof headerIndex> | undefined;
  for await (const row of csvRows(path)) {
    if (!header) {
      header = headerIndex(path, row);
      continue;
    }
    const c = (i: number) => row.cells[i];
    const [year, month, day, hour] = [c(header.time.year), c(header.time.month), c(header.time.day), c(header.time.hour)].map(Number);
    if (![year, month, day, hour].every((n) => Number.isInteger(n)))
      throw dataError(path, row.line, 'year, month, day and hour must be integers');
    const ts = localToUtc({ year: year!, month: month!, day: day!, hour: hour! }, BEIJING_TIME_ZONE);
    const values: ReplayValue[] = [];
    for (const p of POLLUTANTS) {
      const v = cellNumber(path, row.line, p.column, c(header.values[p.column] ?? -1));
      if (v === undefined) continue;
      if (p.gas) values.push({ metric: p.metric, value: toReference ? round(v * STANDARD_TO_REFERENCE, 3) : v, unit: p.unit, ref: gasRef });
      else values.push({ metric: p.metric, value: v, unit: p.unit });
    }
    const wd = c(header.wd);
    if (wd !== undefined && wd !== 'NA') {
      const deg = COMPASS_16[wd];
      if (deg === undefined) throw dataError(path, row.line, `wd: "${wd}" is not a 16-point compass direction`);
      values.push({ metric: 'wind_dir', value: deg, unit: UNITS.deg });
    }
    if (values.length === 0) continue;
    yield { source: 'beijing', deviceId, kind: 'fixed', ts, values };
  }
}

function headerIndex(path: string, row: { line: number; cells: readonly string[] }) {
  const time = columnIndex(path, row, { year: 'year', month: 'month', day: 'day', hour: 'hour' });
  const values = columnIndex(path, row, Object.fromEntries(POLLUTANTS.map((p) => [p.column, p.column])) as Record<string, string>);
  const { wd } = columnIndex(path, row, { wd: 'wd' });
  return { time, values, wd };
}

/**
 * The Beijing Multi-Site source: every station file present, each station a fixed sensor at its
 * `stations.csv` position (the registry holds the position; readings carry none), merged in time order.
 * Local time is China Standard Time (UTC+8): 2013-03-01 00:00 is 2013-02-28T16:00Z. `NA` cells are left
 * out of the reading; a row with every cell `NA` yields nothing.
 */
export async function* beijingItems(dataDir: string, opts: BeijingOptions = {}): AsyncGenerator<ReplayItem> {
  const stations = await selectStations(dataDir, opts);
  yield* mergeByTime(stations.map((s) => beijingStationItems(dataDir, s, opts)));
}
