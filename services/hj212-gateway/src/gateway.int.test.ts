import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import type { Admin, Consumer, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, loadConfig } from '@voc/config';
import { createPool, DeviceRepository, Hj212DeviceRepository, type Pool } from '@voc/db';
import { registerHj212Device } from '@voc/core';
import { deadLetterSchema, readingMessageSchema, type DeadLetter, type DeviceKind, type ReadingMessage } from '@voc/domain';
import { buildMinuteData, buildFrame, flagValue, formatHj212Time, type RejectReason, type Tolerance } from '@voc/hj212';
import { createKafka, ensureAcls, ensureTopics, kafkaAcls, topicNames, type TopicNames } from '@voc/messaging';
import { buildHj212Gateway, type Hj212Gateway, type Hj212GatewaySettings } from './app.js';
import { TestLogger, until } from './testkit.js';

// Real TCP, real Kafka (the test stack's SCRAM broker, the gateway producing as principal hj212) and
// the test database. Every name is unique to the run.

const RUN = randomUUID().slice(0, 8);
const cfg = loadConfig();
const gwCfg = loadConfig(process.env, { service: 'hj212-gateway' });
const log = createLogger('hj212-gateway-int-test', 'silent');
const cheap = 10; // scrypt cost exponent for test registrations; the default is SCRYPT_PARAMS in @voc/core passwords.ts

let pool: Pool;
let admin: Admin;
let topics: TopicNames;
let consumer: Consumer;
const seen: { readings: ReadingMessage[]; dead: DeadLetter[] } = { readings: [], dead: [] };
const cleanups: (() => Promise<unknown>)[] = [];

const SETTINGS: Hj212GatewaySettings = {
  ...gwCfg.hj212,
  idleTimeoutMs: 60_000,
  splitTimeoutMs: 500,
  authCacheTtlMs: 0,
};
// Shared packets date from 2016-2022: accept their age so their readings reach the topic.
const INGEST = { allowedLatenessMs: 20 * 365 * 86_400_000, maxClockSkewMs: 5 * 60_000 };

async function startGateway(settings: Partial<Hj212GatewaySettings> = {}, sink?: Producer): Promise<{ gw: Hj212Gateway; port: number }> {
  const producer = sink ?? createKafka(gwCfg.kafka, log).producer({ allowAutoTopicCreation: false });
  if (!sink) {
    await producer.connect();
    cleanups.push(() => producer.disconnect());
  }
  const gw = buildHj212Gateway({
    loggers: new Hj212DeviceRepository(pool),
    sink: producer,
    topics,
    settings: { ...SETTINGS, ...settings },
    ingest: INGEST,
    log,
    retry: { initialMs: 50, maxMs: 500 },
  });
  await new Promise<void>((resolve) => gw.server.listen(0, '127.0.0.1', () => resolve()));
  cleanups.push(() => gw.stop(2000));
  return { gw, port: (gw.server.address() as AddressInfo).port };
}

async function register(
  id: string,
  kind: DeviceKind,
  mn: string,
  pw: string,
  opts: { profile?: string; tolerances?: Tolerance[]; maxDataLength?: number } = {},
) {
  await new DeviceRepository(pool).upsert([{ id, kind, lat: 39.9139, lon: 116.3668 }]);
  await registerHj212Device(new Hj212DeviceRepository(pool), { deviceId: id, mn, pw, scryptLog2N: cheap, ...opts });
}

/** The shared packets (../shared/data/hj212 beside the repository), else the codec's committed copy. */
function loadPackets(): {
  packets: { id: string; packet: string; expected: { ST: string; CN: string; PW: string; MN: string; QN?: string; Flag?: string } }[];
} {
  const shared = fileURLToPath(new URL('../../../../shared/data/hj212/packets.jsonl', import.meta.url));
  const copy = fileURLToPath(new URL('../../../packages/hj212/src/fixtures/packets.jsonl', import.meta.url));
  const text = readFileSync(existsSync(shared) ? shared : copy, 'utf8');
  return {
    packets: text
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as ReturnType<typeof loadPackets>['packets'][number]),
  };
}

const deadFor = (pred: (d: DeadLetter) => boolean) => seen.dead.filter(pred);

beforeAll(async () => {
  pool = createPool(cfg.pg, log, 'hj212-gateway-int-test');
  admin = createKafka(cfg.kafka, log).admin();
  await admin.connect();
  topics = topicNames(`hj-${RUN}.`);
  await ensureTopics(admin, topics);
  await ensureAcls(admin, kafkaAcls(topics, `hj-${RUN}.`), cfg.kafka.principals);
  consumer = createKafka(cfg.kafka, log).consumer({ groupId: `hj-${RUN}`, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topics.readings, topics.deadletter], fromBeginning: true });
  await consumer.run({
    eachMessage: ({ topic, message }) => {
      const v: unknown = JSON.parse(String(message.value));
      if (topic === topics.readings) seen.readings.push(readingMessageSchema.parse(v));
      else seen.dead.push(deadLetterSchema.parse(v));
      return Promise.resolve();
    },
  });
});

afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await consumer?.disconnect();
  await admin?.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
  await admin?.disconnect();
  await pool?.end();
});

/** Strict outcome of each shared packet at the gateway (the codec's reasons: packages/hj212 packets.test.ts). */
const STRICT: Record<string, 'accept' | RejectReason> = {
  'xy-parser-0139': 'bad_datatime',
  'xy-parser-0136-pw000000': 'accept',
  'xy-readme-0136-stale-crc': 'crc_mismatch',
  'guocay-0317-air-gases': 'bad_crc_format',
  'guocay-0204-edited-datatime': 'crc_mismatch',
  'libem-0204-minute-pnum': 'accept',
  'guocay-0303-nonstandard-codes': 'accept',
  'alltobs-0435-water-flag8': 'bad_crc_format',
  'icecoffee-0285-hourly-2061': 'accept',
  'hj212interp-2011-sampletime': 'accept',
  'hj212interp-9011-qnrtn': 'accept',
  'flash520-0411-air-minute': 'bad_terminator',
  'scada-0121-dust-rtd': 'bad_terminator',
  'scada-0121-relay-bug-2051': 'length_mismatch',
  'rx-0234-st101': 'bad_terminator',
  'rx-0872-st31-2005codes': 'bad_terminator',
  'rx-1623-oversize-minute': 'oversize',
  'hcu-1012-modbus': 'crc_mismatch',
  'hcu-2051-query-modbus': 'crc_mismatch',
  'issue6-cooking-fume-st51': 'length_mismatch',
};
/** Per-device settings under which the notes say a lenient receiver accepts the packet. */
const LENIENT: Record<string, { tolerances: Tolerance[]; maxDataLength?: number }> = {
  'xy-parser-0139': { tolerances: ['datatime_ms'] },
  'guocay-0317-air-gases': { tolerances: ['lowercase_crc'] },
  'alltobs-0435-water-flag8': { tolerances: ['lowercase_crc'] },
  'flash520-0411-air-minute': { tolerances: ['missing_crlf'] },
  'scada-0121-dust-rtd': { tolerances: ['missing_crlf'] },
  'rx-0234-st101': { tolerances: ['missing_crlf'] },
  'rx-0872-st31-2005codes': { tolerances: ['missing_crlf'] },
  'rx-1623-oversize-minute': { tolerances: ['crc_modbus_swapped', 'missing_crlf'], maxDataLength: 2048 },
};

const kindOf = (st: string): DeviceKind => (st === '39' ? 'dust' : st === '51' ? 'fume' : 'fixed');

describe('HJ 212 gateway: every shared packet over real TCP', () => {
  const { packets } = loadPackets();

  it('gives each packet its documented outcome under strict and, where documented, lenient device settings', async () => {
    const byMn = new Map<string, string>();
    for (const p of packets) {
      if (byMn.has(p.expected.MN)) continue;
      const id = `hjp-${RUN}-${byMn.size}`;
      byMn.set(p.expected.MN, id);
      await register(id, kindOf(p.expected.ST), p.expected.MN, p.expected.PW);
    }
    for (const pass of ['strict', 'lenient'] as const) {
      const { port } = await startGateway();
      for (const p of packets) {
        const lenient = LENIENT[p.id];
        if (pass === 'lenient' && !lenient) continue;
        const deviceId = byMn.get(p.expected.MN)!;
        if (pass === 'lenient') await register(deviceId, kindOf(p.expected.ST), p.expected.MN, p.expected.PW, lenient);
        const readingsBefore = seen.readings.length;
        const deadBefore = seen.dead.length;
        const l = await TestLogger.connect(port);
        l.send(p.packet);
        const expected = pass === 'strict' ? STRICT[p.id]! : 'accept';
        const label = `${pass} ${p.id}`;
        if (expected !== 'accept') {
          l.socket.end(); // a frame shorter than its declared length is only delimited by the end of the stream
          await until(label, () => seen.dead.slice(deadBefore).some((d) => d.reason === 'hj212_rejected'));
          const d = seen.dead.slice(deadBefore).find((x) => x.reason === 'hj212_rejected')!;
          expect(d.detail.startsWith(`${expected}:`), `${label}: ${d.detail}`).toBe(true);
          expect(Buffer.from(d.payload, 'base64').toString('latin1'), `${label}: raw bytes`).toBe(p.packet);
          await new Promise((r) => setTimeout(r, 100));
          expect(l.replies, `${label}: no reply to a rejected frame`).toEqual([]);
        } else if (p.expected.CN === '9011') {
          await new Promise((r) => setTimeout(r, 300));
          expect(seen.readings.length - readingsBefore, label).toBe(0);
          expect(l.replies).toEqual([]);
        } else {
          // Data: readings or (unmapped codes, 2005-era water codes) an unknown_metric dead letter; the split part only after the timeout.
          await until(
            label,
            () => seen.readings.length > readingsBefore || seen.dead.slice(deadBefore).some((d) => d.deviceId === deviceId),
          );
          const mine = seen.readings.slice(readingsBefore).filter((r) => r.deviceId === deviceId);
          if (p.id === 'libem-0204-minute-pnum') expect(mine.flatMap((r) => r.values.map((v) => v.qa))).toEqual(['suspect']);
          if (p.id === 'scada-0121-dust-rtd')
            expect(mine[0]).toMatchObject({ kind: 'dust', values: [expect.objectContaining({ metric: 'tsp', value: 92 })] });
          if (p.expected.Flag !== undefined && (Number(p.expected.Flag) & 1) === 1) {
            await until(`${label} 9014`, () => l.repliesWith('9014').length === 1);
            expect(l.replies[0]).toMatchObject({ cn: '9014', qn: p.expected.QN, mn: p.expected.MN, st: '91' });
          } else {
            await new Promise((r) => setTimeout(r, 100));
            expect(l.repliesWith('9014'), label).toEqual([]);
          }
        }
        l.close();
      }
    }
  });
});

describe('HJ 212 gateway over real TCP', () => {
  const MN = `SIM${RUN}`.slice(0, 14).toUpperCase();
  const DEV = `hjt-${RUN}-fume`;
  const minute = (k: number, v = 0.5) =>
    buildMinuteData({ mn: MN, pw: '123456', dataTime: Math.floor(Date.now() / 60_000) * 60_000 - k * 60_000, values: { a34041: v } });
  let port: number;
  let gw: Hj212Gateway;

  beforeAll(async () => {
    await register(DEV, 'fume', MN, '123456');
    ({ gw, port } = await startGateway({ maxConnectionsPerAddress: 20, maxConnections: 40, idleTimeoutMs: 800, maxAuthFailures: 2 }));
  });

  const readingsOf = () => seen.readings.filter((r) => r.deviceId === DEV);

  it('reassembles frames split across reads and splits concatenated frames, answering each after Kafka', async () => {
    const before = readingsOf().length;
    const l = await TestLogger.connect(port);
    const a = minute(10);
    l.send(a.slice(0, 7));
    await new Promise((r) => setTimeout(r, 50));
    l.send(a.slice(7, 60));
    await new Promise((r) => setTimeout(r, 50));
    l.send(a.slice(60) + minute(11) + minute(12));
    await until('3 acks', () => l.repliesWith('9014').length === 3);
    await until('3 readings', () => readingsOf().length - before === 3);
    l.close();
  });

  it('resynchronises on ## after garbage without losing the next good frame', async () => {
    const deadBefore = seen.dead.length;
    const l = await TestLogger.connect(port);
    l.send(`\x01\x02MODBUS-GARBAGE#${minute(13)}`);
    await until('ack after garbage', () => l.repliesWith('9014').length === 1);
    expect(deadFor((d) => d.reason === 'hj212_rejected' && d.detail.startsWith('garbage:')).length).toBeGreaterThan(0);
    expect(seen.dead.length).toBeGreaterThan(deadBefore);
    l.close();
  });

  it('closes an idle client', async () => {
    const l = await TestLogger.connect(port);
    await until('idle close', () => l.closed, 5000);
  });

  it('refuses an oversized frame with its reason and keeps serving the connection', async () => {
    const l = await TestLogger.connect(port);
    l.send(`##9000${'x'.repeat(50)}`);
    l.send(`\r\n${minute(14)}`);
    await until('ack after oversize', () => l.repliesWith('9014').length === 1);
    expect(deadFor((d) => d.detail.startsWith('oversize:')).length).toBeGreaterThan(0);
    l.close();
  });

  it('rejects wrong PW and unknown MN, counts them, and closes after the configured number of failures', async () => {
    const l = await TestLogger.connect(port);
    l.send(buildMinuteData({ mn: MN, pw: 'wrong1', dataTime: Date.now() - 60_000, values: { a34041: 1 } }));
    l.send(buildMinuteData({ mn: 'NOSUCHMN000001', pw: '123456', dataTime: Date.now() - 60_000, values: { a34041: 1 } }));
    await until('closed after 2 failures', () => l.closed, 10_000);
    expect(l.replies).toEqual([]);
    const m = await gw.metrics.authFailures.get();
    expect(Object.fromEntries(m.values.map((v) => [v.labels.reason, v.value]))).toMatchObject({ wrong_pw: 1, unknown_mn: 1 });
    await until('auth dead letters', () => deadFor((d) => d.reason === 'hj212_auth_failed').length >= 2);
  });

  it('caps connections per address and answers the ones it keeps', async () => {
    const clients = await Promise.all(Array.from({ length: 30 }, () => TestLogger.connect(port)));
    await until('refusals', () => clients.filter((c) => c.closed).length >= 10);
    const kept = clients.filter((c) => !c.closed);
    expect(kept.length).toBeLessThanOrEqual(20);
    kept[0]!.send(minute(15));
    await until('ack on a kept connection', () => kept[0]!.repliesWith('9014').length === 1);
    const refused = await gw.metrics.connectionsRefused.get();
    expect(refused.values.reduce((a, v) => a + v.value, 0)).toBeGreaterThanOrEqual(10);
    for (const c of clients) c.close();
    await until('connections closed', () => gw.connections() === 0);
  });

  it('sends a time calibration (CN=1012) to a logger whose clock is off', async () => {
    const l = await TestLogger.connect(port);
    const skewed = Date.now() - 10 * 60_000;
    l.send(
      buildFrame({
        qn: '20260101000000000',
        st: '51',
        cn: '2011',
        pw: '123456',
        mn: MN,
        flag: flagValue({ ackRequested: true }),
        fields: { DataTime: formatHj212Time(skewed) },
        factors: { a34041: { Rtd: '0.4', Flag: 'N' } },
      }),
    );
    await until('9014 then 1012', () => l.repliesWith('1012').length === 1 && l.repliesWith('9014').length === 1);
    expect(l.replies.map((r) => r.cn)).toEqual(['9014', '1012']);
    l.close();
  });
});

describe('HJ 212 gateway protecting itself', () => {
  it('disconnects a logger that never reads its acknowledgements', async () => {
    const MN = `NR${RUN}`.slice(0, 14).toUpperCase();
    await register(`hjn-${RUN}`, 'fume', MN, '123456');
    const { gw, port } = await startGateway({ maxWriteBufferBytes: 4096, maxInflightPerConnection: 2000, authCacheTtlMs: 60_000 });
    const l = await TestLogger.connect(port, { read: false });
    // Restart notifications (CN=2081, A bit set) are answered at once (nothing to store), so the
    // replies outgrow the kernel's socket buffers (several MB on loopback) without loading Kafka.
    const frame = buildFrame({
      qn: '20260101000000000',
      st: '51',
      cn: '2081',
      pw: '123456',
      mn: MN,
      flag: 5,
      fields: { RestartTime: '20260101000000' },
    });
    const chunk = Buffer.from(frame.repeat(1000), 'latin1');
    const closedFor = async (reason: string) =>
      (await gw.metrics.connectionsClosed.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;
    let sent = 0;
    while (sent < 200 && (await closedFor('not_reading_replies')) === 0) {
      l.send(chunk);
      sent++;
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await closedFor('not_reading_replies')).toBe(1);
    expect(gw.connections()).toBe(0);
  });
});

describe('HJ 212 gateway back-pressure', () => {
  it('stops reading while Kafka is slow, answers nothing before Kafka acknowledged, and resumes', async () => {
    const MN = `BP${RUN}`.slice(0, 14).toUpperCase();
    const DEV = `hjb-${RUN}`;
    await register(DEV, 'fume', MN, '123456');
    const real = createKafka(gwCfg.kafka, log).producer({ allowAutoTopicCreation: false });
    await real.connect();
    cleanups.push(() => real.disconnect());
    // The real broker behind a gate: Kafka "slow" until the gate opens.
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const slow = { sendBatch: async (b: Parameters<Producer['sendBatch']>[0]) => (await gate, real.sendBatch(b)) } as unknown as Producer;
    const { gw, port } = await startGateway({ maxInflightPerConnection: 5, maxInflight: 8, authCacheTtlMs: 60_000 }, slow);
    const l = await TestLogger.connect(port);
    const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 3 * 3_600_000;
    for (let i = 0; i < 40; i++) l.send(buildMinuteData({ mn: MN, pw: '123456', dataTime: t0 + i * 60_000, values: { a34041: 0.2 } }));
    await new Promise((r) => setTimeout(r, 500));
    expect((await gw.metrics.pausedSockets.get()).values[0]!.value).toBe(1);
    expect((await gw.metrics.inflight.get()).values[0]!.value).toBeLessThanOrEqual(40);
    expect(l.replies).toEqual([]);
    open();
    await until('all 40 answered', () => l.repliesWith('9014').length === 40);
    await until('all 40 stored on the topic', () => seen.readings.filter((r) => r.deviceId === DEV).length === 40);
    expect((await gw.metrics.pausedSockets.get()).values[0]!.value).toBe(0);
    l.close();
  });
});
