#!/usr/bin/env node
/**
 * Hotspot evaluation benchmark (`npm run bench:hotspots [-- --cells 10000 --per-cell 100 --runs 3]`).
 *
 * 1. One window over `--cells` H3 cells (resolution 8, a disk around Xicheng) with `--per-cell`
 *    readings each from one fixed sensor per cell: synthetic values from a fixed-seed generator
 *    (mulberry32, seed 20170101), a lognormal-like background and 20 elevated cells. Measures the full
 *    evaluation of the window (rollup from raw rows, method, persistence, hotspots, tasks, outbox: one
 *    transaction) `--runs` times (the first is a first evaluation, the others re-evaluations), and the
 *    rollup query alone.
 * 2. A 30-day backfill over the real Beijing data (UCI Beijing Multi-Site, January 2017, 8 stations,
 *    every pollutant and the weather), written straight into the database, evaluated with the demo
 *    settings (docs/hotspots.md: 360-min windows, 6 readings) for pm25, pm10, no2, so2, co and o3.
 *    Read from ../shared/data/beijing-multisite, or from the demo slice in data/demo when that is absent.
 * Uses its own database (`voc_bench_hotspots`, recreated). Results go to
 * bench/results/hotspots-<date>.json; the printed table is the one in BENCHMARKS.md.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { cellToLatLng, gridDisk, latLngToCell } from 'h3-js';
import { createLogger, loadConfig } from '@voc/config';
import {
  createPool,
  DeviceRepository,
  EvaluationRepository,
  EvaluationTransaction,
  migrate,
  pgExecutor,
  ReadingRepository,
  type Pool,
} from '@voc/db';
import type { Logger, ReadingMessage } from '@voc/domain';
import { DEFAULT_METHOD_SETTINGS, DEFAULT_TRACE_SETTINGS, windowOf, type MethodSettings } from '@voc/hotspot';
import { backfill, evaluateWindow, type EvaluateOutcome, type EvaluationDeps } from '@voc/core';
import { beijingReadings, beijingStations, centreCell12, fixedReading, stationDeviceId } from '@voc/core/testing';
import { numberArg, recreateBenchDatabase } from './setup.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
// VOC_BENCH_DATABASE lets two checkouts on one cluster benchmark side by side.
const DB = process.env.VOC_BENCH_DATABASE ?? 'voc_bench_hotspots';
// The full files when present, else the committed demo slice (same file names, January 2017).
const BEIJING =
  [`${ROOT}../shared/data/beijing-multisite`, `${ROOT}data/demo/beijing-multisite`].find((d) => existsSync(d)) ??
  `${ROOT}data/demo/beijing-multisite`;
const SEED = 20170101;
/** The worker's defaults (VOC_HOTSPOT_ROLLUP_CONNECTIONS, VOC_HOTSPOT_WORK_MEM). */
const ROLLUP = {
  connections: loadConfig({ ...process.env, LOG_LEVEL: 'silent' }).hotspot.rollupConnections,
  workMem: loadConfig({ ...process.env, LOG_LEVEL: 'silent' }).hotspot.workMem,
};

/** mulberry32: a small fixed-seed PRNG (Tommy Ettinger, public domain), uniform in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const quiet: Logger = { info: () => undefined, warn: () => undefined, debug: () => undefined, error: () => undefined, child: () => quiet };
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

async function insertChunked(repo: ReadingRepository, msgs: ReadingMessage[], chunk = 5000): Promise<void> {
  for (let i = 0; i < msgs.length; i += chunk) await repo.insertBatch(msgs.slice(i, i + chunk));
}

interface SyntheticResult {
  cells: number;
  readingsPerCell: number;
  rows: number;
  loadSeconds: number;
  evaluationMs: number[];
  phases: EvaluateOutcome['phases'][];
  rollupQueryMs: number;
  eligible: number;
  high: number;
  opened: number;
}

async function synthetic(pool: Pool, cells: number, perCell: number, runs: number): Promise<SyntheticResult> {
  const rand = mulberry32(SEED);
  const centre = latLngToCell(39.915, 116.366, 8);
  let k = 1;
  while (3 * k * (k + 1) + 1 < cells) k += 1;
  const grid = gridDisk(centre, k).slice(0, cells);
  const w = windowOf(Date.UTC(2030, 0, 1, 12), 60);
  const step = Math.floor(3_600_000 / perCell);
  const devices = new DeviceRepository(pool);
  await devices.upsert(grid.map((c, i) => ({ id: `syn-${i}`, kind: 'fixed' as const, lat: cellToLatLng(c)[0], lon: cellToLatLng(c)[1] })));
  const elevated = new Set(Array.from({ length: 20 }, () => Math.floor(rand() * grid.length)));
  const repo = new ReadingRepository(pool);
  const t0 = Date.now();
  let batch: ReadingMessage[] = [];
  for (const [i, c] of grid.entries()) {
    const cell12 = centreCell12(c);
    const level = (elevated.has(i) ? 6 : 1) * (40 + 20 * rand());
    for (let j = 0; j < perCell; j += 1) {
      const v = level * Math.exp(0.3 * (rand() + rand() + rand() - 1.5));
      batch.push(fixedReading(`syn-${i}`, cell12, w.start + j * step, 'tvoc', v));
    }
    if (batch.length >= 20_000) {
      await insertChunked(repo, batch);
      batch = [];
    }
  }
  await insertChunked(repo, batch);
  await pool.query('vacuum analyze readings');
  const loadSeconds = (Date.now() - t0) / 1000;
  process.stdout.write(`  loaded ${grid.length * perCell} readings in ${round(loadSeconds)} s\n`);

  // The previous window, evaluated first, so that this window's hotspots can open (2 of 3).
  const deps: EvaluationDeps = {
    store: new EvaluationRepository(pool, ROLLUP),
    method: DEFAULT_METHOD_SETTINGS,
    trace: DEFAULT_TRACE_SETTINGS,
    watermarkMarginMs: 60_000,
    log: quiet,
  };
  const evaluationMs: number[] = [];
  const phases: EvaluateOutcome['phases'][] = [];
  let last;
  for (let r = 0; r < runs; r += 1) {
    const t = performance.now();
    last = await evaluateWindow(deps, { metric: 'tvoc', windowStart: w.start, jobId: null, trigger: 'manual' });
    evaluationMs.push(performance.now() - t);
    phases.push(last.phases);
    process.stdout.write(`  evaluation ${r + 1}: ${round(evaluationMs[r]!, 0)} ms ${JSON.stringify(last.phases)}\n`);
  }
  const client = await pool.connect();
  let rollupQueryMs = 0;
  try {
    const t = performance.now();
    await new EvaluationTransaction(client).aggregate({ metric: 'tvoc', resolution: 8, windowMinutes: 60 }, w, {
      unit: 'µg/m³',
      vanMaxSpeedKmh: 30,
      vanPassGapSeconds: 60,
    });
    rollupQueryMs = performance.now() - t;
  } finally {
    client.release();
  }
  return {
    cells: grid.length,
    readingsPerCell: perCell,
    rows: grid.length * perCell,
    loadSeconds,
    evaluationMs,
    phases,
    rollupQueryMs,
    eligible: last?.district?.eligible ?? 0,
    high: last?.district?.high ?? 0,
    opened: last?.opened.length ?? 0,
  };
}

interface BackfillResult {
  metrics: string[];
  settings: Pick<MethodSettings, 'windowMinutes' | 'minReadings' | 'resolution'>;
  rows: number;
  windows: number;
  seconds: number;
  msPerWindow: number;
  opened: number;
  tasksOpened: number;
}

async function beijingBackfill(pool: Pool): Promise<BackfillResult | null> {
  if (!existsSync(BEIJING)) {
    process.stdout.write(`  ${BEIJING} not found: skipped\n`);
    return null;
  }
  const from = Date.UTC(2016, 11, 31, 16); // 2017-01-01 00:00 China Standard Time
  const to = Date.UTC(2017, 0, 31, 16);
  const devices = new DeviceRepository(pool);
  await devices.upsert(
    beijingStations(BEIJING).map((s) => ({
      id: stationDeviceId('', s.station),
      kind: 'fixed' as const,
      name: s.station,
      lat: s.lat,
      lon: s.lon,
    })),
  );
  const msgs = beijingReadings(BEIJING, { from, to });
  await insertChunked(new ReadingRepository(pool), msgs);
  const rows = msgs.reduce((a, m) => a + m.values.length, 0);
  process.stdout.write(`  loaded ${rows} readings of ${msgs.length} station-hours\n`);
  const metrics = ['pm25', 'pm10', 'no2', 'so2', 'co', 'o3'];
  const method: MethodSettings = { ...DEFAULT_METHOD_SETTINGS, windowMinutes: 360, minReadings: 6 };
  const deps: EvaluationDeps = {
    store: new EvaluationRepository(pool, ROLLUP),
    method,
    trace: DEFAULT_TRACE_SETTINGS,
    watermarkMarginMs: 60_000,
    log: quiet,
  };
  // 30 days of 1-hour windows at the default settings (few cells are eligible: hourly stations give 1 reading per hour)…
  const hourly = await backfill({ ...deps, method: DEFAULT_METHOD_SETTINGS }, { from, to: from + 30 * 24 * 3_600_000, metrics });
  process.stdout.write(
    `  30 days, 60-min windows, ${metrics.length} metrics: ${hourly.windows} windows in ${round(hourly.durationMs / 1000)} s\n`,
  );
  // …and with the demo settings, where every station cell is eligible.
  const t = Date.now();
  const s = await backfill(deps, { from, to: from + 30 * 24 * 3_600_000, metrics });
  const seconds = (Date.now() - t) / 1000;
  process.stdout.write(`  30 days, 360-min windows: ${s.windows} windows in ${round(seconds)} s, ${s.opened} hotspots opened\n`);
  return {
    metrics,
    settings: { windowMinutes: 360, minReadings: 6, resolution: 8 },
    rows,
    windows: s.windows + hourly.windows,
    seconds: seconds + hourly.durationMs / 1000,
    msPerWindow: (seconds * 1000 + hourly.durationMs) / (s.windows + hourly.windows),
    opened: s.opened,
    tasksOpened: s.tasksOpened,
  };
}

async function main(): Promise<void> {
  const cells = numberArg('cells', 10_000);
  const perCell = numberArg('per-cell', 100);
  const runs = numberArg('runs', 3);
  await recreateBenchDatabase(DB);
  const cfg = loadConfig({ ...process.env, PGDATABASE: DB, LOG_LEVEL: 'silent' });
  const pool = createPool({ ...cfg.pg, poolMax: 6 }, createLogger('bench', 'silent'));
  const client = await pool.connect();
  try {
    await migrate(pgExecutor(client), { settings: cfg.timescale, vanMaxSpeedKmh: cfg.hotspot.vanMaxSpeedKmh });
  } finally {
    client.release();
  }
  process.stdout.write(
    `hotspot benchmark (${os.cpus().length} CPUs, ${os.cpus()[0]?.model ?? 'unknown'})\n1. one window, ${cells} cells × ${perCell} readings\n`,
  );
  const syn = await synthetic(pool, cells, perCell, runs);
  process.stdout.write('2. 30-day backfill over the Beijing stations\n');
  const bf = await beijingBackfill(pool);
  await pool.end();

  const result = {
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model ?? 'unknown',
      memoryGiB: round(os.totalmem() / 2 ** 30),
      node: process.version,
    },
    oneWindow: {
      ...syn,
      firstEvaluationMs: round(syn.evaluationMs[0]!, 0),
      medianEvaluationMs: round(median(syn.evaluationMs), 0),
      goalMs: 1000,
    },
    backfill: bf,
  };
  await mkdir(`${ROOT}bench/results`, { recursive: true });
  const file = `${ROOT}bench/results/hotspots-${result.date.slice(0, 10)}.json`;
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  const lines = [
    '| measurement | value |',
    '|---|---|',
    `| one window: cells × readings | ${syn.cells} × ${syn.readingsPerCell} = ${syn.rows} rows |`,
    `| one window: first evaluation | ${result.oneWindow.firstEvaluationMs} ms |`,
    `| one window: re-evaluation (median of ${Math.max(1, runs - 1)}) | ${round(median(syn.evaluationMs.slice(1).length ? syn.evaluationMs.slice(1) : syn.evaluationMs), 0)} ms |`,
    `| one window: rollup query alone | ${round(syn.rollupQueryMs, 0)} ms |`,
    `| one window: eligible / high-value cells | ${syn.eligible} / ${syn.high} |`,
    ...(bf
      ? [
          `| 30-day backfill: readings loaded | ${bf.rows} |`,
          `| 30-day backfill: windows evaluated (6 metrics, 60- and 360-min) | ${bf.windows} |`,
          `| 30-day backfill: total time | ${round(bf.seconds)} s (${round(bf.msPerWindow)} ms per window) |`,
          `| 30-day backfill (360 min): hotspots opened / tasks | ${bf.opened} / ${bf.tasksOpened} |`,
        ]
      : ['| 30-day backfill | skipped (no ../shared/data) |']),
  ];
  process.stdout.write(`\n${lines.join('\n')}\n\nwritten to ${file.slice(ROOT.length)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:hotspots: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
