import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { latLngToCell } from 'h3-js';
import type { Admin, Consumer, Producer } from 'kafkajs';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, loadConfig } from '@voc/config';
import { createPool, DeviceRepository, type Pool } from '@voc/db';
import {
  KAFKA_HEADERS,
  REJECT_REASONS,
  SCHEMA_IDS,
  STORED_H3_RESOLUTION,
  VM_REFERENCE,
  deadLetterSchema,
  deviceUpTopic,
  gatewaySharedFilter,
  readingMessageSchema,
  type DeviceKind,
  type DeadLetter,
  type ReadingMessage,
  type RejectReason,
} from '@voc/domain';
import {
  createKafka,
  ensureAcls,
  ensureTopics,
  kafkaAcls,
  hashMqttPassword,
  headerString,
  topicNames,
  writeBrokerAuth,
  readBrokerAuth,
  type BrokerAccount,
  type TopicNames,
} from '@voc/messaging';
import { createDeviceDirectory } from './devices.js';
import { buildGateway, type Gateway } from './app.js';
import { createMqttIntake } from './mqtt.js';

// Against the real stack: the tests' authenticated Mosquitto (1885, VOC_MQTT_URL), Kafka (9092) and PostgreSQL
// (voc_test). Every name (devices, topics, share groups, client ids, consumer groups) is unique to the run.

const RUN = randomUUID().slice(0, 8);
const cfg = loadConfig();
const log = createLogger('gateway-int-test', 'silent');
const ID = (s: string) => `gwt-${RUN}-${s}`;
const password = (id: string) => `pw-${RUN}-${id}`;

const LAT = 39.9139; // Xicheng district, WGS-84
const LON = 116.3668;
const DEV = {
  fixed: ID('fixed'),
  van: ID('van'),
  fume: ID('fume'),
  off: ID('off'),
  kind: ID('kind'),
  ghost: ID('ghost'),
  load: ID('load'),
} as const;

let pool: Pool;
let repo: DeviceRepository;
let admin: Admin;
const cleanups: (() => Promise<unknown>)[] = [];

// ---------------------------------------------------------------- broker accounts

/**
 * Rewrites the broker's password file and ACL: the gateway account, every active device of the
 * database with a credential, accounts of the current files that the database does not know, and
 * `extra` (which wins). Disabled devices are left out unless listed in `extra`.
 */
async function syncBroker(extra: BrokerAccount[] = []): Promise<void> {
  const byUser = new Map<string, BrokerAccount>();
  for (const a of await readBrokerAuth(cfg.mqtt.brokerDir)) byUser.set(a.username, a);
  for (const c of await repo.credentials()) {
    byUser.delete(c.id);
    if (c.credentialHash && c.status === 'active')
      byUser.set(c.id, { username: c.id, passwordHash: c.credentialHash, role: { type: 'device', kind: c.kind } });
  }
  byUser.set(cfg.mqtt.gatewayUsername, {
    username: cfg.mqtt.gatewayUsername,
    passwordHash: hashMqttPassword(cfg.mqtt.gatewayPassword),
    role: { type: 'gateway' },
  });
  for (const a of extra) byUser.set(a.username, a);
  await writeBrokerAuth(cfg.mqtt.brokerDir, [...byUser.values()]);
}

/** Connects a device (MQTT 5, clean start), retrying while the broker reloads its password file. */
async function connectDevice(id: string): Promise<MqttClient> {
  let lastErr: unknown;
  for (let i = 0; i < 50; i++) {
    const c = mqtt.connect(cfg.mqtt.url, {
      protocolVersion: 5,
      clientId: id,
      username: id,
      password: password(id),
      reconnectPeriod: 0,
      connectTimeout: 5000,
    });
    try {
      await new Promise<void>((resolve, reject) => {
        c.once('connect', () => resolve());
        c.once('error', reject);
      });
      c.on('error', () => undefined);
      cleanups.push(() => c.endAsync());
      return c;
    } catch (err) {
      lastErr = err;
      c.end(true);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw lastErr;
}

/** Removes a persistent session left on the broker by a gateway client id (clean start, expiry 0). */
async function dropSession(clientId: string): Promise<void> {
  const c = mqtt.connect(cfg.mqtt.url, {
    protocolVersion: 5,
    clientId,
    clean: true,
    username: cfg.mqtt.gatewayUsername,
    password: cfg.mqtt.gatewayPassword,
    reconnectPeriod: 0,
    properties: { sessionExpiryInterval: 0 },
  });
  await new Promise<void>((resolve) => {
    c.once('connect', () => resolve());
    c.once('error', () => resolve());
  });
  await c.endAsync();
}

// ---------------------------------------------------------------- Kafka

interface Seen {
  readings: { key: string | undefined; msg: ReadingMessage; schema: string | undefined; mqttTopic: string | undefined }[];
  dead: DeadLetter[];
}

/** Reads both topics from the beginning into memory. */
async function collect(topics: TopicNames): Promise<{ seen: Seen; consumer: Consumer }> {
  const seen: Seen = { readings: [], dead: [] };
  const groupId = `gwt-${RUN}-${topics.readings}`;
  const consumer = createKafka(cfg.kafka, log).consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topics.readings, topics.deadletter], fromBeginning: true });
  await consumer.run({
    eachMessage: ({ topic, message }) => {
      const value: unknown = JSON.parse(String(message.value));
      if (topic === topics.readings) {
        seen.readings.push({
          key: message.key?.toString(),
          msg: readingMessageSchema.parse(value),
          schema: headerString(message.headers, KAFKA_HEADERS.schema),
          mqttTopic: headerString(message.headers, KAFKA_HEADERS.mqttTopic),
        });
      } else seen.dead.push(deadLetterSchema.parse(value));
      return Promise.resolve();
    },
  });
  cleanups.push(async () => {
    await consumer.disconnect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
  });
  return { seen, consumer };
}

async function until(what: string, cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function createTopics(prefix: string): Promise<TopicNames> {
  const names = topicNames(prefix);
  await ensureTopics(admin, names);
  await ensureAcls(admin, kafkaAcls(names, prefix), cfg.kafka.principals);
  cleanups.push(() => admin.deleteTopics({ topics: Object.values(names) }).catch(() => undefined));
  return names;
}

// ---------------------------------------------------------------- setup

beforeAll(async () => {
  pool = createPool(cfg.pg, log, 'gateway-int-test');
  repo = new DeviceRepository(pool);
  admin = createKafka(cfg.kafka, log).admin();
  await admin.connect();

  await repo.upsert([
    { id: DEV.fixed, kind: 'fixed', lat: LAT, lon: LON, sensor: 'pid' },
    { id: DEV.van, kind: 'van', sensor: 'tof_ms' },
    { id: DEV.fume, kind: 'fume', lat: 39.93, lon: 116.35 },
    { id: DEV.off, kind: 'fixed', lat: LAT, lon: LON },
    { id: DEV.kind, kind: 'fixed', lat: LAT, lon: LON },
    { id: DEV.load, kind: 'fixed', lat: LAT, lon: LON },
  ]);
  for (const id of [DEV.fixed, DEV.van, DEV.fume, DEV.off, DEV.kind, DEV.load])
    await repo.setCredentialHash(id, hashMqttPassword(password(id)));
  await repo.setStatus(DEV.off, 'disabled');
  // Accounts the registry alone would not produce: a device the registry does not know, a disabled
  // device the broker still lets in, and a device whose broker ACL claims another kind.
  await syncBroker([
    { username: DEV.ghost, passwordHash: hashMqttPassword(password(DEV.ghost)), role: { type: 'device', kind: 'fixed' } },
    { username: DEV.off, passwordHash: hashMqttPassword(password(DEV.off)), role: { type: 'device', kind: 'fixed' } },
    { username: DEV.kind, passwordHash: hashMqttPassword(password(DEV.kind)), role: { type: 'device', kind: 'van' } },
  ]);
});

afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await pool.query(`delete from devices where id like $1`, [`gwt-${RUN}-%`]);
  const others = (await readBrokerAuth(cfg.mqtt.brokerDir)).filter((a) => !a.username.startsWith(`gwt-${RUN}-`));
  await writeBrokerAuth(cfg.mqtt.brokerDir, others);
  await admin.disconnect();
  await pool.end();
});

// ---------------------------------------------------------------- in-process gateway

describe('ingest gateway against Mosquitto, Kafka and PostgreSQL', () => {
  let topics: TopicNames;
  let seen: Seen;
  let gateway: Gateway;
  let producer: Producer;
  const clientId = ID('gw-a');
  const publishers = new Map<string, MqttClient>();

  const pub = async (
    device: string,
    payload: string | Buffer | object,
    kind: DeviceKind = 'fixed',
    topic = deviceUpTopic(kind, device),
  ) => {
    let c = publishers.get(device);
    if (!c) {
      c = await connectDevice(device);
      publishers.set(device, c);
    }
    const body = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload);
    await c.publishAsync(topic, body, { qos: 1 });
    return { topic, body: Buffer.from(body) };
  };

  beforeAll(async () => {
    topics = await createTopics(`t-${RUN}.`);
    ({ seen } = await collect(topics));
    producer = createKafka(cfg.kafka, log).producer({ allowAutoTopicCreation: false });
    await producer.connect();
    gateway = buildGateway({
      intake: createMqttIntake({
        url: cfg.mqtt.url,
        username: cfg.mqtt.gatewayUsername,
        password: cfg.mqtt.gatewayPassword,
        clientId,
        filter: gatewaySharedFilter(ID('share')),
        receiveMaximum: 500,
        sessionExpirySeconds: 300,
        log,
      }),
      devices: createDeviceDirectory(repo, { ttlMs: cfg.ingest.deviceCacheTtlMs }),
      sink: producer,
      topics,
      settings: cfg.ingest,
      log,
    });
    await gateway.start();
  });

  afterAll(async () => {
    await gateway?.stop();
    await producer?.disconnect();
    await dropSession(clientId);
  });

  it('delivers good readings to the readings topic exactly as normalised', async () => {
    const before = new Date();
    const ts = new Date(Date.now() - 10_000);
    const local = new Date(ts.getTime() + 8 * 3600_000).toISOString().replace('Z', '+08:00');
    await pub(DEV.fixed, {
      ts: local,
      seq: 1,
      values: [
        { metric: 'benzene', value: 2, unit: 'ppb' },
        { metric: 'co', value: 450, unit: 'ug/m3' },
        { metric: 'voc_index', value: 212, unit: '' },
        { metric: 'tvoc', value: -3, unit: 'µg/m³' },
      ],
    });
    await pub(
      DEV.van,
      {
        ts: ts.getTime(),
        seq: 2,
        gps: { lat: 39.92, lon: 116.38, fix: '3d', speedKmh: 14.5, headingDeg: 182, hdop: 1.1 },
        values: [{ metric: 'toluene', value: 40, unit: 'µg/m³' }],
      },
      'van',
    );
    await pub(
      DEV.fume,
      {
        ts: ts.toISOString(),
        seq: 3,
        values: [
          { metric: 'oil_fume', value: 1.4, unit: 'mg/m3' },
          { metric: 'fan_state', value: 1, unit: 'state' },
        ],
      },
      'fume',
    );

    const ours = () =>
      seen.readings.filter((r) => [DEV.fixed, DEV.van, DEV.fume].includes(r.msg.deviceId) && [1, 2, 3].includes(r.msg.seq ?? -1));
    await until('three readings', () => ours().length >= 3);
    const after = new Date();
    const by = (id: string) => ours().find((r) => r.msg.deviceId === id)!;
    for (const r of ours()) {
      expect(r.key).toBe(r.msg.deviceId);
      expect(r.schema).toBe(SCHEMA_IDS.reading);
      expect(new Date(r.msg.receivedAt).getTime()).toBeGreaterThanOrEqual(before.getTime());
      expect(new Date(r.msg.receivedAt).getTime()).toBeLessThanOrEqual(after.getTime());
      expect(r.msg.receivedAt).toMatch(/Z$/);
    }
    const fixed = by(DEV.fixed);
    expect(fixed.mqttTopic).toBe(deviceUpTopic('fixed', DEV.fixed));
    expect({ ...fixed.msg, receivedAt: 'x' }).toEqual({
      deviceId: DEV.fixed,
      kind: 'fixed',
      time: ts.toISOString(),
      receivedAt: 'x',
      seq: 1,
      lat: LAT,
      lon: LON,
      h3: latLngToCell(LAT, LON, STORED_H3_RESOLUTION),
      values: [
        {
          metric: 'benzene',
          value: (2 * 78.112) / VM_REFERENCE,
          unit: 'µg/m³',
          rawValue: 2,
          rawUnit: 'ppb',
          refState: 'reference',
          qa: 'valid',
        },
        { metric: 'co', value: 0.45, unit: 'mg/m³', rawValue: 450, rawUnit: 'ug/m3', refState: 'reference', qa: 'valid' },
        { metric: 'voc_index', value: 212, unit: 'index', rawValue: 212, rawUnit: '', refState: 'none', qa: 'valid' },
        { metric: 'tvoc', value: -3, unit: 'µg/m³', rawValue: -3, rawUnit: 'µg/m³', refState: 'reference', qa: 'suspect' },
      ],
    });
    expect({ ...by(DEV.van).msg, receivedAt: 'x' }).toEqual({
      deviceId: DEV.van,
      kind: 'van',
      time: ts.toISOString(),
      receivedAt: 'x',
      seq: 2,
      lat: 39.92,
      lon: 116.38,
      h3: latLngToCell(39.92, 116.38, STORED_H3_RESOLUTION),
      gps: { fix: '3d', speedKmh: 14.5, headingDeg: 182, hdop: 1.1 },
      values: [{ metric: 'toluene', value: 40, unit: 'µg/m³', rawValue: 40, rawUnit: 'µg/m³', refState: 'reference', qa: 'valid' }],
    });
    expect(by(DEV.fume).msg).toMatchObject({
      kind: 'fume',
      lat: 39.93,
      lon: 116.35,
      values: [
        { metric: 'oil_fume', value: 1.4, unit: 'mg/m³', refState: 'standard', qa: 'valid' },
        { metric: 'fan_state', value: 1, unit: 'state', refState: 'none', qa: 'valid' },
      ],
    });
  });

  it('sends each kind of bad input to the dead-letter topic with its reason while good readings keep flowing', async () => {
    const now = () => new Date().toISOString();
    let seq = 100;
    const good = () => pub(DEV.fixed, { ts: now(), seq: seq++, values: [{ metric: 'tvoc', value: 50 + seq, unit: 'ug/m3' }] });
    const one = (metric: string, value: number | string, unit: string, ts = now()) => ({ ts, values: [{ metric, value, unit }] });
    const expected: { reason: RejectReason; device: string; topic: string; body: Buffer; path?: string }[] = [];
    const bad = async (
      reason: RejectReason,
      device: string,
      payload: string | Buffer | object,
      kind: DeviceKind = 'fixed',
      path?: string,
    ) => {
      const { topic, body } = await pub(device, payload, kind);
      expected.push({ reason, device, topic, body, ...(path ? { path } : {}) });
      await good();
    };

    await good();
    await bad('malformed_json', DEV.fixed, '{"ts": "2026-01-01T00:00:00Z", values: [}');
    await bad('schema_violation', DEV.fixed, { ts: now(), values: [{ metric: 'tvoc', value: 1 }] });
    await bad('device_id_mismatch', DEV.fixed, { deviceId: DEV.van, ...one('tvoc', 1, 'ppb') });
    await bad('unknown_device', DEV.ghost, one('tvoc', 1, 'ppb'));
    await bad('device_disabled', DEV.off, one('tvoc', 1, 'ppb'));
    await bad('kind_mismatch', DEV.kind, { ...one('tvoc', 1, 'ppb'), gps: { lat: LAT, lon: LON, fix: '3d' } }, 'van');
    await bad('unit_not_convertible', DEV.fixed, one('nmhc', 12, 'ppb'), 'fixed', 'values[0]');
    await bad('timestamp_in_future', DEV.fixed, one('tvoc', 1, 'ppb', new Date(Date.now() + 3600_000).toISOString()));
    await bad('timestamp_too_old', DEV.fixed, one('tvoc', 1, 'ppb', new Date(Date.now() - 8 * 86400_000).toISOString()));
    await bad(
      'non_finite_value',
      DEV.fixed,
      `{"ts":"${now()}","values":[{"metric":"tvoc","value":NaN,"unit":"ppb"}]}`,
      'fixed',
      'values[0]',
    );
    await bad('non_finite_value', DEV.fixed, one('tvoc', 'Infinity', 'ppb'), 'fixed', 'values[0]');
    await bad('value_out_of_range', DEV.fixed, one('rh', 130, '%'), 'fixed', 'values[0]');
    await bad('missing_position', DEV.van, one('tvoc', 1, 'ppb'), 'van');
    await bad(
      'payload_too_large',
      DEV.fixed,
      Buffer.from(JSON.stringify({ ...one('tvoc', 1, 'ppb'), pad: 'x'.repeat(cfg.ingest.maxPayloadBytes) })),
    );
    // a batch whose second value is bad keeps its first value
    const mixed = await pub(DEV.fixed, {
      ts: now(),
      seq: 999,
      values: [
        { metric: 'tvoc', value: 7, unit: 'ug/m3' },
        { metric: 'xylene', value: 'NaN', unit: 'ppb' },
      ],
    });
    expected.push({ reason: 'non_finite_value', device: DEV.fixed, topic: mixed.topic, body: mixed.body, path: 'values[1]' });

    const goodSeqs = Array.from({ length: seq - 100 }, (_, i) => 100 + i);
    const fixedSeqs = () => seen.readings.filter((r) => r.msg.deviceId === DEV.fixed).map((r) => r.msg.seq ?? -1);
    const ourDead = () => seen.dead.filter((d) => d.deviceId?.startsWith(`gwt-${RUN}-`));
    await until(
      'good readings and dead letters',
      () => goodSeqs.every((s) => fixedSeqs().includes(s)) && fixedSeqs().includes(999) && ourDead().length >= expected.length,
    );

    // good readings arrive once each, in publish order (one device: one Kafka partition)
    const got = fixedSeqs().filter((s) => s >= 100);
    expect(got).toEqual([...goodSeqs, 999]);
    expect(seen.readings.find((r) => r.msg.seq === 999)?.msg.values.map((v) => v.metric)).toEqual(['tvoc']);

    // dead letters are keyed by device id, so they spread over partitions: match them as a set
    const dead = [...ourDead()];
    expect(dead).toHaveLength(expected.length);
    for (const e of expected) {
      const i = dead.findIndex((d) => d.reason === e.reason && d.mqttTopic === e.topic && Buffer.from(d.payload, 'base64').equals(e.body));
      expect(i, `dead letter ${e.reason} from ${e.device}`).toBeGreaterThanOrEqual(0);
      const d = dead.splice(i, 1)[0]!;
      expect(d).toMatchObject({
        stage: 'gateway',
        code: REJECT_REASONS[e.reason],
        deviceId: e.device,
        payloadEncoding: 'base64',
        payloadBytes: e.body.length,
      });
      expect(d.path).toBe(e.path);
      expect(d.detail.length).toBeGreaterThan(10);
    }
    const stats = gateway.stats();
    expect(stats.rejected.non_finite_value).toBeGreaterThanOrEqual(3);
    expect(stats.pending).toBe(0);
  });
});

// ---------------------------------------------------------------- crash

const MAIN = 'services/gateway/dist/main.js';

describe('gateway process killed under load', () => {
  let topics: TopicNames;
  let seen: Seen;
  const clientId = ID('gw-proc');
  const children: ChildProcess[] = [];

  /** Starts `node services/gateway/dist/main.js`; resolves once it logged "gateway ready". */
  function startGateway(): Promise<ChildProcess> {
    const child = spawn(process.execPath, [MAIN], {
      env: {
        ...process.env,
        LOG_LEVEL: 'info',
        VOC_KAFKA_TOPIC_PREFIX: `t-${RUN}-k.`,
        VOC_MQTT_SHARE_GROUP: ID('share-k'),
        VOC_MQTT_CLIENT_ID: clientId,
        VOC_MQTT_RECEIVE_MAXIMUM: '500',
        VOC_MQTT_SESSION_EXPIRY_SECONDS: '300',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    return new Promise((resolve, reject) => {
      const lines = createInterface({ input: child.stdout });
      lines.on('line', (l) => {
        if (l.includes('"gateway ready"')) resolve(child);
      });
      child.once('exit', (code) => reject(new Error(`gateway exited with ${code} before it was ready: ${stderr}`)));
    });
  }

  beforeAll(async () => {
    expect(existsSync(MAIN), `${MAIN} is missing: build with \`npx tsc -b\` first`).toBe(true);
    topics = await createTopics(`t-${RUN}-k.`);
    ({ seen } = await collect(topics));
  });

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await dropSession(clientId);
  });

  it('loses no reading when SIGKILLed mid-stream and restarted with the same client id', async () => {
    const N = 4000;
    let child = await startGateway();
    const device = await connectDevice(DEV.load);
    const publishing = (async () => {
      for (let i = 0; i < N; i += 100) {
        const ts = new Date().toISOString();
        await Promise.all(
          Array.from({ length: Math.min(100, N - i) }, (_, j) =>
            device.publishAsync(
              deviceUpTopic('fixed', DEV.load),
              JSON.stringify({
                ts,
                seq: i + j,
                values: [
                  { metric: 'tvoc', value: i + j, unit: 'ug/m3' },
                  { metric: 'temp', value: 20, unit: '°C' },
                ],
              }),
              { qos: 1 },
            ),
          ),
        );
      }
    })();
    const count = () => seen.readings.length;
    await until('the first readings under load', () => count() >= 500);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const atKill = count();
    child = await startGateway();
    await publishing;

    const seqs = () => new Set(seen.readings.filter((r) => r.msg.deviceId === DEV.load).map((r) => r.msg.seq));
    await until(`all ${N} readings`, () => seqs().size >= N, 30_000).catch(() => undefined);
    const missing = Array.from({ length: N }, (_, i) => i).filter((i) => !seqs().has(i));
    expect(missing).toEqual([]);
    expect(atKill).toBeLessThan(N); // the kill happened mid-stream
    expect(seen.dead).toEqual([]);

    // graceful stop: drains and exits 0
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(code).toBe(0);
  });
});
