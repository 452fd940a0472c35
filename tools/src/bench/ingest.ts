#!/usr/bin/env node
/**
 * Ingest benchmark (`npm run bench:ingest [-- --rate 5000 --seconds 60 --devices 200]`).
 *
 * Measures, in one run on this machine with everything local (load generator included):
 *  1. each stage alone: the MQTT endpoint (`@voc/mqtt-server`) with a no-op handler (QoS 1, PUBACK at
 *     once), Kafka produce + consume no-op, bulk load into the readings table;
 *  2. end to end: simulated fixed sensors publish 3-value readings over MQTT for `--seconds` at
 *     `--rate` messages/s to the gateway's own MQTT endpoint, through Kafka and the stream writer into PostgreSQL; sustained
 *     throughput (messages/s and values/s stored), publish-to-stored latency p50/p99 (stored_at − the
 *     reading's own timestamp, which the generator sets to its publish time), CPU and peak RSS of each
 *     process; and the ratio end-to-end / slowest stage.
 * Results go to bench/results/ingest-<timestamp>.json and a table is printed for BENCHMARKS.md.
 * Uses its own database (`voc_bench`, recreated), topics and consumer groups (prefix `bench-<ts>.`).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { createLogger, loadConfig } from '@voc/config';
import { createPool, DeviceRepository, ensureRoleLogins, migrate, pgExecutor, ReadingRepository, type Pool } from '@voc/db';
import { deviceUpTopic, type ReadingMessage } from '@voc/domain';
import { buildReading } from '@voc/domain/testing';
import { hashPassword } from '@voc/core';
import { createKafka, ensureAcls, ensureTopics, kafkaAcls, readingRecord, topicNames } from '@voc/messaging';
import { createMqttServer } from '@voc/mqtt-server';
import { startService } from '../spawn.js';
import { ProcessMonitor, round } from './procstat.js';
import { numberArg, recreateBenchDatabase } from './setup.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
// VOC_BENCH_DATABASE lets two checkouts on one cluster benchmark side by side.
const DB = process.env.VOC_BENCH_DATABASE ?? 'voc_bench';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A sample normalised reading as the gateway produces it (3 values), for the Kafka and DB stages. */
function sampleMessage(deviceId: string, ms: number): ReadingMessage {
  return buildReading(
    deviceId,
    ms,
    [
      { metric: 'tvoc', value: 512.3, raw: { value: 223, unit: 'ppb' } },
      { metric: 'temp', value: 12.5 },
      { metric: 'rh', value: 48 },
    ],
    { position: { lat: 39.91, lon: 116.36 }, h3: '8c31aa5a8d8a9ff' },
  );
}

/** The device endpoint alone: `@voc/mqtt-server` acknowledging at once, one MQTT.js client with a window of 500. */
async function stageEndpoint(seconds: number): Promise<number> {
  const log = createLogger('bench', 'error');
  const server = createMqttServer({
    log,
    tcp: { host: '127.0.0.1', port: 0 },
    receiveMaximum: 1000,
    ports: {
      authenticate: (req) => Promise.resolve({ ok: true, deviceId: req.username ?? 'bench' }),
      authorizePublish: () => true,
      onPublish: () => Promise.resolve(),
    },
  });
  const { tcp } = await server.listen();
  const pub = await mqtt.connectAsync(`mqtt://127.0.0.1:${tcp!.port}`, {
    username: 'bench-stage',
    password: 'x',
    clientId: `bench-pub-${randomBytes(3).toString('hex')}`,
    protocolVersion: 5,
    clean: true,
  });
  const payload = JSON.stringify({
    ts: new Date().toISOString(),
    values: [
      { metric: 'tvoc', value: 1, unit: 'ppb' },
      { metric: 'temp', value: 1, unit: '°C' },
      { metric: 'rh', value: 1, unit: '%' },
    ],
  });
  const end = Date.now() + seconds * 1000;
  const t0 = Date.now();
  let inflight = 0;
  let acked = 0;
  while (Date.now() < end) {
    if (inflight >= 500) {
      await sleep(1);
      continue;
    }
    inflight++;
    pub.publish('voc/v1/fixed/bench-stage/up', payload, { qos: 1 }, (err) => {
      inflight--;
      if (!err) acked++;
    });
    if (inflight % 100 === 0) await new Promise((r) => setImmediate(r));
  }
  const elapsed = (Date.now() - t0) / 1000;
  await pub.endAsync();
  await server.close(2000);
  return acked / elapsed;
}

async function stageKafka(cfg: ReturnType<typeof loadConfig>, prefix: string, seconds: number): Promise<number> {
  const log = createLogger('bench', 'error');
  const kafka = createKafka(cfg.kafka, log);
  const topic = topicNames(`${prefix}stage.`).readings;
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, topicNames(`${prefix}stage.`));
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const consumer = kafka.consumer({ groupId: `${prefix}stage`, maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let consumed = 0;
  await consumer.run({ eachBatch: ({ batch }) => Promise.resolve(void (consumed += batch.messages.length)) });
  const t0 = Date.now();
  const end = t0 + seconds * 1000;
  let n = 0;
  while (Date.now() < end) {
    const messages = Array.from({ length: 1000 }, () => readingRecord(sampleMessage(`dev-${n % 200}`, 1_700_000_000_000 + n++)));
    await producer.send({ topic, acks: -1, messages });
  }
  const produced = n;
  while (consumed < produced && Date.now() < end + 30_000) await sleep(20);
  const elapsed = (Date.now() - t0) / 1000;
  await consumer.disconnect();
  await producer.disconnect();
  return consumed / elapsed;
}

async function stageDb(pool: Pool, seconds: number): Promise<number> {
  const repo = new ReadingRepository(pool);
  const t0 = Date.now();
  let n = 0;
  while (Date.now() < t0 + seconds * 1000) {
    const batch = Array.from({ length: 2000 }, () => sampleMessage(`stage-${n % 200}`, 1_600_000_000_000 + n++));
    await repo.insertBatch(batch);
  }
  return n / ((Date.now() - t0) / 1000);
}

async function pidOf(file: string): Promise<number | undefined> {
  try {
    return Number((await readFile(file, 'utf8')).trim());
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const rate = numberArg('rate', 5000);
  const seconds = numberArg('seconds', 60);
  const deviceCount = numberArg('devices', 200);
  const stageSeconds = numberArg('stage-seconds', 10);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const prefix = `bench-${Date.now().toString(36)}.`;
  process.env.PGDATABASE = DB;
  const cfg = loadConfig({ ...process.env, PGDATABASE: DB });
  const log = createLogger('bench', 'error');

  process.stderr.write(`preparing: database ${DB}, topics ${prefix}*, ${deviceCount} devices\n`);
  await recreateBenchDatabase(DB);
  const pool = createPool(cfg.pg, log, 'voc-bench');
  const client = await pool.connect();
  await migrate(pgExecutor(client));
  await ensureRoleLogins(pgExecutor(client), Object.values(cfg.pg.logins));
  client.release();
  const admin = createKafka(cfg.kafka, log).admin();
  await admin.connect();
  await ensureTopics(admin, topicNames(prefix));
  await ensureAcls(admin, kafkaAcls(topicNames(prefix), prefix), cfg.kafka.principals);
  await admin.disconnect();

  const devices = new DeviceRepository(pool);
  const ids = Array.from({ length: deviceCount }, (_, i) => `bench-${String(i).padStart(4, '0')}`);
  // Positions on a ~3 km grid over Xicheng (39.88-39.95 N, 116.33-116.40 E).
  await devices.upsert(
    ids.map((id, i) => ({ id, kind: 'fixed' as const, lat: 39.88 + (i % 20) * 0.0035, lon: 116.33 + Math.floor(i / 20) * 0.0035 })),
  );
  const creds: Record<string, { username: string; password: string; topic: string }> = {};
  for (const id of ids) {
    const password = randomBytes(18).toString('base64url');
    await devices.setCredentialHash(id, await hashPassword(password));
    creds[id] = { username: id, password, topic: deviceUpTopic('fixed', id) };
  }
  await mkdir(`${ROOT}/.cache/bench`, { recursive: true });
  const credPath = `${ROOT}/.cache/bench/credentials.json`;
  await writeFile(credPath, JSON.stringify(creds), { mode: 0o600 });

  process.stderr.write(`stage 1/3: MQTT endpoint -> no-op handler (${stageSeconds} s)\n`);
  const brokerRate = await stageEndpoint(stageSeconds);
  process.stderr.write(`stage 2/3: Kafka produce + consume no-op (${stageSeconds} s)\n`);
  const kafkaRate = await stageKafka(cfg, prefix, stageSeconds);
  process.stderr.write(`stage 3/3: bulk load into readings (${stageSeconds} s)\n`);
  const dbRate = await stageDb(pool, stageSeconds);
  await pool.query(`truncate readings`);

  process.stderr.write(`end to end: ${rate} msg/s x 3 values for ${seconds} s\n`);
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
    logFile: `${ROOT}/.cache/bench/gateway.log`,
  });
  const writer = startService('writer', 'services/writer/dist/main.js', { env });
  await gateway.ready;
  await sleep(3000);
  const loadgen = spawn(
    process.execPath,
    [fileURLToPath(new URL('./loadgen.js', import.meta.url)), credPath, String(rate), String(seconds), cfg.mqtt.url],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let loadOut = '';
  loadgen.stdout.on('data', (d: Buffer) => (loadOut += d.toString()));
  const pids: Record<string, number> = { loadgen: loadgen.pid!, gateway: gateway.child.pid!, writer: writer.child.pid! };
  const kafkaPid = await pidOf(`${ROOT}/.cache/kafka/kafka.pid`);
  const pgPid = await pidOf('/var/run/postgresql/15-main.pid').catch(() => undefined);
  if (kafkaPid) pids.kafka = kafkaPid;
  if (pgPid) pids.postgres = pgPid;
  const monitor = new ProcessMonitor(pids);
  const t0 = Date.now();
  await monitor.start();
  const timeline: { t: number; rows: number }[] = [];
  const poll = setInterval(() => {
    pool.query<{ n: number }>('select count(*)::int as n from readings').then(
      (r) => timeline.push({ t: (Date.now() - t0) / 1000, rows: r.rows[0]!.n }),
      () => undefined,
    );
  }, 1000);
  await new Promise<void>((r) => loadgen.once('exit', () => r()));
  const gen = JSON.parse(loadOut.trim() || '{"due":0,"offered":0,"acked":0,"refused":0,"failed":0,"cpuSeconds":0,"maxRssMiB":0}') as {
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
  // The generator measures itself (it exits before the last sample).
  procs.loadgen = { cpuSeconds: round(gen.cpuSeconds), cpuCores: round(gen.cpuSeconds / wall), peakRssMiB: round(gen.maxRssMiB) };
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
  await pool.end();

  const span = Math.max(lat.last - lat.first, 1e-3);
  const msgs = stored / 3;
  const e2eMsgRate = msgs / span;
  const slowest = Math.min(brokerRate, kafkaRate, dbRate);
  const result = {
    when: new Date().toISOString(),
    machine: { cores: (await import('node:os')).cpus().length, node: process.version },
    settings: { rate, seconds, devices: deviceCount, valuesPerMessage: 3 },
    stages: {
      brokerMsgPerSec: round(brokerRate, 0),
      kafkaMsgPerSec: round(kafkaRate, 0),
      dbMsgPerSec: round(dbRate, 0),
      dbValuesPerSec: round(dbRate * 3, 0),
    },
    endToEnd: {
      due: gen.due,
      offered: gen.offered,
      acked: gen.acked,
      refused: gen.refused,
      failed: gen.failed,
      storedValues: stored,
      expectedValues: expectedRows,
      lost: expectedRows - stored,
      deadLetters: dead,
      msgPerSec: round(e2eMsgRate, 0),
      valuesPerSec: round(e2eMsgRate * 3, 0),
      latencyP50s: round(lat.p50, 3),
      latencyP99s: round(lat.p99, 3),
      latencyMaxS: round(lat.max, 3),
      ratioToSlowestStage: round(e2eMsgRate / slowest, 2),
    },
    processes: procs,
    timeline,
  };
  await mkdir(`${ROOT}/bench/results`, { recursive: true });
  const out = `${ROOT}/bench/results/ingest-${stamp}.json`;
  await writeFile(out, JSON.stringify(result, null, 2) + '\n');
  const p = (n: number) => n.toLocaleString('en-US');
  const lines = [
    `Ingest benchmark ${result.when} (${result.machine.cores} cores, Node ${result.machine.node}); results: ${out.slice(ROOT.length)}`,
    ``,
    `| stage alone | messages/s (3 values each) |`,
    `|---|---|`,
    `| MQTT endpoint → no-op handler (QoS 1) | ${p(result.stages.brokerMsgPerSec)} |`,
    `| Kafka produce + consume no-op | ${p(result.stages.kafkaMsgPerSec)} |`,
    `| bulk load into readings | ${p(result.stages.dbMsgPerSec)} (${p(result.stages.dbValuesPerSec)} values/s) |`,
    ``,
    `| end to end (offered ${p(rate)} msg/s for ${seconds} s) | |`,
    `|---|---|`,
    `| offered / acknowledged messages | ${p(gen.offered)} / ${p(gen.acked)} (refused ${p(gen.refused)}, failed ${p(gen.failed)}) |`,
    `| acknowledged values / stored / lost | ${p(expectedRows)} / ${p(stored)} / ${p(expectedRows - stored)} |`,
    `| sustained throughput | ${p(result.endToEnd.msgPerSec)} msg/s, ${p(result.endToEnd.valuesPerSec)} values/s |`,
    `| publish-to-stored latency p50 / p99 | ${result.endToEnd.latencyP50s} s / ${result.endToEnd.latencyP99s} s |`,
    `| end to end / slowest stage | ${result.endToEnd.ratioToSlowestStage} |`,
    ``,
    `| process | CPU s | mean cores | peak RSS MiB |`,
    `|---|---|---|---|`,
    ...Object.entries(procs).map(([k, v]) => `| ${k} | ${v.cpuSeconds} | ${v.cpuCores} | ${v.peakRssMiB} |`),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:ingest: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
