import { join } from 'node:path';
import { UNITS } from '@voc/domain';
import { columnIndex, csvRows, dataError } from '../csv.js';
import { localToUtc } from '../time.js';
import type { ReplayDevice, ReplayItem, ReplayValue } from '../types.js';

/** Path of the UCI Air Quality file under a data directory (same layout as `../shared/data`). */
export const UCI_FILE = join('uci-air-quality', 'AirQualityUCI.csv');
/** Device id of the UCI multisensor device, replayed as a fixed VOC sensor placed in Xicheng. */
export const UCI_DEVICE_ID = 'uci-mos-01';
/** The file's missing-value sentinel (written `-200` or `-200,0`). */
export const UCI_MISSING = -200;

/**
 * Default time zone of the file: a fixed UTC+1 (CET all year, Italian "ora solare").
 *
 * Why not Europe/Rome with daylight-saving time: the clock of the file does not change. 28/03/2004
 * has a `02.00.00` row although 02:00-03:00 did not exist in Italy that night, and 31/10/2004 has 24
 * rows, not 25; every day of the file has exactly 24 hourly rows. Read as Europe/Rome, the spring
 * 02:00 row would fall on the same instant as the 03:00 row (and be stored once) and an hour would
 * vanish each autumn. Italian regional networks report in solar time (UTC+1) all year, which matches.
 * `Europe/Rome` (or any zone) can still be chosen with `voc replay --uci-tz`.
 */
export const UCI_DEFAULT_TIME_ZONE = '+01:00';

/** Columns read (names as in the header) and the metric each becomes. */
const COLUMNS = [
  // Metal-oxide (titania) sensor response: a unitless index, never a concentration (DOMAIN.md §2).
  { column: 'PT08.S2(NMHC)', metric: 'voc_index', unit: UNITS.index, ref: undefined },
  { column: 'NMHC(GT)', metric: 'nmhc', unit: UNITS.ug_m3, ref: 'reference' },
  { column: 'C6H6(GT)', metric: 'benzene', unit: UNITS.ug_m3, ref: 'reference' },
  { column: 'CO(GT)', metric: 'co', unit: UNITS.mg_m3, ref: 'reference' },
  { column: 'NOx(GT)', metric: 'nox', unit: UNITS.ppb, ref: undefined },
  { column: 'NO2(GT)', metric: 'no2', unit: UNITS.ug_m3, ref: 'reference' },
  { column: 'T', metric: 'temp', unit: UNITS.degC, ref: undefined },
  { column: 'RH', metric: 'rh', unit: UNITS.percent, ref: undefined },
] as const;

/** Options of {@link uciItems}. */
export interface UciOptions {
  /** `±HH:MM` or an IANA zone (e.g. `Europe/Rome`); default {@link UCI_DEFAULT_TIME_ZONE}. */
  readonly timeZone?: string;
}

/** Counters a source fills while it reads (for tests and summaries). */
export interface UciStats {
  /** Data records read (header and trailing empty records excluded). */
  records: number;
  /** Records made only of separators (`;;;;;;;;;;;;;;;;`), skipped: 114 in the original file. */
  emptyRecords: number;
  /** Records where every replayed column is missing (nothing to publish). */
  recordsWithoutValues: number;
}

/**
 * Parses a cell: decimal comma, `-200`/`-200,0` = missing (undefined).
 * @throws VocError when the cell is neither a number nor the sentinel
 */
function cellNumber(path: string, line: number, column: string, cell: string | undefined): number | undefined {
  if (cell === undefined || cell.trim() === '') throw dataError(path, line, `${column}: empty cell`);
  const v = Number(cell.replace(',', '.'));
  if (!Number.isFinite(v)) throw dataError(path, line, `${column}: "${cell}" is not a number`);
  return v === UCI_MISSING ? undefined : v;
}

/** Devices of the UCI source. */
export function uciDevices(): ReplayDevice[] {
  return [{ deviceId: UCI_DEVICE_ID, kind: 'fixed' }];
}

/**
 * The UCI Air Quality source (De Vito et al.): one fixed device `uci-mos-01`, hourly, in file order.
 * `;` separator, decimal comma, `DD/MM/YYYY;HH.MM.SS` local time ({@link UCI_DEFAULT_TIME_ZONE}),
 * `-200` missing (left out), trailing empty records skipped. Units as published: CO mg/m³, NMHC,
 * benzene and NO2 µg/m³, NOx ppb, T °C, RH %; `PT08.S2(NMHC)` as `voc_index`.
 * @param dataDir folder holding `uci-air-quality/AirQualityUCI.csv`
 */
export async function* uciItems(dataDir: string, opts: UciOptions = {}, stats?: UciStats): AsyncGenerator<ReplayItem> {
  const path = join(dataDir, UCI_FILE);
  const zone = opts.timeZone ?? UCI_DEFAULT_TIME_ZONE;
  let col: { date: number; time: number; values: Record<string, number> } | undefined;
  for await (const row of csvRows(path, ';')) {
    if (!col) {
      const { date, time } = columnIndex(path, row, { date: 'Date', time: 'Time' });
      col = {
        date,
        time,
        values: columnIndex(path, row, Object.fromEntries(COLUMNS.map((c) => [c.column, c.column])) as Record<string, string>),
      };
      continue;
    }
    if (row.cells.every((c) => c.trim() === '')) {
      if (stats) stats.emptyRecords++;
      continue;
    }
    if (stats) stats.records++;
    const date = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(row.cells[col.date] ?? '');
    const time = /^(\d{2})\.(\d{2})\.(\d{2})$/.exec(row.cells[col.time] ?? '');
    if (!date || !time)
      throw dataError(path, row.line, `date/time "${row.cells[col.date]} ${row.cells[col.time]}" is not DD/MM/YYYY HH.MM.SS`);
    const ts = localToUtc(
      {
        year: Number(date[3]),
        month: Number(date[2]),
        day: Number(date[1]),
        hour: Number(time[1]),
        minute: Number(time[2]),
        second: Number(time[3]),
      },
      zone,
    );
    const values: ReplayValue[] = [];
    for (const c of COLUMNS) {
      const v = cellNumber(path, row.line, c.column, row.cells[col.values[c.column] ?? -1]);
      if (v === undefined) continue;
      values.push(c.ref ? { metric: c.metric, value: v, unit: c.unit, ref: c.ref } : { metric: c.metric, value: v, unit: c.unit });
    }
    if (values.length === 0) {
      if (stats) stats.recordsWithoutValues++;
      continue;
    }
    yield { source: 'uci', deviceId: UCI_DEVICE_ID, kind: 'fixed', ts, values };
  }
}
