import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, loadConfig } from '@voc/config';
import { createPool, DeviceRepository, type Pool } from '@voc/db';
import { writeBrokerAuth } from '@voc/messaging';
import { devicesDisableCommand, devicesEnableCommand, devicesRegisterCommand, readCredentialsFile } from '@voc/cli';
import { createProvisioning } from '@voc/core';
import { replayDeps } from './adapters.js';
import { replay } from './engine.js';
import type { ReplayItem } from './types.js';

// Against the tests' project broker (1885, VOC_MQTT_URL; password file and ACL in VOC_MQTT_DIR) and PostgreSQL (voc_test).
// Device ids are unique to the run; the broker files are always rebuilt from every device in the
// database, so other tests' devices keep their access.

const cfg = loadConfig();
const log = createLogger('cli-test', cfg.logLevel);
const run = randomUUID().slice(0, 8);
const A = `t-${run}-a`;
const B = `t-${run}-b`;
let pool: Pool;
let dir: string;
const clients: MqttClient[] = [];

beforeAll(async () => {
  pool = createPool(cfg.pg, log, 'voc-cli-test');
  dir = await mkdtemp(join(tmpdir(), 'voc-devices-'));
});

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.endAsync(true)));
  await pool.query('delete from devices where id like $1', [`t-${run}-%`]);
  const provisioning = createProvisioning({
    registry: new DeviceRepository(pool),
    broker: { write: (accounts) => writeBrokerAuth(cfg.mqtt.brokerDir, accounts) },
    gateway: { username: cfg.mqtt.gatewayUsername, password: cfg.mqtt.gatewayPassword },
  });
  await provisioning.syncBroker();
  await pool.end();
  await rm(dir, { recursive: true, force: true });
});

/** Connects to the project broker; rejects with the CONNACK error (e.g. reason code 135). */
async function connect(username: string, password: string): Promise<MqttClient> {
  const c = await mqtt.connectAsync(
    cfg.mqtt.url,
    {
      protocolVersion: 5,
      clientId: `${username}-${randomUUID().slice(0, 6)}`,
      username,
      password,
      reconnectPeriod: 0,
      connectTimeout: 5000,
    },
    false,
  );
  clients.push(c);
  return c;
}

/** Retries `fn` until it succeeds: the broker applies a new password file when it has reloaded (SIGHUP). */
async function eventually<T>(fn: () => Promise<T>, tries = 50): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= tries) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe('device provisioning against the broker', () => {
  it('registers nothing when any row is bad', async () => {
    const csv = join(dir, 'bad.csv');
    await writeFile(csv, `id,kind,lat,lon\n${A},fixed,39.9,116.37\n${B},fixed,,\n`);
    expect(await devicesRegisterCommand.run([csv, '--credentials-out', join(dir, 'never.json')])).toBe(2);
    expect(await new DeviceRepository(pool).get(A)).toBeUndefined();
    await expect(stat(join(dir, 'never.json'))).rejects.toThrow();
  });

  it('lets a registered device publish on its own topic only, and refuses it once disabled', async () => {
    const csv = join(dir, 'devices.csv');
    const credPath = join(dir, 'credentials.json');
    await writeFile(csv, `id,kind,name,sensor,lat,lon\n${A},fixed,Test corner,pid,39.9075,116.374\n${B},van,Test van,,,\n`);
    expect(await devicesRegisterCommand.run([csv, '--credentials-out', credPath])).toBe(0);
    expect((await stat(credPath)).mode & 0o777).toBe(0o600);
    const creds = await readCredentialsFile(credPath);
    expect(creds[A]).toMatchObject({ username: A, topic: `voc/v1/fixed/${A}/up` });
    expect(creds[A]!.password.length).toBeGreaterThanOrEqual(20);
    const passwd = await readFile(join(cfg.mqtt.brokerDir, 'passwd'), 'utf8');
    expect(passwd).toContain(`${A}:$7$`);
    expect(passwd).not.toContain(creds[A]!.password);

    const a = await eventually(() => connect(A, creds[A]!.password));
    await a.publishAsync(`voc/v1/fixed/${A}/up`, '{}', { qos: 1 });
    await expect(a.publishAsync(`voc/v1/van/${B}/up`, '{}', { qos: 1 })).rejects.toMatchObject({ code: 135 });
    await expect(a.publishAsync(`voc/v1/van/${A}/up`, '{}', { qos: 1 })).rejects.toMatchObject({ code: 135 });
    await expect(connect(A, 'not-the-password')).rejects.toMatchObject({ code: 135 });

    expect(await devicesDisableCommand.run([A])).toBe(0);
    await eventually(async () => {
      const c = await connect(A, creds[A]!.password).then(
        () => 'accepted',
        (err: { code?: number }) => err.code,
      );
      if (c !== 135) throw new Error(`broker still accepts ${A}`);
    });
    // The other device is not affected.
    const b = await connect(B, creds[B]!.password);
    await b.publishAsync(`voc/v1/van/${B}/up`, '{}', { qos: 1 });

    expect(await devicesEnableCommand.run([A])).toBe(0);
    await eventually(() => connect(A, creds[A]!.password));
  });

  it('fails clearly for an unknown device id', async () => {
    await expect(devicesDisableCommand.run([`t-${run}-none`])).rejects.toMatchObject({ code: 'VOC_ERR_NOT_FOUND' });
  });

  it('replays readings as the registered devices, each on its own authenticated connection', async () => {
    const creds = await readCredentialsFile(join(dir, 'credentials.json'));
    const gateway = await connect(cfg.mqtt.gatewayUsername, cfg.mqtt.gatewayPassword);
    const got: { topic: string; body: { ts: string } }[] = [];
    gateway.on('message', (topic, payload) => {
      if (topic.includes(`t-${run}-`)) got.push({ topic, body: JSON.parse(payload.toString()) as { ts: string } });
    });
    await gateway.subscribeAsync('voc/v1/+/+/up', { qos: 1 });
    const t0 = Date.UTC(2017, 0, 1);
    const items: ReplayItem[] = [0, 1, 2].flatMap((h) => [
      {
        source: 'uci',
        deviceId: A,
        kind: 'fixed',
        ts: new Date(t0 + h * 3_600_000),
        values: [{ metric: 'voc_index', value: 800 + h, unit: 'index' }],
      },
      {
        source: 'uci',
        deviceId: B,
        kind: 'van',
        ts: new Date(t0 + h * 3_600_000),
        values: [{ metric: 'pm25', value: 30, unit: 'µg/m³' }],
        gps: { lat: 39.9, lon: 116.37, speedKmh: 12, fix: '3d' },
      },
    ]);
    const deps = replayDeps('unused', cfg.mqtt.url);
    deps.openSource = (id) => ({
      id,
      devices: async () => [
        { deviceId: A, kind: 'fixed' },
        { deviceId: B, kind: 'van' },
      ],
      items: async function* () {
        yield* items;
      },
    });
    const r = await replay({ sources: ['uci'], credentials: creds, speed: Infinity }, deps);
    expect(r.sources.uci).toMatchObject({ messages: 6, readings: 6, values: 6, failedMessages: 0 });
    expect(r.publishedAt.get(A)?.size).toBe(3);
    await eventually(async () => {
      if (got.length < 6) throw new Error(`received ${got.length} of 6`);
    });
    expect(got.filter((g) => g.topic === `voc/v1/fixed/${A}/up`).map((g) => g.body.ts)).toEqual([
      '2017-01-01T00:00:00.000Z',
      '2017-01-01T01:00:00.000Z',
      '2017-01-01T02:00:00.000Z',
    ]);
  });
});
