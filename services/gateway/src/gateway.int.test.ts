import { randomUUID } from 'node:crypto';
import { latLngToCell } from 'h3-js';
import type { Admin, Producer } from 'kafkajs';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, loadConfig } from '@voc/config';
import { hashPassword, needsRehash, verifyPassword } from '@voc/core';
import { createPool, DeviceRepository, type Pool } from '@voc/db';
import {
  REJECT_REASONS,
  SCHEMA_IDS,
  STORED_H3_RESOLUTION,
  VM_REFERENCE,
  deviceUpTopic,
  type DeviceKind,
  type RejectReason,
} from '@voc/domain';
import { createKafka, type TopicNames } from '@voc/messaging';
import { buildGateway, type Gateway } from './app.js';
import { createDeviceDirectory } from './directory.js';
import { collect, connectDevice, createTestTopics, until, type Seen } from './gateway.test-support.js';

// The gateway in process, as the devices' MQTT endpoint, against the real Kafka and PostgreSQL
// (VOC_TEST_PGDATABASE). Every name (devices, topics, consumer groups) is unique to the run.

const RUN = randomUUID().slice(0, 8);
const cfg = loadConfig();
const log = createLogger('gateway-int-test', 'silent');
const ID = (s: string) => `gwt-${RUN}-${s}`;
const password = (id: string) => `pw-${RUN}-${id}`;

const LAT = 39.9139; // Xicheng district, WGS-84
const LON = 116.3668;
const DEV = { fixed: ID('fixed'), van: ID('van'), fume: ID('fume'), kind: ID('kind') } as const;

let pool: Pool;
let repo: DeviceRepository;
let admin: Admin;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  pool = createPool(cfg.pg, log, 'gateway-int-test');
  repo = new DeviceRepository(pool);
  admin = createKafka(cfg.kafka, log).admin();
  await admin.connect();
  await repo.upsert([
    { id: DEV.fixed, kind: 'fixed', lat: LAT, lon: LON, sensor: 'pid' },
    { id: DEV.van, kind: 'van', sensor: 'tof_ms' },
    { id: DEV.fume, kind: 'fume', lat: 39.93, lon: 116.35 },
    { id: DEV.kind, kind: 'fixed', lat: LAT, lon: LON },
  ]);
  for (const id of Object.values(DEV)) await repo.setCredentialHash(id, await hashPassword(password(id)));
});

afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await pool.query(`delete from devices where id like $1`, [`gwt-${RUN}-%`]);
  await admin.disconnect();
  await pool.end();
});

// ---------------------------------------------------------------- in-process gateway

describe('ingest gateway as the MQTT endpoint, against Kafka and PostgreSQL', () => {
  let topics: TopicNames;
  let seen: Seen;
  let gateway: Gateway;
  let producer: Producer;
  let port = 0;
  const publishers = new Map<string, MqttClient>();

  const pub = async (
    device: string,
    payload: string | Buffer | object,
    kind: DeviceKind = 'fixed',
    topic = deviceUpTopic(kind, device),
  ) => {
    let c = publishers.get(device);
    if (!c) {
      c = await connectDevice(port, device, password(device));
      publishers.set(device, c);
      cleanups.push(() => c!.endAsync(true));
    }
    const body = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload);
    await c.publishAsync(topic, body, { qos: 1 });
    return { topic, body: Buffer.from(body) };
  };

  beforeAll(async () => {
    const t = await createTestTopics(admin, cfg, `t-${RUN}.`);
    topics = t.topics;
    cleanups.push(() => t.drop());
    const c = await collect(cfg, log, topics, `gwt-${RUN}-collect`);
    seen = c.seen;
    cleanups.push(async () => {
      await c.consumer.disconnect();
      await admin.deleteGroups([`gwt-${RUN}-collect`]).catch(() => undefined);
    });
    producer = createKafka(cfg.kafka, log).producer({ allowAutoTopicCreation: false });
    await producer.connect();
    gateway = buildGateway({
      directory: createDeviceDirectory(repo, { refreshMs: 500, fullRefreshMs: 60_000, log }),
      hasher: { hash: hashPassword, verify: verifyPassword, needsRehash },
      upgrader: repo,
      sink: producer,
      topics,
      settings: cfg.ingest,
      endpoint: { tcp: { host: '127.0.0.1', port: 0 }, maxPacketBytes: cfg.ingest.maxPayloadBytes + 1024 },
      log,
    });
    port = (await gateway.start()).tcp!.port;
  });

  afterAll(async () => {
    for (const c of publishers.values()) await c.endAsync(true).catch(() => undefined);
    await gateway?.stop();
    await producer?.disconnect();
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
    const expected: { reason: RejectReason; device: string; topic: string; body: Buffer; path?: string; bytes?: number }[] = [];
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
    // A topic other than the device's own (here: its id under another kind) is refused with PUBACK 0x87 and dead-lettered.
    const wrongTopic = deviceUpTopic('van', DEV.kind);
    const wrongBody = JSON.stringify({ ...one('tvoc', 1, 'ppb'), gps: { lat: LAT, lon: LON, fix: '3d' } });
    await expect(pub(DEV.kind, wrongBody, 'van', wrongTopic)).rejects.toMatchObject({ code: 0x87 });
    expected.push({ reason: 'topic_not_authorized', device: DEV.kind, topic: wrongTopic, body: Buffer.from(wrongBody) });
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
        payloadBytes: e.bytes ?? e.body.length,
      });
      expect(d.path).toBe(e.path);
      expect(d.detail.length).toBeGreaterThan(10);
    }
    const stats = gateway.stats();
    expect(stats.rejected.non_finite_value).toBeGreaterThanOrEqual(3);
    expect(stats.pending).toBe(0);
  });

  it('refuses a packet above the maximum with 0x95 and dead-letters its head and declared size', async () => {
    const c = await connectDevice(port, DEV.fume, password(DEV.fume));
    const closed = new Promise<number | undefined>((r) => c.once('disconnect', (p) => r(p.reasonCode)));
    const big = Buffer.alloc(cfg.ingest.maxPayloadBytes + 4096, 'x');
    c.publish(deviceUpTopic('fume', DEV.fume), big, { qos: 1 });
    expect(await closed).toBe(0x95);
    await c.endAsync(true);
    const d = await (async () => {
      await until('the oversize dead letter', () => seen.dead.some((x) => x.deviceId === DEV.fume && x.reason === 'payload_too_large'));
      return seen.dead.find((x) => x.deviceId === DEV.fume && x.reason === 'payload_too_large')!;
    })();
    expect(d.payloadBytes).toBeGreaterThan(big.length);
    expect(Buffer.from(d.payload, 'base64').length).toBeLessThanOrEqual(1024);
    expect(d.detail).toMatch(/declares \d+ bytes, above the endpoint's maximum packet size/);
  });

  it('takes QoS 0 publishes best effort, without acknowledgement', async () => {
    const c = await connectDevice(port, DEV.fume, password(DEV.fume), { clientId: `${DEV.fume}-q0` });
    const ts = new Date().toISOString();
    await c.publishAsync(
      deviceUpTopic('fume', DEV.fume),
      JSON.stringify({ ts, seq: 7000, values: [{ metric: 'oil_fume', value: 1, unit: 'mg/m3' }] }),
      {
        qos: 0,
      },
    );
    await until('the QoS 0 reading', () => seen.readings.some((r) => r.msg.deviceId === DEV.fume && r.msg.seq === 7000));
    await c.endAsync();
  });
});
