import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { latLngToCell } from 'h3-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, loadConfig } from '@voc/config';
import { bigintToH3, createPool, DeviceRepository, ReadingRepository, type Pool } from '@voc/db';
import { DEFAULT_METHOD_SETTINGS, DEFAULT_TRACE_SETTINGS } from '@voc/hotspot';
import { backfill } from './backfill.js';
import { EvaluationRepository } from '@voc/db';
import { deleteHotspotRows } from '@voc/db/testing';
import { beijingReadings, beijingStations, stationDeviceId } from '../testing/beijing.js';

// Cross-check of the worker's cell statistics against an independent recomputation in plain JS over
// rows read straight from the UCI Beijing Multi-Site CSV files (../shared/data, CC BY 4.0). Three days
// of January 2017 of the 8 stations are written into the database, moved by a whole number of days to
// 2035 so that no other test's rows share their windows (values and station positions are untouched).

const DATA = fileURLToPath(new URL('../../../../../shared/data/beijing-multisite/', import.meta.url));
const H = 3_600_000;
const FROM = Date.UTC(2016, 11, 31, 16); // 2017-01-01 00:00 China Standard Time
const TO = FROM + 3 * 24 * H;
const SHIFT = Date.UTC(2035, 0, 1) - Date.UTC(2017, 0, 1);
const WINDOW_MIN = 360;

/** Hyndman & Fan type 7 quantile of an ascending array (what percentile_cont computes), written out here. */
function q7(sorted: number[], p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  return sorted[lo]! + (h - lo) * ((sorted[Math.min(lo + 1, sorted.length - 1)] ?? sorted[lo]!) - sorted[lo]!);
}

interface Expected {
  n: number;
  mean: number;
  median: number;
  p90: number;
  max: number;
}

/**
 * Expected statistics per (cell, window) of one CSV column, from the files alone: split lines, skip
 * `NA`, local time UTC+8, window = 6 h, cell = the station's resolution-8 cell.
 */
function expectedFromCsv(column: string, factor: number): Map<string, Expected> {
  const stations = readFileSync(`${DATA}stations.csv`, 'utf8')
    .trim()
    .split(/\r?\n/)
    .slice(1)
    .map((l) => l.split(','));
  const groups = new Map<string, number[]>();
  for (const [station, , , lat, lon] of stations) {
    const cell = latLngToCell(Number(lat), Number(lon), 8);
    const lines = readFileSync(`${DATA}PRSA_Data_${station}_20130301-20170228.csv`, 'utf8').split(/\r?\n/);
    const head = lines[0]!.split(',').map((h) => h.replaceAll('"', ''));
    const col = head.indexOf(column);
    for (const line of lines.slice(1)) {
      if (!line) continue;
      const c = line.split(',');
      const t = Date.UTC(Number(c[1]), Number(c[2]) - 1, Number(c[3]), Number(c[4])) - 8 * H;
      if (t < FROM || t >= TO || c[col] === 'NA') continue;
      const w = Math.floor((t + SHIFT) / (WINDOW_MIN * 60_000)) * WINDOW_MIN * 60_000;
      const k = `${cell}|${w}`;
      (groups.get(k) ?? groups.set(k, []).get(k)!).push(Number(c[col]) * factor);
    }
  }
  const out = new Map<string, Expected>();
  for (const [k, vs] of groups) {
    const s = [...vs].sort((a, b) => a - b);
    out.set(k, { n: s.length, mean: s.reduce((a, v) => a + v, 0) / s.length, median: q7(s, 0.5), p90: q7(s, 0.9), max: s[s.length - 1]! });
  }
  return out;
}

describe.skipIf(!existsSync(DATA))('cell statistics on the real Beijing data', () => {
  const cfg = loadConfig();
  const log = createLogger('hotspot-beijing-test', cfg.logLevel);
  const prefix = `b${randomUUID().slice(0, 8)}-`;
  let pool: Pool;

  beforeAll(async () => {
    pool = createPool(cfg.pg, log, 'voc-hotspot-beijing-test');
    await new DeviceRepository(pool).upsert(
      beijingStations(DATA).map((s) => ({ id: stationDeviceId(prefix, s.station), kind: 'fixed' as const, lat: s.lat, lon: s.lon })),
    );
    const msgs = beijingReadings(DATA, { from: FROM, to: TO, prefix, shiftMs: SHIFT, metrics: ['pm25', 'co'] });
    for (let i = 0; i < msgs.length; i += 2000) await new ReadingRepository(pool).insertBatch(msgs.slice(i, i + 2000));
  });

  afterAll(async () => {
    await deleteHotspotRows(pool, FROM + SHIFT - 24 * H, TO + SHIFT + 24 * H);
    await pool.query(`delete from readings where device_id like $1`, [`${prefix}%`]);
    await pool.query(`delete from devices where id like $1`, [`${prefix}%`]);
    await pool.end();
  });

  it('matches an independent recomputation from the CSV files: count, devices, mean, median, p90 and max per cell and window (PM2.5, and CO converted to mg/m³)', async () => {
    const method = { ...DEFAULT_METHOD_SETTINGS, windowMinutes: WINDOW_MIN };
    const deps = { store: new EvaluationRepository(pool), method, trace: DEFAULT_TRACE_SETTINGS, watermarkMarginMs: 0, log };
    const summary = await backfill(deps, { from: FROM + SHIFT, to: TO + SHIFT, metrics: ['pm25', 'co'] });
    expect(summary.windows).toBe(2 * 13); // 16:00Z is inside the 12:00Z window: 13 six-hour windows per metric
    for (const [metric, column, factor] of [
      ['pm25', 'PM2.5', 1],
      ['co', 'CO', 1 / 1000],
    ] as const) {
      const expected = expectedFromCsv(column, factor);
      const { rows } = await pool.query<{
        cell: string;
        w: Date;
        n: number;
        devices: number;
        mean: number;
        median: number;
        p90: number;
        max: number;
      }>(
        `select cell::text as cell, window_start as w, n, devices, mean, median, p90, max from hotspot_cell_stats
         where metric = $1 and resolution = 8 and window_minutes = $2 and window_start >= $3 and window_start < $4`,
        [metric, WINDOW_MIN, new Date(FROM + SHIFT - WINDOW_MIN * 60_000).toISOString(), new Date(TO + SHIFT).toISOString()],
      );
      const got = new Map(rows.map((r) => [`${bigintToH3(r.cell)}|${r.w.getTime()}`, r]));
      expect([...got.keys()].sort()).toEqual([...expected.keys()].sort());
      expect(new Set([...got.keys()].map((k) => k.split('|')[0])).size).toBe(8);
      for (const [k, e] of expected) {
        const g = got.get(k)!;
        expect(g.n).toBe(e.n);
        expect(g.devices).toBe(1);
        for (const f of ['mean', 'median', 'p90', 'max'] as const) expect(g[f]).toBeCloseTo(e[f], 9);
      }
    }
  });
});
