/**
 * `npm run bench:hj212` (second part): end to end from simulated HJ 212 data loggers over TCP to
 * stored rows. 2,000 loggers (the district's restaurant count) each hold one TCP connection to the
 * HJ 212 gateway (its own process, role voc_hj212, principal hj212); the stream writer (its own
 * process) stores into the bench database. Each logger sends CN=2051 minute-data frames (7 values,
 * profile `sim-fume`, SIMULATED values) as fast as its 9014 acknowledgements come back (closed loop,
 * one frame in flight per logger). Three measured runs; per run: frames/s acknowledged, frames/s
 * stored (all 7 rows of every frame committed), CPU seconds per 1,000 frames of gateway, writer,
 * Kafka, PostgreSQL and the load generator (this process). Writes bench/results/hj212-e2e-<date>.json.
 *
 * Target (issue 11): 2,000 loggers at one frame a minute = 33.3 frames/s, with ≥ 50× headroom:
 * ≥ 1,667 frames/s stored, sustained.
 *
 * The loggers are registered with scrypt N = 2^10 (not the default 2^15) so registering 2,000 of
 * them takes seconds; the first frame of each connection pays one scrypt verification, later frames none.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger, loadConfig } from '@voc/config';
import { createPool, enableRoleLogins, migrateDatabase } from '@voc/db';
import { createKafka, ensureAcls, ensureTopics, kafkaAcls, topicNames } from '@voc/messaging';
import { REPO_ROOT, startService } from '../spawn.js';
import { registerFleet, simFleet } from '../hj212-sim/fleet.js';
import { runSimulation } from '../hj212-sim/sim.js';
import { numberArg, recreateBenchDatabase } from './setup.js';
import { ProcessMonitor, round } from './procstat.js';

const LOGGERS = numberArg('loggers', 2000);
const FRAMES_PER_LOGGER = numberArg('frames', 25);
const RUNS = numberArg('runs', 3);
const VALUES_PER_FRAME = 7;
const TARGET_FPS = (LOGGERS / 60) * 50;

async function pidOf(file: string): Promise<number | undefined> {
  try {
    return Number((await readFile(file, 'utf8')).trim()) || undefined;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const DB = process.env.VOC_BENCH_DATABASE ?? 'voc_bench';
  await recreateBenchDatabase(DB);
  const prefix = `bench-hj212-${Date.now().toString(36)}.`;
  const env0 = { ...process.env, PGDATABASE: DB, VOC_KAFKA_TOPIC_PREFIX: prefix, VOC_KAFKA_GROUP_PREFIX: prefix };
  const cfg = loadConfig(env0);
  await migrateDatabase(cfg.pg);
  await enableRoleLogins(cfg.pg);
  const log = createLogger('bench-hj212', 'error');
  const pool = createPool(cfg.pg, log, 'voc-bench-hj212');
  const admin = createKafka(cfg.kafka, log).admin();
  await admin.connect();
  const topics = topicNames(prefix);
  await ensureTopics(admin, topics);
  await ensureAcls(admin, kafkaAcls(topics, prefix), cfg.kafka.principals);

  process.stderr.write(`registering ${LOGGERS} simulated loggers (scrypt N=2^10)\n`);
  const fleet = simFleet(LOGGERS, 'B', ['normal']);
  await registerFleet(pool, fleet, { scryptLog2N: 10 });

  const port = cfg.hj212.port;
  const env = {
    PGDATABASE: DB,
    LOG_LEVEL: 'warn',
    VOC_KAFKA_TOPIC_PREFIX: prefix,
    VOC_KAFKA_GROUP_PREFIX: prefix,
    VOC_HJ212_PORT: String(port),
    VOC_HJ212_METRICS_PORT: '0',
    VOC_HJ212_MAX_CONNECTIONS_PER_ADDRESS: String(LOGGERS + 100),
  };
  const logDir = `${REPO_ROOT}.cache/bench`;
  await mkdir(logDir, { recursive: true });
  const gateway = startService('hj212-gateway', 'services/hj212-gateway/dist/main.js', {
    env: { ...env, LOG_LEVEL: 'info' },
    readyMsg: 'HJ 212 gateway ready',
    logFile: `${logDir}/hj212-gateway.log`,
  });
  const writer = startService('writer', 'services/writer/dist/main.js', {
    env: { ...env, LOG_LEVEL: 'info' },
    readyMsg: 'writer started',
    logFile: `${logDir}/writer.log`,
  });
  await Promise.all([gateway.ready, writer.ready]);
  await sleep(2000);
  const pids: Record<string, number> = { gateway: gateway.child.pid!, writer: writer.child.pid! };
  const kafkaPid = await pidOf(`${REPO_ROOT}.cache/kafka/kafka.pid`);
  const pgPid = await pidOf('/var/run/postgresql/15-main.pid');
  if (kafkaPid) pids.kafka = kafkaPid;
  if (pgPid) pids.postgres = pgPid;

  const stored = async () => (await pool.query<{ n: number }>('select count(*)::int as n from readings')).rows[0]!.n;
  const runs: Record<string, unknown>[] = [];
  const base = Math.floor(Date.now() / 60_000) * 60_000 - (RUNS * FRAMES_PER_LOGGER + 5) * 60_000;
  try {
    for (let r = 0; r < RUNS; r++) {
      const before = await stored();
      const frames = LOGGERS * FRAMES_PER_LOGGER;
      const monitor = new ProcessMonitor(pids);
      await monitor.start(250);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const sim = await runSimulation({
        host: '127.0.0.1',
        port,
        monitors: fleet,
        minutes: FRAMES_PER_LOGGER,
        startAt: base + r * FRAMES_PER_LOGGER * 60_000,
        intervalMs: 0,
        ackTimeoutMs: 60_000,
      });
      const tAck = (performance.now() - t0) / 1000;
      const want = before + sim.acked * VALUES_PER_FRAME;
      while ((await stored()) < want && performance.now() - t0 < 300_000) await sleep(100);
      const tStored = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const procs = await monitor.stop(tStored);
      const per1k = (s: number) => round((s / frames) * 1000, 3);
      const lat = sim.ackLatenciesMs;
      const row = {
        run: r + 1,
        loggers: LOGGERS,
        frames,
        acked: sim.acked,
        unacked: sim.unacked,
        rowsStored: (await stored()) - before,
        secondsToAck: round(tAck),
        secondsToStored: round(tStored),
        framesPerSecondAcked: round(sim.acked / tAck, 0),
        framesPerSecondStored: round(sim.acked / tStored, 0),
        ackLatencyMs: { p50: round(lat[Math.floor(lat.length * 0.5)] ?? NaN), p99: round(lat[Math.floor(lat.length * 0.99)] ?? NaN) },
        cpuSecondsPer1000Frames: {
          ...Object.fromEntries(Object.entries(procs).map(([k, v]) => [k, per1k(v.cpuSeconds)])),
          loadgen: per1k((cpu.user + cpu.system) / 1e6),
        },
        peakRssMiB: Object.fromEntries(Object.entries(procs).map(([k, v]) => [k, v.peakRssMiB])),
      };
      runs.push(row);
      process.stderr.write(`run ${r + 1}: ${JSON.stringify(row)}\n`);
    }
  } finally {
    await gateway.stop();
    await writer.stop();
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await admin.disconnect();
    await pool.end();
  }
  const fps = runs.map((x) => x.framesPerSecondStored as number).sort((a, b) => a - b);
  const result = {
    when: new Date().toISOString(),
    machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, loadavg1: round(os.loadavg()[0]!) },
    target: { framesPerSecond: round(TARGET_FPS, 0), basis: `${LOGGERS} loggers x 1 frame/min x 50` },
    framesPerSecondStored: { min: fps[0], median: fps[Math.floor(fps.length / 2)], max: fps.at(-1) },
    met: (fps[0] ?? 0) >= TARGET_FPS,
    runs,
  };
  await mkdir(`${REPO_ROOT}bench/results`, { recursive: true });
  const out = `${REPO_ROOT}bench/results/hj212-e2e-${result.when.slice(0, 10)}.json`;
  await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(
    `HJ 212 end to end: ${LOGGERS} loggers over TCP -> stored rows, ${RUNS} runs of ${LOGGERS * FRAMES_PER_LOGGER} frames\n` +
      `frames/s stored: min ${result.framesPerSecondStored.min}, median ${result.framesPerSecondStored.median}, max ${result.framesPerSecondStored.max}; ` +
      `target ${result.target.framesPerSecond} (${result.target.basis}): ${result.met ? 'met' : 'NOT met'}\nresults: ${out.slice(REPO_ROOT.length)}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:hj212: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
