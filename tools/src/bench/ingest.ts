#!/usr/bin/env node
/**
 * Ingest benchmark (`npm run bench:ingest [-- --rates 5000,10000,20000 --seconds 60 --devices 200 --runs 3]`).
 *
 * Measures, in each run on this machine with everything local (load generator included):
 *  1. each stage alone: the MQTT endpoint (`@voc/mqtt-server`) with a no-op handler (QoS 1, PUBACK at
 *     once), Kafka produce + consume no-op, bulk load into the readings table;
 *  2. end to end at every rate of `--rates` (messages/s; the last is meant as overload): simulated
 *     fixed sensors publish 3-value readings over MQTT for `--seconds` to the gateway's own MQTT
 *     endpoint, through Kafka and the stream writer into PostgreSQL, keeping QoS 1 windows; offered,
 *     acknowledged, stored, lost (acknowledged values not stored), sustained throughput (messages/s
 *     and values/s stored), publish-to-stored latency p50/p99 (stored_at − the reading's own
 *     timestamp, which the generator sets to its publish time), CPU time and peak RSS of each process
 *     (PostgreSQL: the backends of the benchmark's database only), CPU µs per stored value per process
 *     and in total, the machine's load average, and the ratio end-to-end / slowest stage.
 * `--runs N` repeats the whole run and prints the spread (min / median / max) of the runs.
 * Results go to bench/results/ingest-<timestamp>.json (one per run) and tables are printed for BENCHMARKS.md.
 * Uses its own database (`VOC_BENCH_DATABASE`, default `voc_bench`: created and marked by the
 * benchmark, recreated only when it carries the mark) and topics and consumer groups of its own
 * prefix (`bench-<ts>.r<rate>.`, deleted after each rate); it never drops anything it did not create.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createLogger, loadConfig } from '@voc/config';
import { createPool, DeviceRepository, ensureRoleLogins, migrate, pgExecutor, type Pool } from '@voc/db';
import { deviceUpTopic } from '@voc/domain';
import { hashPassword } from '@voc/core';
import { createKafka, ensureAcls, ensureTopics, kafkaAcls, topicNames } from '@voc/messaging';
import { startService } from '../spawn.js';
import { PgBackendMonitor, ProcessMonitor, round } from './procstat.js';
import { stageDb, stageEndpoint, stageKafka } from './ingest-stages.js';
import { printRun, printSpread, type RateResult } from './ingest-report.js';
import { numberArg, ownBenchDatabase } from './setup.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
// VOC_BENCH_DATABASE lets two checkouts on one cluster benchmark side by side.
const DB = process.env.VOC_BENCH_DATABASE ?? 'voc_bench';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function pidOf(file: string): Promise<number | undefined> {
  try {
    return Number((await readFile(file, 'utf8')).trim());
  } catch {
    return undefined;
  }
}

interface Ctx {
  cfg: ReturnType<typeof loadConfig>;
  pool: Pool;
  credPath: string;
  basePrefix: string;
  seconds: number;
}

/** Deletes the topics whose names start with `prefix` (created by this benchmark). */
async function deleteTopics(cfg: Ctx['cfg'], prefix: string): Promise<void> {
  const admin = createKafka(cfg.kafka, createLogger('bench', 'error')).admin();
  await admin.connect();
  try {
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (mine.length) await admin.deleteTopics({ topics: mine });
  } finally {
    await admin.disconnect();
  }
}

async function endToEnd(ctx: Ctx, rate: number): Promise<RateResult> {
  const { cfg, pool, seconds } = ctx;
  const prefix = `${ctx.basePrefix}r${rate}.`;
  const admin = createKafka(cfg.kafka, createLogger('bench', 'error')).admin();
  await admin.connect();
  await ensureTopics(admin, topicNames(prefix));
  await ensureAcls(admin, kafkaAcls(topicNames(prefix), prefix), cfg.kafka.principals);
  await admin.disconnect();
  await pool.query(`truncate readings, dead_letters`);
  const env = {
    PGDATABASE: DB,
    LOG_LEVEL: 'warn',
    VOC_KAFKA_TOPIC_PREFIX: prefix,
    VOC_KAFKA_GROUP_PREFIX: prefix,
    VOC_GATEWAY_METRICS_PORT: '0',
  };
  const gateway = startService('gateway', 'services/gateway/dist/main.js', {
    env: { ...env, LOG_LEVEL: 'info' },
    readyMsg: 'gateway ready',
    logFile: `${ROOT}/.cache/bench/gateway-${rate}.log`,
  });
  const writer = startService('writer', 'services/writer/dist/main.js', { env });
  await gateway.ready;
  await sleep(3000);
  const loadBefore = loadavg()[0]!;
  const loads: number[] = [];
  const loadgen = spawn(
    process.execPath,
    [fileURLToPath(new URL('./loadgen.js', import.meta.url)), ctx.credPath, String(rate), String(seconds), cfg.mqtt.url],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let loadOut = '';
  // CPU and latency are measured from the moment every device is connected: the connection phase
  // (one scrypt check per device) is not part of the per-value cost.
  const connected = new Promise<void>((resolve) => {
    loadgen.stdout.on('data', (d: Buffer) => {
      loadOut += d.toString();
      if (loadOut.includes('"connected"')) resolve();
    });
    loadgen.once('exit', () => resolve());
  });
  await connected;
  const pids: Record<string, number> = { gateway: gateway.child.pid!, writer: writer.child.pid! };
  const kafkaPid = await pidOf(`${ROOT}/.cache/kafka/kafka.pid`);
  if (kafkaPid) pids.kafka = kafkaPid;
  const monitor = new ProcessMonitor(pids);
  const pgMonitor = new PgBackendMonitor(pool, DB);
  const t0 = Date.now();
  await monitor.start();
  await pgMonitor.start();
  const timeline: { t: number; rows: number }[] = [];
  const poll = setInterval(() => {
    if (timeline.length % 5 === 0) loads.push(loadavg()[0]!);
    pool.query<{ n: number }>('select count(*)::int as n from readings').then(
      (r) => timeline.push({ t: (Date.now() - t0) / 1000, rows: r.rows[0]!.n }),
      () => undefined,
    );
  }, 1000);
  await new Promise<void>((r) => loadgen.once('exit', () => r()));
  const gen = JSON.parse(
    loadOut.trim().split('\n').pop() || '{"due":0,"offered":0,"acked":0,"refused":0,"failed":0,"cpuSeconds":0,"maxRssMiB":0}',
  ) as {
    due: number;
    offered: number;
    acked: number;
    refused: number;
    failed: number;
    cpuSeconds: number;
    maxRssMiB: number;
  };
  // Only acknowledged messages are promised to be stored (unacknowledged ones a real device would resend).
  const expectedRows = gen.acked * 3;
  const drainDeadline = Date.now() + 120_000;
  let stored = 0;
  while (Date.now() < drainDeadline) {
    stored = (await pool.query<{ n: number }>('select count(*)::int as n from readings')).rows[0]!.n;
    if (stored >= expectedRows) break;
    await sleep(500);
  }
  clearInterval(poll);
  const wall = (Date.now() - t0) / 1000;
  const procs = await monitor.stop(wall);
  const pg = await pgMonitor.stop(wall);
  const loadAfter = loadavg()[0]!;
  const lat = (
    await pool.query<{ p50: number; p99: number; max: number; first: number; last: number }>(
      `select percentile_cont(0.5) within group (order by extract(epoch from stored_at - time)) as p50,
              percentile_cont(0.99) within group (order by extract(epoch from stored_at - time)) as p99,
              max(extract(epoch from stored_at - time)) as max,
              extract(epoch from min(time)) as first, extract(epoch from max(stored_at)) as last
       from readings`,
    )
  ).rows[0]!;
  const dead = (await pool.query<{ n: number }>('select count(*)::int as n from dead_letters')).rows[0]!.n;
  await Promise.all([gateway.stop(), writer.stop()]);
  await deleteTopics(cfg, prefix).catch(() => undefined);
  const span = Math.max(lat.last - lat.first, 1e-3);
  const msgRate = stored / 3 / span;
  const perValue = (cpu: number) => (stored > 0 ? round((cpu * 1e6) / stored, 1) : 0);
  const all: Record<string, { cpuSeconds: number; cpuCores: number; peakRssMiB: number }> = {
    ...procs,
    postgres: pg,
    // The generator measures itself (it exits before the last sample).
    loadgen: { cpuSeconds: round(gen.cpuSeconds), cpuCores: round(gen.cpuSeconds / wall), peakRssMiB: round(gen.maxRssMiB) },
  };
  const processes = Object.fromEntries(Object.entries(all).map(([k, v]) => [k, { ...v, cpuMicrosPerValue: perValue(v.cpuSeconds) }]));
  const pipelineCpu = Object.entries(all)
    .filter(([k]) => k !== 'loadgen')
    .reduce((a, [, v]) => a + v.cpuSeconds, 0);
  return {
    rate,
    seconds,
    load: {
      before: round(loadBefore),
      mean: round(loads.length ? loads.reduce((a, b) => a + b, 0) / loads.length : loadBefore),
      max: round(Math.max(loadBefore, ...loads)),
      after: round(loadAfter),
    },
    due: gen.due,
    offered: gen.offered,
    acked: gen.acked,
    refused: gen.refused,
    failed: gen.failed,
    ackedValues: expectedRows,
    storedValues: stored,
    lost: Math.max(0, expectedRows - stored),
    deadLetters: dead,
    msgPerSec: round(msgRate, 0),
    valuesPerSec: round(msgRate * 3, 0),
    latencyP50s: round(lat.p50 ?? 0, 3),
    latencyP99s: round(lat.p99 ?? 0, 3),
    latencyMaxS: round(lat.max ?? 0, 3),
    processes,
    cpuMicrosPerValuePipeline: perValue(pipelineCpu),
    cpuMicrosPerValueTotal: perValue(pipelineCpu + gen.cpuSeconds),
    timeline,
  };
}

/** One run: preparation, the stages alone, then every rate end to end. */
async function runOnce(
  run: number,
  rates: number[],
  seconds: number,
  deviceCount: number,
  stageSeconds: number,
): Promise<Record<string, unknown>> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const basePrefix = `bench-${Date.now().toString(36)}.`;
  process.env.PGDATABASE = DB;
  const cfg = loadConfig({ ...process.env, PGDATABASE: DB });
  const log = createLogger('bench', 'error');
  const loadAtStart = loadavg().map((x) => round(x));

  process.stderr.write(
    `run ${run}: preparing database ${DB}, topics ${basePrefix}*, ${deviceCount} devices (load average ${loadAtStart.join(' ')})\n`,
  );
  await ownBenchDatabase(DB);
  const pool = createPool(cfg.pg, log, 'voc-bench');
  const client = await pool.connect();
  await migrate(pgExecutor(client));
  await ensureRoleLogins(pgExecutor(client), Object.values(cfg.pg.logins));
  client.release();

  const devices = new DeviceRepository(pool);
  const ids = Array.from({ length: deviceCount }, (_, i) => `bench-${String(i).padStart(4, '0')}`);
  // Positions on a ~3 km grid over Xicheng (39.88-39.95 N, 116.33-116.40 E).
  await devices.upsert(
    ids.map((id, i) => ({ id, kind: 'fixed' as const, lat: 39.88 + (i % 20) * 0.0035, lon: 116.33 + Math.floor(i / 20) * 0.0035 })),
  );
  // One password for every simulated device of the run (the gateway still verifies each connection).
  const password = randomBytes(18).toString('base64url');
  const hash = await hashPassword(password);
  const creds: Record<string, { username: string; password: string; topic: string }> = {};
  for (const id of ids) {
    await devices.setCredentialHash(id, hash);
    creds[id] = { username: id, password, topic: deviceUpTopic('fixed', id) };
  }
  await mkdir(`${ROOT}/.cache/bench`, { recursive: true });
  const credPath = `${ROOT}/.cache/bench/credentials.json`;
  await writeFile(credPath, JSON.stringify(creds), { mode: 0o600 });

  process.stderr.write(`stage 1/3: MQTT endpoint -> no-op handler (${stageSeconds} s)\n`);
  const brokerRate = await stageEndpoint(stageSeconds);
  process.stderr.write(`stage 2/3: Kafka produce + consume no-op (${stageSeconds} s)\n`);
  const kafkaRate = await stageKafka(cfg, basePrefix, stageSeconds);
  await deleteTopics(cfg, `${basePrefix}stage.`).catch(() => undefined);
  process.stderr.write(`stage 3/3: bulk load into readings (${stageSeconds} s)\n`);
  const dbRate = await stageDb(pool, stageSeconds);
  await pool.query(`truncate readings`);
  const slowest = Math.min(brokerRate, kafkaRate, dbRate);

  const results: RateResult[] = [];
  for (const rate of rates) {
    process.stderr.write(`end to end: ${rate} msg/s x 3 values for ${seconds} s\n`);
    results.push(await endToEnd({ cfg, pool, credPath, basePrefix, seconds }, rate));
  }
  await pool.end();
  const result = {
    when: new Date().toISOString(),
    run,
    machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memGiB: round(totalmem() / 2 ** 30, 1), node: process.version },
    loadAverageAtStart: loadAtStart,
    loadAverageAtEnd: loadavg().map((x) => round(x)),
    settings: { rates, seconds, devices: deviceCount, valuesPerMessage: 3, stageSeconds },
    stages: {
      endpointMsgPerSec: round(brokerRate, 0),
      kafkaMsgPerSec: round(kafkaRate, 0),
      dbMsgPerSec: round(dbRate, 0),
      dbValuesPerSec: round(dbRate * 3, 0),
    },
    endToEnd: results.map((r) => ({ ...r, ratioToSlowestStage: round(r.msgPerSec / slowest, 2) })),
  };
  await mkdir(`${ROOT}bench/results`, { recursive: true });
  const out = `${ROOT}bench/results/ingest-${stamp}.json`;
  await writeFile(out, JSON.stringify(result, null, 2) + '\n');
  printRun(result, out.slice(ROOT.length));
  return result;
}

async function main(): Promise<void> {
  const flag = process.argv.indexOf('--rates');
  const rates = (
    flag >= 0 ? (process.argv[flag + 1] ?? '') : process.argv.includes('--rate') ? String(numberArg('rate', 5000)) : '5000,10000,20000'
  )
    .split(',')
    .map(Number);
  if (rates.some((r) => !Number.isFinite(r) || r <= 0)) throw new Error('--rates must be positive numbers separated by commas');
  const seconds = numberArg('seconds', 60);
  const deviceCount = numberArg('devices', 200);
  const stageSeconds = numberArg('stage-seconds', 10);
  const runs = numberArg('runs', 1);
  const all: { endToEnd: RateResult[] }[] = [];
  for (let i = 1; i <= runs; i++) all.push((await runOnce(i, rates, seconds, deviceCount, stageSeconds)) as { endToEnd: RateResult[] });
  if (runs > 1) printSpread(all, rates);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:ingest: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
