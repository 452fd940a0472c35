import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, loadConfig } from '@voc/config';
import { createProvisioning, hashMosquittoPassword, hashPassword } from '@voc/core';
import { createPool, DeviceRepository, type Pool } from '@voc/db';
import { deviceUpTopic } from '@voc/domain';
import { createKafka } from '@voc/messaging';
import {
  collect,
  connackCode,
  connectDevice,
  createTestTopics,
  makeTestPki,
  startGatewayProcess,
  until,
  type GatewayProcess,
  type Seen,
  type TestPki,
} from './gateway.test-support.js';

// The built gateway process (its own PostgreSQL role and Kafka principal) as the devices' endpoint:
// CONNECT decisions and their reason codes, TLS with a CA made at test time, Debian's mosquitto
// clients, `voc devices disable` closing a live connection, legacy hash upgrade, password rotation,
// and a database outage. Device ids, topics and groups are unique to the run.

const RUN = randomUUID().slice(0, 8);
const cfg = loadConfig();
const log = createLogger('endpoint-int-test', 'silent');
const ID = (s: string) => `ept-${RUN}-${s}`;
const PW = (id: string) => `pw-${RUN}-${id}-0123456789`;
const DEV = { a: ID('a'), off: ID('off'), legacy: ID('legacy'), rot: ID('rot'), live: ID('live') } as const;

let pool: Pool;
let repo: DeviceRepository;
let gw: GatewayProcess;
let pki: TestPki;
let seen: Seen;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  pool = createPool(cfg.pg, log, 'endpoint-int-test');
  repo = new DeviceRepository(pool);
  const admin = createKafka(cfg.kafka, log).admin();
  await admin.connect();
  const prefix = `ept-${RUN}.`;
  const t = await createTestTopics(admin, cfg, prefix);
  const c = await collect(cfg, log, t.topics, `ept-${RUN}-collect`);
  seen = c.seen;
  cleanups.push(async () => {
    await c.consumer.disconnect();
    await t.drop();
    await admin.disconnect();
  });
  await repo.upsert(Object.values(DEV).map((id) => ({ id, kind: 'fixed' as const, lat: 39.91, lon: 116.37 })));
  for (const id of [DEV.a, DEV.off, DEV.rot, DEV.live]) await repo.setCredentialHash(id, await hashPassword(PW(id)));
  await repo.setCredentialHash(DEV.legacy, await hashMosquittoPassword(PW(DEV.legacy)));
  await repo.setStatus(DEV.off, 'disabled');
  pki = makeTestPki();
  gw = await startGatewayProcess({
    VOC_KAFKA_TOPIC_PREFIX: prefix,
    VOC_MQTT_PORT: '0',
    VOC_MQTT_TLS_PORT: '0',
    VOC_MQTT_TLS_CERT_FILE: pki.certFile,
    VOC_MQTT_TLS_KEY_FILE: pki.keyFile,
    VOC_DEVICE_REFRESH_MS: '500',
  });
});

afterAll(async () => {
  await gw?.stop();
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  pki?.remove();
  await pool.query(`delete from devices where id like $1`, [`ept-${RUN}-%`]);
  await pool.end();
});

describe('device endpoint: CONNECT', () => {
  it.each([4, 5] as const)('answers MQTT %s CONNECTs with the reason of each refusal', async (v) => {
    const codes = v === 5 ? { ok: 0, bad: 0x86, unknown: 0x87, clientId: 0x85 } : { ok: 0, bad: 4, unknown: 5, clientId: 2 };
    const o = { protocolVersion: v, clientId: `${DEV.a}-v${v}` };
    expect(await connackCode(gw.mqttPort, DEV.a, PW(DEV.a), o)).toBe(codes.ok);
    expect(await connackCode(gw.mqttPort, DEV.a, 'wrong-password', o)).toBe(codes.bad);
    expect(await connackCode(gw.mqttPort, ID('nobody'), 'whatever', { ...o, clientId: ID('nobody') })).toBe(codes.unknown);
    expect(await connackCode(gw.mqttPort, DEV.off, PW(DEV.off), { ...o, clientId: DEV.off })).toBe(codes.unknown);
    expect(await connackCode(gw.mqttPort, DEV.a, PW(DEV.a), { ...o, clientId: DEV.rot })).toBe(codes.clientId);
  });

  it('serves TLS with the configured certificate and refuses plain MQTT on the TLS port', async () => {
    expect(gw.tlsPort).toBeGreaterThan(0);
    const tls = { protocol: 'mqtts' as const, ca: pki.ca, servername: 'localhost', clientId: `${DEV.a}-tls` };
    const c = await connectDevice(gw.tlsPort!, DEV.a, PW(DEV.a), tls);
    const ts = new Date().toISOString();
    await c.publishAsync(
      deviceUpTopic('fixed', DEV.a),
      JSON.stringify({ ts, seq: 1, values: [{ metric: 'tvoc', value: 1, unit: 'ppb' }] }),
      {
        qos: 1,
      },
    );
    await c.endAsync();
    expect(await connackCode(gw.tlsPort!, DEV.a, PW(DEV.a), { clientId: `${DEV.a}-plain`, connectTimeout: 2000 })).not.toBe(0);
    await until('the TLS reading on Kafka', () => seen.readings.some((r) => r.msg.deviceId === DEV.a && r.msg.seq === 1));
  });

  it.each([
    ['mqttv311', false],
    ['mqttv5', true],
  ] as const)('acknowledges mosquitto_pub (%s, TLS %s) after Kafka and refuses its wrong password', async (V, tls) => {
    const target = tls
      ? ['-h', 'localhost', '-p', String(gw.tlsPort), '--cafile', pki.caFile]
      : ['-h', '127.0.0.1', '-p', String(gw.mqttPort)];
    const run = (pw: string, seq: number) =>
      new Promise<{ code: number; out: string }>((resolve) => {
        const payload = JSON.stringify({ ts: new Date().toISOString(), seq, values: [{ metric: 'tvoc', value: seq, unit: 'ppb' }] });
        const args = [
          ...target,
          '-d',
          '-V',
          V,
          '-q',
          '1',
          '-i',
          `${DEV.a}-m${seq}`,
          '-u',
          DEV.a,
          '-P',
          pw,
          '-t',
          deviceUpTopic('fixed', DEV.a),
          '-m',
          payload,
        ];
        execFile('mosquitto_pub', args, { timeout: 20_000 }, (err, stdout, stderr) =>
          resolve({ code: err ? Number(err.code ?? -1) : 0, out: `${stdout}${stderr}` }),
        );
      });
    const seq = V === 'mqttv5' ? 51 : 41;
    const ok = await run(PW(DEV.a), seq);
    expect(ok.out).toMatch(/received PUBACK/);
    expect(ok.code).toBe(0);
    await until('the mosquitto_pub reading on Kafka', () => seen.readings.some((r) => r.msg.deviceId === DEV.a && r.msg.seq === seq));
    const bad = await run('wrong', seq + 1);
    expect(bad.code).not.toBe(0);
    expect(bad.out).toMatch(V === 'mqttv5' ? /Bad User Name or Password|not authori[sz]ed/i : /not authori[sz]ed|Bad User|refused/i);
  });
});

describe('device endpoint: registry changes', () => {
  it('closes a live connection within seconds of `voc devices disable`', async () => {
    const c = await connectDevice(gw.mqttPort, DEV.live, PW(DEV.live));
    const closed = new Promise<number>((resolve) => {
      const t0 = Date.now();
      c.once('close', () => resolve(Date.now() - t0));
    });
    await createProvisioning({ registry: repo }).setStatus(DEV.live, 'disabled');
    const ms = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(Infinity), 10_000))]);
    expect(ms).toBeLessThan(5_000);
    c.end(true);
    expect(await connackCode(gw.mqttPort, DEV.live, PW(DEV.live))).toBe(0x87);
  });

  it('accepts a legacy $7$ hash and replaces it by scrypt (the gateway role may update that column only)', async () => {
    expect(await connackCode(gw.mqttPort, DEV.legacy, PW(DEV.legacy))).toBe(0);
    await until(
      'the upgraded hash',
      async () => ((await repo.credentialRecord(DEV.legacy))?.credentialHash ?? '').startsWith('$scrypt$'),
      10_000,
    );
    expect(await connackCode(gw.mqttPort, DEV.legacy, PW(DEV.legacy))).toBe(0);
    const gwRole = createPool(
      { ...cfg.pg, user: cfg.pg.logins.gateway.role, password: cfg.pg.logins.gateway.password, poolMax: 1 },
      log,
      'ept-gw-role',
    );
    try {
      await expect(gwRole.query(`update devices set status = 'active' where id = $1`, [DEV.legacy])).rejects.toMatchObject({
        code: '42501',
      });
    } finally {
      await gwRole.end();
    }
  });

  it('rotates a password without downtime: old and new both work in the grace period, only the new one after --end', async () => {
    const p = createProvisioning({ registry: repo });
    const r = await p.rotate(DEV.rot, { graceMs: 3_600_000 });
    // No wait for the refresh: a password the directory does not know yet triggers one fresh read.
    expect(await connackCode(gw.mqttPort, DEV.rot, r.credential.password)).toBe(0);
    expect(await connackCode(gw.mqttPort, DEV.rot, PW(DEV.rot))).toBe(0);
    await p.endRotation(DEV.rot);
    await until('the old password refused', async () => (await connackCode(gw.mqttPort, DEV.rot, PW(DEV.rot))) === 0x86, 10_000);
    expect(await connackCode(gw.mqttPort, DEV.rot, r.credential.password)).toBe(0);
  });
});

describe('device endpoint: project database unavailable', () => {
  it('keeps known devices connecting and publishing, and answers an unknown one "server unavailable"', async () => {
    const su = createPool({ ...cfg.pg, database: 'postgres', poolMax: 1 }, log, 'endpoint-int-test-su');
    const db = cfg.pg.database;
    try {
      // Refuse connections to this database only (never the machine's PostgreSQL), and end its sessions.
      await su.query(`alter database "${db}" allow_connections false`);
      await su.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`, [db]);
      await until('the directory to notice', () => gw.lines.some((l) => l.includes('device directory refresh failed')), 10_000);
      expect(await connackCode(gw.mqttPort, ID('unknown'), 'whatever', { clientId: ID('unknown') })).toBe(0x88);
      expect(await connackCode(gw.mqttPort, ID('unknown'), 'whatever', { clientId: ID('unknown'), protocolVersion: 4 })).toBe(3);
      const c = await connectDevice(gw.mqttPort, DEV.a, PW(DEV.a), { clientId: `${DEV.a}-outage` });
      const ts = new Date().toISOString();
      await c.publishAsync(
        deviceUpTopic('fixed', DEV.a),
        JSON.stringify({ ts, seq: 900, values: [{ metric: 'tvoc', value: 9, unit: 'ppb' }] }),
        {
          qos: 1,
        },
      );
      await c.endAsync();
      // The PUBACK came after Kafka's acknowledgement: the reading is there for any consumer.
      await until('the reading acknowledged during the outage', () =>
        seen.readings.some((r) => r.msg.deviceId === DEV.a && r.msg.seq === 900),
      );
    } finally {
      await su.query(`alter database "${db}" allow_connections true`);
      await su.end();
    }
  });
});

describe('device endpoint: metrics', () => {
  it('exposes throughput, in-flight, refusals by reason and Kafka latency at /metrics', async () => {
    const text = await (await fetch(`http://127.0.0.1:${gw.metricsPort}/metrics`)).text();
    expect(text).toMatch(/voc_gateway_mqtt_publishes_acked_total [1-9]/);
    expect(text).toMatch(/voc_gateway_mqtt_connects_refused_total\{reason="bad_credentials"\} [1-9]/);
    expect(text).toMatch(/voc_gateway_inflight_messages \d/);
    expect(text).toMatch(/voc_gateway_kafka_produce_seconds_count [1-9]/);
  });
});
