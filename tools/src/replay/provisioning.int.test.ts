import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Consumer } from 'kafkajs';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, loadConfig } from '@voc/config';
import { createPool, DeviceRepository, type Pool } from '@voc/db';
import { readingMessageSchema, type ReadingMessage } from '@voc/domain';
import { createKafka, ensureAcls, ensureTopics, kafkaAcls, topicNames } from '@voc/messaging';
import { devicesDisableCommand, devicesEnableCommand, devicesRegisterCommand, devicesRotateCommand, readCredentialsFile } from '@voc/cli';
import { startService, type ServiceProcess } from '../spawn.js';
import { replayDeps } from './adapters.js';
import { replay } from './engine.js';
import type { ReplayItem } from './types.js';

// The CLI's device commands and the replay tool against the built gateway (its MQTT endpoint on a
// free port of this run), Kafka and PostgreSQL (VOC_TEST_PGDATABASE): the registry is the one source
// of device credentials. Device ids, topics and groups are unique to the run.

const cfg = loadConfig();
const log = createLogger('cli-test', cfg.logLevel);
const run = randomUUID().slice(0, 8);
const A = `t-${run}-a`;
const B = `t-${run}-b`;
const PREFIX = `prov-${run}.`;
let pool: Pool;
let dir: string;
let gateway: ServiceProcess;
let url: string;
let consumer: Consumer;
const readings: ReadingMessage[] = [];
const clients: MqttClient[] = [];

beforeAll(async () => {
  pool = createPool(cfg.pg, log, 'voc-cli-test');
  dir = await mkdtemp(join(tmpdir(), 'voc-devices-'));
  const kafka = createKafka(cfg.kafka, log);
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, topicNames(PREFIX));
  await ensureAcls(admin, kafkaAcls(topicNames(PREFIX), PREFIX), cfg.kafka.principals);
  await admin.disconnect();
  consumer = kafka.consumer({ groupId: `${PREFIX}collect` });
  await consumer.connect();
  await consumer.subscribe({ topics: [topicNames(PREFIX).readings], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => void readings.push(readingMessageSchema.parse(JSON.parse(String(message.value)))),
  });
  const port = 20000 + Math.floor(Math.random() * 20000);
  url = `mqtt://127.0.0.1:${port}`;
  gateway = startService('gateway', 'services/gateway/dist/main.js', {
    env: {
      LOG_LEVEL: 'info',
      VOC_KAFKA_TOPIC_PREFIX: PREFIX,
      VOC_MQTT_PORT: String(port),
      VOC_GATEWAY_METRICS_PORT: '0',
      VOC_DEVICE_REFRESH_MS: '300',
      VOC_ALLOWED_LATENESS_MS: String(30 * 365 * 86_400_000),
      VOC_EARLIEST_READING_TIME: '2004-01-01T00:00:00Z', // the UCI file is from 2004
    },
    readyMsg: 'gateway ready',
  });
  await gateway.ready;
});

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.endAsync(true)));
  await gateway?.stop();
  await consumer?.disconnect();
  const admin = createKafka(cfg.kafka, log).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: Object.values(topicNames(PREFIX)) }).catch(() => undefined);
  await admin.deleteGroups([`${PREFIX}collect`]).catch(() => undefined);
  await admin.disconnect();
  await pool.query('delete from devices where id like $1', [`t-${run}-%`]);
  await pool.end();
  await rm(dir, { recursive: true, force: true });
});

/** Connects to the gateway as a device; rejects with the CONNACK error (e.g. reason code 134, 135). */
async function connect(username: string, password: string): Promise<MqttClient> {
  const c = await mqtt.connectAsync(
    url,
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

/** Retries `fn` until it succeeds (the gateway's directory refreshes every 300 ms here). */
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

describe('device provisioning against the gateway', () => {
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
    const stored = (await pool.query<{ h: string }>('select credential_hash as h from devices where id = $1', [A])).rows[0]!.h;
    expect(stored).toMatch(/^\$scrypt\$/);
    expect(stored).not.toContain(creds[A]!.password);

    const a = await eventually(() => connect(A, creds[A]!.password));
    await a.publishAsync(`voc/v1/fixed/${A}/up`, '{}', { qos: 1 });
    await expect(a.publishAsync(`voc/v1/van/${B}/up`, '{}', { qos: 1 })).rejects.toMatchObject({ code: 135 });
    await expect(a.publishAsync(`voc/v1/van/${A}/up`, '{}', { qos: 1 })).rejects.toMatchObject({ code: 135 });
    await expect(connect(A, 'not-the-password')).rejects.toMatchObject({ code: 134 });

    expect(await devicesDisableCommand.run([A])).toBe(0);
    await eventually(async () => {
      const c = await connect(A, creds[A]!.password).then(
        () => 'accepted',
        (err: { code?: number }) => err.code,
      );
      if (c !== 135) throw new Error(`gateway still accepts ${A}`);
    });
    // The other device is not affected.
    const b = await connect(B, creds[B]!.password);
    await b.publishAsync(`voc/v1/van/${B}/up`, '{}', { qos: 1 });

    expect(await devicesEnableCommand.run([A])).toBe(0);
    await eventually(() => connect(A, creds[A]!.password));
  });

  it('fails clearly for an unknown device id', async () => {
    await expect(devicesDisableCommand.run([`t-${run}-none`])).rejects.toMatchObject({ code: 'VOC_ERR_NOT_FOUND' });
    await expect(devicesRotateCommand.run([`t-${run}-none`])).rejects.toMatchObject({ code: 'VOC_ERR_NOT_FOUND' });
  });

  it('rotates a password with `voc devices rotate`: both work until `--end`', async () => {
    const credPath = join(dir, 'credentials.json');
    const before = (await readCredentialsFile(credPath))[B]!.password;
    const rotated = join(dir, 'rotated.json');
    expect(await devicesRotateCommand.run([B, '--grace', '1h', '--credentials-out', rotated])).toBe(0);
    const after = (await readCredentialsFile(rotated))[B]!.password;
    expect(after).not.toBe(before);
    await eventually(() => connect(B, after));
    await connect(B, before);
    expect(await devicesRotateCommand.run([B, '--end'])).toBe(0);
    await eventually(async () => {
      const c = await connect(B, before).then(
        () => 'accepted',
        (err: { code?: number }) => err.code,
      );
      if (c !== 134) throw new Error('the old password still works');
    });
    await connect(B, after);
    // the replay below uses the file's credentials: keep them current
    await writeFile(credPath, JSON.stringify({ ...(await readCredentialsFile(credPath)), [B]: (await readCredentialsFile(rotated))[B] }));
  });

  it('replays readings as the registered devices, each on its own authenticated connection', async () => {
    const creds = await readCredentialsFile(join(dir, 'credentials.json'));
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
    const deps = replayDeps('unused', url);
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
    // Acknowledged means on Kafka: the readings are there, each once.
    const ours = () => readings.filter((m) => m.deviceId === A || m.deviceId === B);
    await eventually(async () => {
      if (ours().length < 6) throw new Error(`received ${ours().length} of 6`);
    });
    expect(ours()).toHaveLength(6);
    expect(readings.filter((m) => m.deviceId === A).map((m) => m.time)).toEqual([
      '2017-01-01T00:00:00.000Z',
      '2017-01-01T01:00:00.000Z',
      '2017-01-01T02:00:00.000Z',
    ]);
  });
});
