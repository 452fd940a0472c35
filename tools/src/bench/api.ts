#!/usr/bin/env node
/**
 * `npm run bench:api`: the HTTP API under load (autocannon, everything local). Recreates its own
 * database (VOC_BENCH_DATABASE, default voc_bench_api), seeds it, starts the API as a separate process
 * (services/api/dist/main.js, role voc_api) and runs each scenario `--runs` times (default 3) with
 * `--connections` (50) for `--seconds` (10):
 *   1. hourly buckets over 30 days of 1-minute data for one device (43,200 rows);
 *   2. latest tvoc over 1,000 devices;
 *   3. a cell map of one window over 10,000 cells (GeoJSON);
 *   4. a raw page of 1,000 rows.
 * Prints p50/p99 latency and requests/s per run and writes bench/results/api-<time>.json. The data are
 * simulated (labelled so in the device metadata).
 */
import os from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import autocannon from 'autocannon';
import { latLngToCell, gridDisk } from 'h3-js';
import { createLogger, loadConfig } from '@voc/config';
import { createApiKey } from '@voc/core';
import {
  ApiKeyRepository,
  createPool,
  DeviceRepository,
  enableRoleLogins,
  h3ToBigint,
  migrate,
  pgExecutor,
  ReadingRepository,
} from '@voc/db';
import { buildReading } from '@voc/domain/testing';
import { createKafka, ensureAcls, ensureTopics, kafkaAcls, topicNames } from '@voc/messaging';
import { REPO_ROOT, startService } from '../spawn.js';
import { numberArg, recreateBenchDatabase } from './setup.js';

const DB = process.env.VOC_BENCH_DATABASE ?? 'voc_bench_api';
const T_END = Date.parse('2026-11-01T00:00:00Z');
const DAY = 86_400_000;

async function seed(pool: ReturnType<typeof createPool>): Promise<void> {
  const devices = new DeviceRepository(pool);
  const readings = new ReadingRepository(pool);
  const meta = { simulated: true };
  await devices.upsert([{ id: 'bench-series', kind: 'fixed', lat: 39.91, lon: 116.36, metadata: meta }]);
  const h3 = latLngToCell(39.91, 116.36, 12);
  for (let day = 0; day < 30; day++) {
    const batch = [];
    for (let m = 0; m < 1440; m++) {
      const t = T_END - 30 * DAY + day * DAY + m * 60_000;
      batch.push(buildReading('bench-series', t, [{ metric: 'tvoc', value: 100 + 50 * Math.sin(m / 90) + (m % 7) }], { h3 }));
    }
    await readings.insertBatch(batch);
  }
  const ids = Array.from({ length: 1000 }, (_, i) => `bench-${String(i).padStart(4, '0')}`);
  await devices.upsert(
    ids.map((id, i) => ({
      id,
      kind: 'fixed' as const,
      lat: 39.88 + (i % 40) * 0.002,
      lon: 116.33 + Math.floor(i / 40) * 0.002,
      metadata: meta,
    })),
  );
  const now = Date.now();
  for (let k = 0; k < 10; k++)
    await readings.insertBatch(ids.map((id) => buildReading(id, now - k * 60_000, [{ metric: 'tvoc', value: 80 + k }], { h3 })));
  // 10,000 res-8 cells of one evaluated window (the grid's own statistics table), seeded in one statement.
  const cells = gridDisk(latLngToCell(39.91, 116.36, 8), 58).slice(0, 10_000);
  await pool.query(
    `insert into hotspot_cell_stats (metric, resolution, window_minutes, window_start, cell, n, n_fixed, devices, van_passes, max_pass_n, mean, median, p90, max, min, eligible, high)
     select 'tvoc', 8, 60, $1, c::int8, 12, 12, 2, 0, 0, 100 + i % 50, 100 + i % 50, 120, 140, 80, true, i % 97 = 0
     from unnest($2::text[]) with ordinality as u(c, i)`,
    [new Date(T_END - 3600_000).toISOString(), cells.map(h3ToBigint)],
  );
  await pool.query(
    `insert into hotspot_evaluations (metric, resolution, window_minutes, window_start, window_end, status, version) values ('tvoc', 8, 60, $1, $2, 'done', 1)`,
    [new Date(T_END - 3600_000).toISOString(), new Date(T_END).toISOString()],
  );
  await pool.query('analyze');
}

async function main(): Promise<void> {
  const runs = numberArg('runs', 3);
  const connections = numberArg('connections', 50);
  const seconds = numberArg('seconds', 10);
  await recreateBenchDatabase(DB);
  const cfg = loadConfig({ ...process.env, PGDATABASE: DB, LOG_LEVEL: 'silent' });
  const pool = createPool({ ...cfg.pg, poolMax: 4 }, createLogger('bench', 'silent'));
  const client = await pool.connect();
  try {
    await migrate(pgExecutor(client), { settings: cfg.timescale, vanMaxSpeedKmh: cfg.hotspot.vanMaxSpeedKmh });
  } finally {
    client.release();
  }
  await enableRoleLogins(cfg.pg);
  process.stdout.write(
    `API benchmark (${os.cpus().length} CPUs, ${os.cpus()[0]?.model ?? 'unknown'}, load ${os.loadavg()[0]!.toFixed(2)}); seeding…\n`,
  );
  await seed(pool);
  const { key } = await createApiKey(new ApiKeyRepository(pool), { role: 'admin', createdBy: 'bench', label: 'bench' }, Date.now(), 1);
  await pool.end();
  // The API boots only when its alerts topic exists and its principal may read it.
  const kadmin = createKafka(cfg.kafka, createLogger('bench', 'silent')).admin();
  await kadmin.connect();
  const topics = topicNames(cfg.kafka.topicPrefix);
  await ensureTopics(kadmin, topics);
  await ensureAcls(kadmin, kafkaAcls(topics, cfg.kafka.groupPrefix), cfg.kafka.principals).finally(() => kadmin.disconnect());

  const port = cfg.api.port;
  const api = startService('api', 'services/api/dist/main.js', {
    env: { PGDATABASE: DB, LOG_LEVEL: 'info', VOC_API_RATE_LIMIT: '100000000', VOC_PG_POOL_MAX: '16' },
    readyMsg: 'HTTP API listening',
    logFile: `${REPO_ROOT}.cache/bench-api.log`,
  });
  const from = new Date(T_END - 30 * DAY).toISOString();
  const to = new Date(T_END).toISOString();
  const scenarios = [
    {
      name: 'hourly buckets, 30 days of 1-min data, one device',
      target: 50,
      path: `/v1/devices/bench-series/buckets?metric=tvoc&datetime_from=${from}&datetime_to=${to}&bucket=60`,
    },
    { name: 'latest tvoc over 1,000 devices', target: 50, path: `/v1/latest?metric=tvoc&limit=1000` },
    {
      name: 'cell map, one window, 10,000 cells',
      target: null,
      path: `/v1/cells/map?metric=tvoc&resolution=8&window_minutes=60&window_start=${new Date(T_END - 3600_000).toISOString()}`,
    },
    {
      name: 'raw page of 1,000 rows',
      target: null,
      path: `/v1/devices/bench-series/readings?metric=tvoc&datetime_from=${from}&datetime_to=${new Date(T_END - 20 * DAY).toISOString()}&limit=1000`,
    },
  ];
  const results: Record<string, unknown>[] = [];
  try {
    await api.ready;
    for (const s of scenarios) {
      const probe = await fetch(`http://127.0.0.1:${port}${s.path}`, { headers: { 'x-api-key': key } });
      const bytes = (await probe.arrayBuffer()).byteLength;
      if (probe.status !== 200) throw new Error(`${s.name}: HTTP ${probe.status}`);
      const per: { p50: number; p99: number; rps: number; non2xx: number }[] = [];
      for (let r = 0; r < runs; r++) {
        const res = await autocannon({
          url: `http://127.0.0.1:${port}${s.path}`,
          connections,
          duration: seconds,
          headers: { 'x-api-key': key },
        });
        per.push({ p50: res.latency.p50, p99: res.latency.p99, rps: res.requests.average, non2xx: res.non2xx + res.errors + res.timeouts });
        process.stdout.write(
          `  ${s.name}: run ${r + 1} p50 ${res.latency.p50} ms, p99 ${res.latency.p99} ms, ${res.requests.average.toFixed(0)} req/s, non-2xx ${per.at(-1)!.non2xx}\n`,
        );
      }
      const p99s = per.map((x) => x.p99);
      const met = s.target === null ? null : Math.max(...p99s) <= s.target;
      results.push({ ...s, bytes, runs: per, p99Range: [Math.min(...p99s), Math.max(...p99s)], targetMet: met });
      process.stdout.write(
        `${s.name}: ${bytes} bytes/answer, p99 ${Math.min(...p99s)}–${Math.max(...p99s)} ms${met === null ? '' : met ? ' (target ≤ 50 ms met)' : ' (target ≤ 50 ms NOT met)'}\n`,
      );
    }
  } finally {
    await api.stop();
  }
  await mkdir(`${REPO_ROOT}bench/results`, { recursive: true });
  const file = `${REPO_ROOT}bench/results/api-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  await writeFile(
    file,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, load: os.loadavg(), node: process.version },
        connections,
        seconds,
        results,
      },
      null,
      2,
    ),
  );
  process.stdout.write(`results: ${file.slice(REPO_ROOT.length)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:api: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
