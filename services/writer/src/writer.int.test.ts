import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { latLngToCell } from 'h3-js';
import type { Kafka, Message, Producer, Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, loadConfig, type Config } from '@voc/config';
import { CONSUMER_GROUPS, KAFKA_HEADERS, SCHEMA_IDS, deadLetterSchema, type DeadLetter, type ReadingMessage } from '@voc/domain';
import { buildReading } from '@voc/domain/testing';
import { createPool, type Pool } from '@voc/db';
import {
  createKafka,
  deadLetter,
  deadLetterRecord,
  ensureAcls,
  ensureTopics,
  kafkaAcls,
  readingRecord,
  topicNames,
  type TopicNames,
} from '@voc/messaging';
import { buildWriter, type WriterApp } from './app.js';

// Integration tests of the writer against the real Kafka broker and PostgreSQL (db voc_test). Every
// test owns a topic prefix, consumer groups and device ids derived from a fresh UUID, and removes its
// rows, topics and groups afterwards.

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const H3 = latLngToCell(39.9139, 116.3663, 12); // Xicheng, Beijing
const BASE_MS = Date.parse('2024-05-01T00:00:00.000Z');

const baseConfig = loadConfig();
const log = createLogger('writer-test', baseConfig.logLevel);
let pool: Pool;
let kafka: Kafka;
let admin: Admin;
let producer: Producer;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  pool = createPool(baseConfig.pg, log, 'voc-writer-test');
  kafka = createKafka(baseConfig.kafka, log);
  admin = kafka.admin();
  await admin.connect();
  producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
});

afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await producer?.disconnect();
  await admin?.disconnect();
  await pool?.end();
});

/** A test's own names: topic and group prefix, device id prefix, topics created on the broker. */
interface Fixture {
  prefix: string;
  topics: TopicNames;
  config: Config;
  device(n: number): string;
}

async function fixture(env: Record<string, string> = {}): Promise<Fixture> {
  const prefix = `t-${randomUUID().slice(0, 8)}.`;
  const topics = topicNames(prefix);
  await ensureTopics(admin, topics);
  await ensureAcls(admin, kafkaAcls(topics, prefix), baseConfig.kafka.principals);
  const config = loadConfig({ ...process.env, VOC_KAFKA_TOPIC_PREFIX: prefix, VOC_KAFKA_GROUP_PREFIX: prefix, ...env });
  cleanups.push(async () => {
    await pool.query(`delete from readings where device_id like $1`, [`${prefix}%`]);
    await pool.query(`delete from dead_letters where dlq_topic like $1`, [`${prefix}%`]);
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix));
    if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
    await admin.deleteTopics({ topics: Object.values(topics) });
  });
  return { prefix, topics, config, device: (n) => `${prefix}dev-${n}` };
}

/** Reading `i` of a device: 3 values (tvoc, benzene, toluene) one second apart from BASE_MS. */
function reading(deviceId: string, i: number, over: Partial<ReadingMessage> = {}): ReadingMessage {
  const values = [
    { metric: 'tvoc', value: 100 + (i % 50) },
    { metric: 'benzene', value: 2 + (i % 7) },
    { metric: 'toluene', value: 5 + (i % 11) },
  ] as const;
  return { ...buildReading(deviceId, BASE_MS + i * 1000, values, { h3: H3 }), ...over };
}

/** `n` readings spread over `devices` devices, keyed by device id. */
function readings(f: Fixture, n: number, devices = 10, from = 0): Message[] {
  return Array.from({ length: n }, (_, k) => readingRecord(reading(f.device(k % devices), from + Math.floor(k / devices))));
}

async function produce(topic: string, messages: Message[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 2000) await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 2000) });
}

async function rowStats(f: Fixture): Promise<{ rows: number; keys: number }> {
  const { rows } = await pool.query<{ rows: number; keys: number }>(
    `select count(*)::int as rows, count(distinct (device_id, metric, time))::int as keys from readings where device_id like $1`,
    [`${f.prefix}%`],
  );
  return rows[0] ?? { rows: 0, keys: 0 };
}

async function waitUntil(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 40_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Sum over partitions of the group's committed offsets on `topic` (= records committed, topics start at 0). */
async function committed(groupId: string, topic: string): Promise<number> {
  const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return (t?.partitions ?? []).reduce((s, p) => s + Math.max(Number(p.offset), 0), 0);
}

function app(f: Fixture, opts: Partial<Parameters<typeof buildWriter>[0]> = {}, poolOverride?: Pool): WriterApp {
  const a = buildWriter({ config: f.config, log, pool: poolOverride ?? pool, kafka, ...opts });
  cleanups.push(() => a.stop());
  return a;
}

/** Collects what arrives on the dead-letter topic (own probe group, from the beginning). */
async function dlqProbe(f: Fixture): Promise<{ letters: { letter: DeadLetter; raw: Buffer }[]; stop: () => Promise<void> }> {
  const letters: { letter: DeadLetter; raw: Buffer }[] = [];
  const c = kafka.consumer({ groupId: `${f.prefix}probe` });
  await c.connect();
  await c.subscribe({ topics: [f.topics.deadletter], fromBeginning: true });
  await c.run({
    eachMessage: async ({ message }) => {
      const raw = message.value ?? Buffer.alloc(0);
      letters.push({ letter: deadLetterSchema.parse(JSON.parse(raw.toString('utf8'))), raw });
    },
  });
  const stop = () => c.disconnect();
  cleanups.push(stop);
  return { letters, stop };
}

describe('stream writer', () => {
  it('stores every reading exactly once, also when the same messages are produced twice', async () => {
    const f = await fixture();
    const msgs = readings(f, 600);
    await produce(f.topics.readings, msgs);
    await produce(f.topics.readings, msgs);
    const a = app(f, { consumers: { readings: true, deadLetters: false } });
    await a.start();

    await waitUntil('both copies consumed', () => a.writer.counters.messages >= 1200);
    await waitUntil('offsets committed', async () => (await committed(a.groups.writer, f.topics.readings)) === 1200);
    await a.stop();

    expect(await rowStats(f)).toEqual({ rows: 1800, keys: 1800 });
    expect(a.writer.counters).toMatchObject({ messages: 1200, rowsInserted: 1800, duplicates: 1800, deadLettered: 0 });
  });

  it('dead-letters a poison message and keeps storing the rest of its partition', async () => {
    const f = await fixture();
    const probe = await dlqProbe(f);
    const good = (i: number): Message => ({ ...readingRecord(reading(f.device(1), i)), partition: 0 });
    const badJson: Message = {
      key: f.device(1),
      value: Buffer.from('{"deviceId": "oops", not json'),
      headers: { [KAFKA_HEADERS.schema]: SCHEMA_IDS.reading, [KAFKA_HEADERS.deviceId]: f.device(1) },
      partition: 0,
    };
    const yearZero = reading(f.device(1), 1000, { time: '0000-01-01T00:00:00Z' }); // valid ISO, refused by PostgreSQL (22008)
    const nulDevice = reading(`${f.prefix}dev-\u0000-nul`, 1001); // text with NUL, refused by PostgreSQL (22021)
    const messages: Message[] = [
      ...[0, 1, 2, 3, 4].map(good),
      badJson,
      ...[5, 6, 7].map(good),
      { ...readingRecord(yearZero), partition: 0 },
      { ...readingRecord(nulDevice), partition: 0 },
      ...[8, 9, 10, 11].map(good),
    ];
    await produce(f.topics.readings, messages);
    const a = app(f);
    await a.start();

    await waitUntil('the 12 good readings stored', async () => (await rowStats(f)).rows === 36);
    await waitUntil('3 dead letters published', () => probe.letters.length >= 3);
    await waitUntil('3 dead letters stored', async () => {
      const { rows } = await pool.query<{ n: number }>(`select count(*)::int as n from dead_letters where dlq_topic = $1`, [
        f.topics.deadletter,
      ]);
      return rows[0]?.n === 3;
    });
    await waitUntil('offsets committed', async () => (await committed(a.groups.writer, f.topics.readings)) === messages.length);
    await a.stop();

    const byOffset = new Map(probe.letters.map((l) => [l.letter.source?.offset, l]));
    expect([...byOffset.keys()].sort()).toEqual(['5', '9', '10'].sort());
    for (const [offset, { letter }] of byOffset) {
      expect(letter).toMatchObject({
        reason: 'unstorable',
        code: 'VOC_ERR_UNSTORABLE',
        stage: 'writer',
        source: { topic: f.topics.readings, partition: 0, offset },
      });
      const sent = messages[Number(offset)]?.value;
      expect(Buffer.from(letter.payload, 'base64').equals(Buffer.from(sent as Buffer | string))).toBe(true);
    }
    expect(byOffset.get('5')?.letter.detail).toMatch(/not JSON/);
    expect(byOffset.get('9')?.letter.detail).toMatch(/database refused the reading: .*out of range.*SQLSTATE 22008/);
    expect(byOffset.get('10')?.letter.detail).toMatch(/database refused the reading: .*SQLSTATE 22021/);

    const { rows } = await pool.query<{ source_offset: number; reason: string; stage: string }>(
      `select source_offset, reason, stage from dead_letters where dlq_topic = $1 order by source_offset`,
      [f.topics.deadletter],
    );
    expect(rows).toEqual([5, 9, 10].map((o) => ({ source_offset: o, reason: 'unstorable', stage: 'writer' })));
    expect(await rowStats(f)).toEqual({ rows: 36, keys: 36 });
  });

  it("dead-letters records the gateway's pipeline never writes, produced with the gateway's own credentials", async () => {
    // The ACLs let only the gateway principal write readings; a stolen gateway secret or a bypassing
    // producer still meets the writer's own check (key = header = value device id, known schema header).
    const f = await fixture();
    const probe = await dlqProbe(f);
    const env = { ...process.env, VOC_KAFKA_TOPIC_PREFIX: f.prefix, VOC_KAFKA_GROUP_PREFIX: f.prefix };
    const gatewayCfg = loadConfig(env, { service: 'gateway' });
    const forger = createKafka(gatewayCfg.kafka, log).producer({ allowAutoTopicCreation: false });
    await forger.connect();
    cleanups.push(() => forger.disconnect());
    const victim = f.device(1);
    const good = readingRecord(reading(victim, 0));
    const forged = readingRecord(reading(victim, 1, { values: [{ ...reading(victim, 1).values[0]!, value: 99_999 }] }));
    const messages: Message[] = [
      { ...good, partition: 0 },
      { ...forged, key: f.device(2), partition: 0 }, // key names another device
      { ...forged, headers: { ...forged.headers, [KAFKA_HEADERS.deviceId]: f.device(2) }, partition: 0 },
      { ...readingRecord(reading(f.device(2), 1)), key: victim, headers: { ...forged.headers }, partition: 0 }, // value names another
      { ...forged, headers: { ...forged.headers, [KAFKA_HEADERS.schema]: 'voc.reading.v9' }, partition: 0 },
      { key: victim, value: forged.value, partition: 0 }, // no headers at all
    ];
    await forger.send({ topic: f.topics.readings, acks: -1, messages });

    const writerCfg = loadConfig(env, { service: 'writer' });
    const writerPool = createPool({ ...writerCfg.pg, poolMax: 2 }, log, 'voc-writer-test');
    cleanups.push(() => writerPool.end());
    const a = app(
      { ...f, config: writerCfg },
      { kafka: createKafka(writerCfg.kafka, log), consumers: { readings: true, deadLetters: false } },
      writerPool,
    );
    await a.start();
    await waitUntil('5 dead letters published', () => probe.letters.length >= 5);
    await waitUntil('offsets committed', async () => (await committed(a.groups.writer, f.topics.readings)) === messages.length);
    await a.stop();

    const got = probe.letters.map(({ letter }) => [letter.source?.offset, letter.reason, letter.code, letter.stage]);
    expect(got.sort()).toEqual([
      ['1', 'device_id_mismatch', 'VOC_ERR_DEVICE_ID_MISMATCH', 'writer'],
      ['2', 'device_id_mismatch', 'VOC_ERR_DEVICE_ID_MISMATCH', 'writer'],
      ['3', 'device_id_mismatch', 'VOC_ERR_DEVICE_ID_MISMATCH', 'writer'],
      ['4', 'unknown_schema', 'VOC_ERR_UNKNOWN_SCHEMA', 'writer'],
      ['5', 'unknown_schema', 'VOC_ERR_UNKNOWN_SCHEMA', 'writer'],
    ]);
    const { rows } = await pool.query<{ device_id: string; value: number }>(
      `select device_id, value from readings where device_id like $1 order by device_id, time, metric`,
      [`${f.prefix}%`],
    );
    expect(rows.map((r) => r.device_id)).toEqual([victim, victim, victim]);
    expect(rows.some((r) => r.value === 99_999)).toBe(false);
  });

  it('stores every reading once after the writer process is SIGKILLed mid-backlog and restarted', async () => {
    execFileSync('npx', ['tsc', '-b', 'services/writer'], { cwd: ROOT, stdio: 'inherit' });
    const f = await fixture();
    const total = 30_000;
    await produce(f.topics.readings, readings(f, total, 50));
    const env = {
      ...process.env,
      VOC_KAFKA_TOPIC_PREFIX: f.prefix,
      VOC_KAFKA_GROUP_PREFIX: f.prefix,
      VOC_WRITER_MAX_BATCH_ROWS: '1500',
      // The killed member's partitions move to the restarted one after the session timeout.
      VOC_WRITER_SESSION_TIMEOUT_MS: '6000',
      LOG_LEVEL: 'warn',
    };
    const start = (): ChildProcess => {
      const child = spawn(process.execPath, ['services/writer/dist/main.js', '--only', 'readings'], {
        cwd: ROOT,
        env,
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      cleanups.push(async () => child.exitCode === null && child.kill('SIGKILL'));
      return child;
    };
    const exited = (child: ChildProcess) =>
      new Promise<number | string | null>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode ?? child.signalCode);
        else child.once('exit', (code, signal) => resolve(code ?? signal));
      });

    const first = start();
    await waitUntil('the first writer to store something', async () => (await rowStats(f)).rows > 0, 30_000);
    first.kill('SIGKILL');
    expect(await exited(first)).toBe('SIGKILL');
    const atKill = await rowStats(f);
    expect(atKill.rows).toBeLessThan(total * 3);

    const second = start();
    await waitUntil('every reading stored', async () => (await rowStats(f)).rows >= total * 3, 40_000);
    second.kill('SIGTERM');
    expect(await exited(second)).toBe(0);

    expect(await rowStats(f)).toEqual({ rows: total * 3, keys: total * 3 });
    expect(await committed(f.prefix + CONSUMER_GROUPS.writer, f.topics.readings)).toBe(total);
  });

  it('stores every reading once while the group rebalances between two writers', async () => {
    const f = await fixture({ VOC_WRITER_SESSION_TIMEOUT_MS: '6000', VOC_WRITER_MAX_BATCH_ROWS: '1500' });
    const total = 20_000;
    await produce(f.topics.readings, readings(f, total, 60));
    const a = app(f, { consumers: { readings: true, deadLetters: false } });
    const b = app(f, { consumers: { readings: true, deadLetters: false } });
    await a.start();
    await waitUntil('the first writer to store something', async () => (await rowStats(f)).rows > 0);
    await b.start(); // joins the group: partitions are split between a and b
    await produce(f.topics.readings, readings(f, total, 60, total));
    await waitUntil('the second writer to store something', () => b.writer.counters.messages > 0);
    await a.stop(); // leaves the group: b takes every partition
    await waitUntil('every reading stored', async () => (await rowStats(f)).rows >= total * 2 * 3);
    await waitUntil('offsets committed', async () => (await committed(b.groups.writer, f.topics.readings)) === total * 2);
    await b.stop();

    expect(await rowStats(f)).toEqual({ rows: total * 2 * 3, keys: total * 2 * 3 });
    const inserted = a.writer.counters.rowsInserted + b.writer.counters.rowsInserted;
    expect(inserted).toBe(total * 2 * 3);
  });

  it('waits out a database outage without losing or skipping readings', async () => {
    const proxy = await tcpProxy(baseConfig.pg.port);
    cleanups.push(() => proxy.shutdown());
    const f = await fixture({ PGPORT: String(proxy.port), VOC_WRITER_RETRY_MAX_MS: '500', VOC_PG_POOL_MAX: '4' });
    const proxiedPool = createPool(f.config.pg, log, 'voc-writer-test-proxied');
    cleanups.push(() => proxiedPool.end());
    const a = app(f, { consumers: { readings: true, deadLetters: false } }, proxiedPool);
    await a.start();

    await produce(f.topics.readings, readings(f, 300, 10, 0));
    await waitUntil('the first 300 readings stored', async () => (await rowStats(f)).rows === 900);

    await proxy.close();
    await produce(f.topics.readings, readings(f, 500, 10, 1000));
    // A few seconds of outage: retries come every 0.5 s once the backoff reaches its cap.
    await waitUntil('the writer to retry for a few seconds', () => a.writer.counters.retries >= 8);
    // Nothing of the second lot is committed while the database is away.
    expect(await committed(a.groups.writer, f.topics.readings)).toBe(300);
    expect((await rowStats(f)).rows).toBe(900);

    await proxy.open();
    await waitUntil('every reading stored', async () => (await rowStats(f)).rows === 2400);
    await waitUntil('offsets committed', async () => (await committed(a.groups.writer, f.topics.readings)) === 800);
    await a.stop();
    expect(await rowStats(f)).toEqual({ rows: 2400, keys: 2400 });
    expect(a.writer.counters).toMatchObject({ messages: 800, rowsInserted: 2400, deadLettered: 0 });
  });
});

describe('dead-letter store', () => {
  it('writes each dead letter to dead_letters once, also when the topic is consumed again', async () => {
    const f = await fixture();
    const letters = [0, 1, 2].map((i) =>
      deadLetter(
        { reason: 'value_out_of_range', detail: `tvoc ${i} above range` },
        {
          stage: 'gateway',
          payload: Buffer.from(`{"v":${i}}`),
          receivedAt: new Date(BASE_MS + i),
          deviceId: f.device(i),
          mqttTopic: `voc/v1/fixed/${f.device(i)}/up`,
        },
      ),
    );
    const badBase64 = { ...letters[0]!, payload: '***not base64***' };
    const records: Message[] = [
      ...letters.map((l) => ({ ...deadLetterRecord(l), partition: 0 })),
      { key: 'x', value: 'definitely not a dead letter', partition: 0 },
      { ...deadLetterRecord(badBase64), partition: 0 },
    ];
    await produce(f.topics.deadletter, records);

    const first = app(f, { consumers: { readings: false, deadLetters: true } });
    await first.start();
    await waitUntil('all consumed', () => first.deadLetterStore.counters.letters >= records.length);
    await first.stop();

    // A second group reads the whole topic again: every record is a duplicate.
    const again = app(f, { consumers: { readings: false, deadLetters: true }, groups: { deadletterStore: `${f.prefix}again` } });
    await again.start();
    await waitUntil('all consumed again', () => again.deadLetterStore.counters.letters >= records.length);
    await again.stop();
    expect(again.deadLetterStore.counters).toMatchObject({ stored: 0, duplicates: records.length });

    const { rows } = await pool.query<{
      dlq_offset: number;
      reason: string;
      stage: string;
      detail: string;
      device_id: string | null;
      mqtt_topic: string | null;
      payload: Buffer;
    }>(
      `select dlq_offset, reason, stage, detail, device_id, mqtt_topic, payload from dead_letters where dlq_topic = $1 order by dlq_offset`,
      [f.topics.deadletter],
    );
    expect(rows.map((r) => r.dlq_offset)).toEqual([0, 1, 2, 3, 4]);
    letters.forEach((l, i) => {
      expect(rows[i]).toMatchObject({
        reason: l.reason,
        stage: 'gateway',
        detail: l.detail,
        device_id: l.deviceId,
        mqtt_topic: l.mqttTopic,
      });
      expect(rows[i]?.payload.toString()).toBe(`{"v":${i}}`);
    });
    expect(rows[3]).toMatchObject({ reason: 'unstorable', stage: 'writer' });
    expect(rows[3]?.detail).toMatch(/not a dead letter/);
    expect(rows[3]?.payload.toString()).toBe('definitely not a dead letter');
    expect(rows[4]).toMatchObject({ reason: 'unstorable', stage: 'writer' });
    expect(rows[4]?.detail).toMatch(/dead letter refused by the database: .*SQLSTATE 22/);
    expect(JSON.parse(rows[4]?.payload.toString() ?? '')).toMatchObject({ payload: '***not base64***' });
  });
});

/**
 * A TCP proxy in front of PostgreSQL that the test can take away (close: stop listening and cut every
 * connection) and bring back on the same port, to simulate a database outage without touching the
 * shared server.
 */
async function tcpProxy(
  targetPort: number,
): Promise<{ port: number; close(): Promise<void>; open(): Promise<void>; shutdown(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const listen = (port: number) =>
    new Promise<Server>((resolve, reject) => {
      const s = createServer((client) => {
        const upstream = connect(targetPort, '127.0.0.1');
        for (const sock of [client, upstream]) {
          sockets.add(sock);
          sock.on('close', () => sockets.delete(sock));
          sock.on('error', () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream);
        upstream.pipe(client);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve(s));
    });
  server = await listen(0);
  const port = (server.address() as { port: number }).port;
  const close = async () => {
    const s = server;
    server = undefined;
    if (!s) return;
    const closed = new Promise<void>((resolve) => s.close(() => resolve()));
    for (const sock of sockets) sock.destroy();
    await closed;
  };
  return {
    port,
    close,
    open: async () => {
      server ??= await listen(port);
    },
    shutdown: close,
  };
}
