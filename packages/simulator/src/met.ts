import { readFileSync } from 'node:fs';

/**
 * Background air quality and meteorology from the real Beijing stations (UCI "Beijing Multi-Site
 * Air-Quality", Chen 2017, CC BY 4.0; Zhang et al. 2017, *Proc. R. Soc. A* 473:20170457). The simulator
 * takes its district background (PM2.5, PM10, CO as the scale of the VOC background), its wind and its
 * diurnal cycle and regional episodes from these files; it invents none of them.
 */

/** One hourly row of a station file. Values are null where the file says `NA`. */
export interface StationHour {
  readonly station: string;
  /** Start of the hour, epoch ms (the file's local time is China Standard Time, UTC+8). */
  readonly time: number;
  /** µg/m³. */
  readonly pm25: number | null;
  readonly pm10: number | null;
  /** CO as in the file: µg/m³ at the standard state (273.15 K; GB 3095-2012 before its 2018 amendment). */
  readonly coUgM3Standard: number | null;
  /** °C, hPa. */
  readonly temp: number | null;
  readonly pressure: number | null;
  /** Direction the wind blows from, degrees clockwise from north (16-point compass of the file). */
  readonly windFromDeg: number | null;
  /** m/s. */
  readonly windSpeed: number | null;
}

const COMPASS = ['N', 'NNE', 'NE', 'ENE', 'E', 'ESE', 'SE', 'SSE', 'S', 'SSW', 'SW', 'WSW', 'W', 'WNW', 'NW', 'NNW'];
/** China Standard Time offset, ms. */
const CST_MS = 8 * 3_600_000;

function num(s: string | undefined): number | null {
  if (s === undefined || s === 'NA' || s === '') return null;
  const v = Number(s);
  return Number.isFinite(v) ? v : null;
}

/**
 * Parses a station file of the UCI Beijing set (`No,year,month,day,hour,PM2.5,PM10,SO2,NO2,CO,O3,TEMP,
 * PRES,DEWP,RAIN,wd,WSPM,station`, quoted header, CRLF, `NA` = missing).
 * @throws Error naming the line when the header or a row does not have that shape
 */
export function parseBeijingStationCsv(text: string): StationHour[] {
  const lines = text.split(/\r?\n/).filter((l) => l !== '');
  const header = (lines[0] ?? '').replace(/"/g, '').split(',');
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`Beijing station file: column ${name} missing from the header`);
    return i;
  };
  const c = {
    year: col('year'),
    month: col('month'),
    day: col('day'),
    hour: col('hour'),
    pm25: col('PM2.5'),
    pm10: col('PM10'),
    co: col('CO'),
    temp: col('TEMP'),
    pres: col('PRES'),
    wd: col('wd'),
    ws: col('WSPM'),
    station: col('station'),
  };
  return lines.slice(1).map((line, k) => {
    const f = line.replace(/"/g, '').split(',');
    if (f.length !== header.length) throw new Error(`Beijing station file line ${k + 2}: ${f.length} fields, expected ${header.length}`);
    const [y, mo, d, h] = [c.year, c.month, c.day, c.hour].map((i) => Number(f[i]));
    const time = Date.UTC(y!, mo! - 1, d, h) - CST_MS;
    if (!Number.isFinite(time)) throw new Error(`Beijing station file line ${k + 2}: bad date`);
    const wd = f[c.wd];
    const dirIndex = wd === undefined ? -1 : COMPASS.indexOf(wd);
    return {
      station: f[c.station] ?? '',
      time,
      pm25: num(f[c.pm25]),
      pm10: num(f[c.pm10]),
      coUgM3Standard: num(f[c.co]),
      temp: num(f[c.temp]),
      pressure: num(f[c.pres]),
      windFromDeg: dirIndex < 0 ? null : dirIndex * 22.5,
      windSpeed: num(f[c.ws]),
    };
  });
}

/** Files of the committed default slice: December 2016 of the two Xicheng stations (see `data/README.md`). */
export const DEFAULT_SLICE_FILES = ['PRSA_Data_Guanyuan_201612.csv', 'PRSA_Data_Wanshouxigong_201612.csv'] as const;

/**
 * Reads the committed default slice (Guanyuan and Wanshouxigong, 2016-12-01 00:00 → 12-31 23:00 CST),
 * shipped with the package so that a plain clone works without the full data set.
 */
export function loadDefaultStations(): StationHour[][] {
  return DEFAULT_SLICE_FILES.map((f) =>
    parseBeijingStationCsv(readFileSync(new URL(`../data/beijing-multisite/${f}`, import.meta.url), 'utf8')),
  );
}

/**
 * Reads station files (full files of the data set or slices of them), keeping the rows whose hour lies
 * in [from, to) when given, so a long file need not be held whole.
 */
export function loadStationFiles(paths: readonly string[], from?: number, to?: number): StationHour[][] {
  return paths.map((p) =>
    parseBeijingStationCsv(readFileSync(p, 'utf8')).filter(
      (r) => (from === undefined || r.time >= from) && (to === undefined || r.time < to),
    ),
  );
}
