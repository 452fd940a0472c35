import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { cellToLatLng, latLngToCell } from 'h3-js';
import { Redis } from 'ioredis';
import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, loadConfig, type Config } from '@voc/config';
import { createPool, DeviceRepository, ReadingRepository, type Pool } from '@voc/db';
import { alertSchema, type Alert, type ReadingMessage } from '@voc/domain';
import { createKafka, ensureAcls, ensureTopics, headerString, kafkaAcls, topicNames, type TopicNames } from '@voc/messaging';
import { buildHotspotWorker, type HotspotWorker } from './app.js';
import { centreCell12, diskCells, fixedReading } from '@voc/core/testing';
import { deleteHotspotRows } from '@voc/db/testing';

// The hotspot worker against the real Redis (BullMQ), PostgreSQL (voc_test) and Kafka. Each test owns a
// queue name, a device-id prefix, a Kafka topic prefix and a time range in 2033, and removes them.

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const H = 3_600_000;
const CENTRE = latLngToCell(39.878, 116.352, 8); // Wanshouxigong station, Xicheng
const CELLS = diskCells(CENTRE, 2);
const baseConfig = loadConfig();
const log = createLogger('hotspot-worker-test', baseConfig.logLevel);
let pool: Pool;
let kafka: Kafka;
let admin: Admin;
const cleanups: (() => Promise<unknown>)[] = [];
let testNo = 0;

beforeAll(async () => {
  pool = createPool({ ...baseConfig.pg, poolMax: 12 }, log, 'voc-hotspot-worker-test');
  kafka = createKafka(baseConfig.kafka, log);
  admin = kafka.admin();
  await admin.connect();
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

afterAll(async () => {
  await admin?.disconnect();
  await pool?.end();
});

/** A test's own names and time range. */
interface Fixture {
  prefix: string;
  queue: string;
  topics: TopicNames;
  base: number;
  config: Config;
  dev(i: number): string;
}

async function fixture(env: Record<string, string> = {}): Promise<Fixture> {
  testNo += 1;
  const id = randomUUID().slice(0, 8);
  const prefix = `w${id}-`;
  const queue = `hs-test-${id}`;
  const topics = topicNames(`t-${id}.`);
  const base = Date.UTC(2033, 0, 1) + testNo * 10 * 24 * H;
  const config = loadConfig({
    ...process.env,
    VOC_HOTSPOT_QUEUE: queue,
    VOC_HOTSPOT_METRICS: 'pm25',
    VOC_HOTSPOT_SCHEDULER: 'false',
    VOC_HOTSPOT_REEVALUATE_HOURS: '3',
    VOC_HOTSPOT_LOCK_DURATION_MS: '2000',
    VOC_HOTSPOT_STALLED_INTERVAL_MS: '1000',
    VOC_HOTSPOT_BACKOFF_MS: '300',
    VOC_HOTSPOT_WATERMARK_MARGIN_MS: '0',
    VOC_ALERT_DISPATCH_INTERVAL_MS: '200',
    VOC_KAFKA_TOPIC_PREFIX: `t-${id}.`,
    ...env,
  });
  const f: Fixture = { prefix, queue, topics, base, config, dev: (i) => `${prefix}f${String(i).padStart(2, '0')}` };
  cleanups.push(async () => {
    const connection = new Redis(config.redis.url, {
      username: config.redis.username,
      password: config.redis.password,
      maxRetriesPerRequest: null,
    });
    const q = new Queue(queue, { connection });
    await q.obliterate({ force: true });
    await q.close();
    connection.disconnect();
  });
  cleanups.push(() => deleteHotspotRows(pool, base - 24 * H, base + 10 * 24 * H));
  cleanups.push(() => pool.query(`delete from readings where device_id like $1`, [`${prefix}%`]));
  cleanups.push(() => pool.query(`delete from devices where id like $1`, [`${prefix}%`]));
  await new DeviceRepository(pool).upsert(
    CELLS.map((c, i) => ({ id: f.dev(i), kind: 'fixed' as const, lat: cellToLatLng(c)[0], lon: cellToLatLng(c)[1] })),
  );
  return f;
}

/**
 * Twelve pm25 readings per device in window `w` (hours from `base`); the centre cell at `centre`, its
 * excess over 10 fluctuating as a plume does (half the readings 0.5 ×, half 1.5 ×: median and mean
 * `centre`), so the level-shift test sees a plume, not a sensor offset.
 */
function windowReadings(f: Fixture, w: number, centre: number | null): ReadingMessage[] {
  const out: ReadingMessage[] = [];
  CELLS.forEach((c, i) => {
    if (i === 0 && centre === null) return;
    for (let k = 0; k < 12; k += 1) {
      const v = i === 0 ? 10 + (centre! - 10) * (k % 2 ? 1.5 : 0.5) : 10 + ((i % 3) - 1);
      out.push(fixedReading(f.dev(i), centreCell12(c), f.base + w * H + k * 300_000, 'pm25', v));
    }
  });
  return out;
}

function worker(f: Fixture, clock: () => number, producer: Producer | null = null): HotspotWorker {
  const w = buildHotspotWorker({
    config: f.config,
    log,
    pool,
    redis: () =>
      new Redis(f.config.redis.url, { username: f.config.redis.username, password: f.config.redis.password, maxRetriesPerRequest: null }),
    producer,
    alertsTopic: f.topics.alerts,
    clock,
  });
  cleanups.push(() => w.stop());
  return w;
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Committed evaluations per window of the fixture's range: window start (ms) → count. */
async function runsPerWindow(f: Fixture): Promise<Map<number, number>> {
  const { rows } = await pool.query<{ w: Date; n: number }>(
    `select window_start as w, count(*)::int as n from hotspot_evaluation_runs where metric = 'pm25' and window_minutes = 60 and window_start >= $1 and window_start < $2 group by 1 order by 1`,
    [new Date(f.base - 24 * H).toISOString(), new Date(f.base + 10 * 24 * H).toISOString()],
  );
  return new Map(rows.map((r) => [r.w.getTime(), r.n]));
}

async function doneWindows(f: Fixture): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `select count(*)::int as n from hotspot_evaluations where metric = 'pm25' and window_minutes = 60 and status = 'done' and window_start >= $1 and window_start < $2`,
    [new Date(f.base - 24 * H).toISOString(), new Date(f.base + 10 * 24 * H).toISOString()],
  );
  return rows[0]!.n;
}

async function hotspotCount(f: Fixture): Promise<{ hotspots: number; tasks: number }> {
  const { rows } = await pool.query<{ hotspots: number; tasks: number }>(
    `select count(*)::int as hotspots, count(distinct task_id)::int as tasks from hotspots where metric = 'pm25' and window_minutes = 60 and opened_window >= $1 and opened_window < $2`,
    [new Date(f.base).toISOString(), new Date(f.base + 10 * 24 * H).toISOString()],
  );
  return rows[0]!;
}

describe('hotspot worker (BullMQ on Redis)', () => {
  it('enqueues each closed window once however many schedulers tick, evaluates each once with two workers, and re-evaluates a window that receives late readings', async () => {
    const f = await fixture();
    const readings = new ReadingRepository(pool);
    // windows 0 and 1 high in the centre cell, window 2 without the centre device
    await readings.insertBatch([...windowReadings(f, 0, 40), ...windowReadings(f, 1, 40), ...windowReadings(f, 2, null)]);
    let now = f.base + 3 * H + 11 * 60_000; // windows 0, 1 and 2 are closed plus 10 min of lateness
    const clock = () => now;
    const a = worker(f, clock);
    const b = worker(f, clock);
    const ticks = await Promise.all([a.tick('pm25'), b.tick('pm25'), a.tick('pm25'), b.tick('pm25')]);
    expect(ticks[0].due).toEqual([f.base, f.base + H, f.base + 2 * H]);
    const queue = a.queue;
    expect((await queue.getJobs(['waiting', 'delayed', 'prioritized'])).map((j) => j.id).sort()).toEqual([
      'eval/pm25/8/' + new Date(f.base).toISOString().replace(/[-:]/g, '').replace('.000Z', 'Z'),
      'eval/pm25/8/' + new Date(f.base + H).toISOString().replace(/[-:]/g, '').replace('.000Z', 'Z'),
      'eval/pm25/8/' + new Date(f.base + 2 * H).toISOString().replace(/[-:]/g, '').replace('.000Z', 'Z'),
    ]);
    await Promise.all([a.start(), b.start()]);
    await until('three windows evaluated', async () => (await doneWindows(f)) === 3);
    // a tick after the evaluations adds nothing
    expect(await a.tick('pm25')).toEqual({ due: [], late: [] });
    expect([...(await runsPerWindow(f)).values()]).toEqual([1, 1, 1]);
    expect(await hotspotCount(f)).toEqual({ hotspots: 1, tasks: 1 });

    // late readings of the centre device for window 2 (elevated): the next tick re-evaluates window 2 once
    await readings.insertBatch(windowReadings(f, 2, 45).filter((r) => r.deviceId === f.dev(0)));
    now += 60_000;
    const late = await Promise.all([a.tick('pm25'), b.tick('pm25')]);
    // Either concurrent tick may be the one that sees the late readings (the other may read the cursor
    // the first one just advanced); together they report window 2 once, and its job id dedupes it.
    const lateWindows = [...new Map(late.flatMap((t) => t.late).map((l) => [`${l.window}/${l.version}`, l])).values()];
    expect(lateWindows).toEqual([{ window: f.base + 2 * H, version: 1 }]);
    await until('window 2 re-evaluated', async () => (await runsPerWindow(f)).get(f.base + 2 * H) === 2);
    const job = await queue.getJob(`eval/pm25/8/${new Date(f.base + 2 * H).toISOString().replace(/[-:]/g, '').replace('.000Z', 'Z')}/r1`);
    expect(job?.data).toMatchObject({ trigger: 'late_data' });
    expect([...(await runsPerWindow(f)).values()]).toEqual([1, 1, 2]);
    const { rows } = await pool.query<{ high: boolean }>(
      `select high from hotspot_cell_stats where metric = 'pm25' and window_start = $1 and cell = $2::int8`,
      [new Date(f.base + 2 * H).toISOString(), BigInt(`0x${CENTRE}`).toString()],
    );
    expect(rows).toEqual([{ high: true }]);
    expect(await hotspotCount(f)).toEqual({ hotspots: 1, tasks: 1 });
  });

  it('runs a job scheduler per metric that evaluates each window once it has closed plus the lateness', async () => {
    const f = await fixture({ VOC_HOTSPOT_SCHEDULER: 'true', VOC_HOTSPOT_TICK_MS: '1000' });
    await new ReadingRepository(pool).insertBatch([...windowReadings(f, 0, 40), ...windowReadings(f, 1, 40), ...windowReadings(f, 2, 10)]);
    let now = f.base + 3 * H + 9 * 60_000; // window 2 closed 9 min ago: not yet due (10 min lateness)
    const w = worker(f, () => now);
    await w.start();
    const schedulers = await w.queue.getJobSchedulers();
    expect(schedulers.map((j) => j.key)).toEqual(['tick/pm25/8']);
    await until('windows 0 and 1 evaluated', async () => (await doneWindows(f)) === 2);
    now += 2 * 60_000;
    await until('window 2 evaluated', async () => (await doneWindows(f)) === 3);
    expect([...(await runsPerWindow(f)).values()]).toEqual([1, 1, 1]);
    expect(await hotspotCount(f)).toEqual({ hotspots: 1, tasks: 1 });
  });

  it('loses no evaluation when a worker process is killed mid-evaluation: the job is taken over and each window is evaluated exactly once', async () => {
    const f = await fixture({ VOC_HOTSPOT_CONCURRENCY: '1' });
    await ensureTopics(admin, f.topics);
    await ensureAcls(admin, kafkaAcls(f.topics), baseConfig.kafka.principals);
    cleanups.push(() => admin.deleteTopics({ topics: Object.values(f.topics) }));
    await new ReadingRepository(pool).insertBatch([...windowReadings(f, 0, 40), ...windowReadings(f, 1, 40), ...windowReadings(f, 2, 10)]);
    const now = f.base + 3 * H + 11 * 60_000;
    const scheduler = worker(f, () => now);
    expect((await scheduler.tick('pm25')).due).toHaveLength(3);

    // Hold the series lock, so that the worker process stops inside its evaluation transaction
    // (after its rollup of window 0, before persistence), then kill it there.
    const holder = await pool.connect();
    const key = 'hotspot-series/pm25/8/60';
    await holder.query(`select pg_advisory_lock(hashtextextended($1, 7206105))`, [key]);
    let child: ChildProcess | undefined;
    try {
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
      Object.assign(env, {
        PGDATABASE: f.config.pg.database,
        VOC_HOTSPOT_QUEUE: f.queue,
        VOC_HOTSPOT_METRICS: 'pm25',
        VOC_HOTSPOT_SCHEDULER: 'false',
        VOC_HOTSPOT_CONCURRENCY: '1',
        VOC_HOTSPOT_LOCK_DURATION_MS: '2000',
        VOC_HOTSPOT_STALLED_INTERVAL_MS: '1000',
        VOC_KAFKA_TOPIC_PREFIX: f.config.kafka.topicPrefix,
        LOG_LEVEL: 'warn',
      });
      child = spawn(process.execPath, ['services/hotspot-worker/dist/main.js'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
      const exited = new Promise((r) => child!.once('exit', r));
      await until('the worker process to block inside its evaluation', async () => {
        const { rows } = await pool.query(
          `select 1 from pg_stat_activity where datname = current_database() and application_name = 'voc-hotspot-worker' and wait_event_type = 'Lock' and wait_event = 'advisory' and query like '%pg_advisory_xact_lock%'`,
        );
        return rows.length > 0;
      });
      child.kill('SIGKILL');
      await exited;
    } finally {
      await holder.query(`select pg_advisory_unlock(hashtextextended($1, 7206105))`, [key]);
      holder.release();
    }
    expect(await doneWindows(f)).toBe(0);

    // A new worker takes the stalled job over once its lock expires, and runs the rest.
    const replacement = worker(f, () => now);
    await replacement.start();
    await until('all three windows evaluated', async () => (await doneWindows(f)) === 3);
    await new Promise((r) => setTimeout(r, 2500)); // one more stalled-check period: nothing runs twice
    expect([...(await runsPerWindow(f)).values()]).toEqual([1, 1, 1]);
    expect(await hotspotCount(f)).toEqual({ hotspots: 1, tasks: 1 });
    const first = await replacement.queue.getJob(
      `eval/pm25/8/${new Date(f.base).toISOString().replace(/[-:]/g, '').replace('.000Z', 'Z')}`,
    );
    expect(await first?.getState()).toBe('completed');
  });

  it('publishes every hotspot and task alert to Kafka after commit, keyed by cell, once', async () => {
    const f = await fixture({ VOC_HOTSPOT_REEVALUATE_HOURS: '6' });
    await ensureTopics(admin, f.topics);
    cleanups.push(() => admin.deleteTopics({ topics: Object.values(f.topics) }));
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const consumer: Consumer = kafka.consumer({ groupId: `${f.prefix}alerts` });
    await consumer.connect();
    cleanups.push(() => consumer.disconnect());
    await consumer.subscribe({ topic: f.topics.alerts, fromBeginning: true });
    const got: { key: string; alert: Alert; schema: string | undefined }[] = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        const alert = alertSchema.parse(JSON.parse(message.value!.toString()));
        // The outbox is shared by every test using the test database: keep this fixture's windows only.
        const opened = Date.parse(alert.openedWindow);
        if (opened < f.base || opened >= f.base + 10 * 24 * H) return;
        got.push({ key: message.key!.toString(), alert, schema: headerString(message.headers, 'voc-schema') });
      },
    });
    // high, high, clean × 3: opened (and a task) in window 1, cleared in window 4
    await new ReadingRepository(pool).insertBatch([40, 40, 10, 10, 10].flatMap((v, w) => windowReadings(f, w, v)));
    const w = worker(f, () => f.base + 5 * H + 11 * 60_000, producer);
    await w.tick('pm25');
    await w.start();
    await until('three alerts', async () => got.length >= 3 && got);
    await w.dispatcher!.dispatchOnce();
    await new Promise((r) => setTimeout(r, 1000));
    expect(got.map((g) => g.alert.type)).toEqual(['hotspot_opened', 'task_opened', 'hotspot_cleared']);
    expect(got.every((g) => g.key === CENTRE && g.alert.cell === CENTRE && g.schema === 'voc.alert.v1')).toBe(true);
    expect(got[0]!.alert).toMatchObject({
      metric: 'pm25',
      unit: 'µg/m³',
      windowStart: new Date(f.base + H).toISOString(),
      stats: { median: 40, reasons: ['relative', 'upper', 'mean'] }, // the p90 and the mean stand out with the median (issue 10's upper-quantile and mean tests)
    });
    const { rows } = await pool.query<{ n: number }>(
      `select count(*)::int as n from alert_outbox where published_at is null and payload->>'cell' = $1 and (payload->>'windowStart')::timestamptz >= $2`,
      [CENTRE, new Date(f.base).toISOString()],
    );
    expect(rows[0]!.n).toBe(0);
  });
});
