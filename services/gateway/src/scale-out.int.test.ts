import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Admin } from 'kafkajs';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, loadConfig } from '@voc/config';
import { hashPassword } from '@voc/core';
import { createPool, DeviceRepository, type Pool } from '@voc/db';
import { deviceUpTopic } from '@voc/domain';
import { createKafka } from '@voc/messaging';
import { createTestTopics, freePort, startGatewayProcess, until, type GatewayProcess } from './gateway.test-support.js';

// Scale-out: two gateway processes behind HAProxy with the settings of infra/haproxy/haproxy.cfg
// (where the haproxy binary is missing, behind the device's own list of both addresses instead), the
// stream writer storing into PostgreSQL. One gateway is SIGKILLed mid-stream; the device
// reconnects to the other and resends what had no PUBACK; the idempotent store absorbs the
// duplicates, so stored = acknowledged, with no duplicate rows.

const RUN = randomUUID().slice(0, 8);
const cfg = loadConfig();
const log = createLogger('scale-out-test', 'silent');
const PREFIX = `sco-${RUN}.`;
const DEVICE = `sco-${RUN}-dev`;
const PASSWORD = `pw-${RUN}-0123456789abcdef`;
/** Messages published (2 values each) and the device's QoS 1 window. */
const N = 3000;
const WINDOW = 100;

let pool: Pool;
let admin: Admin;
let drop: () => Promise<void>;
const gateways: GatewayProcess[] = [];
let writer: ChildProcess | undefined;
let lb: { child: ChildProcess; port: number; dir: string } | undefined;

/** Whether Debian's haproxy is installed (.ci/run installs it). */
function haveHaproxy(): boolean {
  try {
    execFileSync('haproxy', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts HAProxy on a free loopback port in front of the two gateways, with infra/haproxy/haproxy.cfg
 * rewritten for this machine: the plain-MQTT frontend and backend only, loopback addresses instead of
 * the compose service names, no Docker resolver. Balancing, checks, retries and timeouts are the shipped ones.
 */
async function startHaproxy(ports: readonly [number, number]): Promise<{ child: ChildProcess; port: number; dir: string }> {
  const port = await freePort();
  let cfgText = readFileSync('infra/haproxy/haproxy.cfg', 'utf8');
  cfgText = cfgText.replace(/^resolvers docker\n(?: .*\n)+/m, '').replace(' resolvers docker', '');
  cfgText = cfgText.replace(/^frontend mqtts\n(?: .*\n)+/m, '').replace(/^backend gateways-tls\n(?: .*\n)+/m, '');
  cfgText = cfgText.replace('bind :1883', `bind 127.0.0.1:${port}`);
  cfgText = cfgText.replace('gateway-1:1883', `127.0.0.1:${ports[0]}`).replace('gateway-2:1883', `127.0.0.1:${ports[1]}`);
  const dir = mkdtempSync(join(tmpdir(), 'voc-haproxy-'));
  writeFileSync(join(dir, 'haproxy.cfg'), cfgText);
  const child = spawn('haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const up = await new Promise<boolean>((resolve) => {
    child.once('exit', () => resolve(false));
    const probe = () =>
      connect(port, '127.0.0.1')
        .once('connect', function (this: Socket) {
          this.destroy();
          resolve(true);
        })
        .once('error', () => setTimeout(probe, 100));
    probe();
  });
  if (!up) throw new Error(`haproxy did not start: ${stderr}`);
  return { child, port, dir };
}

/** Authenticated device connections of a gateway, from its /metrics. */
async function devicesOn(g: GatewayProcess): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${g.metricsPort}/metrics`)).text();
  return Number(/^voc_gateway_devices (\d+)/m.exec(text)?.[1] ?? 0);
}

/** Starts the built stream writer on the run's topics; resolves once it logged "writer started". */
function startWriter(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['services/writer/dist/main.js'], {
    env: { ...process.env, LOG_LEVEL: 'info', VOC_KAFKA_TOPIC_PREFIX: PREFIX, VOC_KAFKA_GROUP_PREFIX: PREFIX },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (l) => {
      if (l.includes('"writer started"')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`writer exited with ${code} before it was ready`)));
  });
}

beforeAll(async () => {
  pool = createPool(cfg.pg, log, 'scale-out-test');
  admin = createKafka(cfg.kafka, log).admin();
  await admin.connect();
  ({ drop } = await createTestTopics(admin, cfg, PREFIX));
  const repo = new DeviceRepository(pool);
  await repo.upsert([{ id: DEVICE, kind: 'fixed', lat: 39.92, lon: 116.37 }]);
  await repo.setCredentialHash(DEVICE, await hashPassword(PASSWORD));
  writer = await startWriter();
  for (let i = 0; i < 2; i++) gateways.push(await startGatewayProcess({ VOC_KAFKA_TOPIC_PREFIX: PREFIX, VOC_MQTT_PORT: '0' }));
  if (haveHaproxy()) lb = await startHaproxy([gateways[0]!.mqttPort, gateways[1]!.mqttPort]);
});

afterAll(async () => {
  for (const g of gateways) await g.kill();
  writer?.kill('SIGKILL');
  lb?.child.kill('SIGTERM');
  if (lb) rmSync(lb.dir, { recursive: true, force: true });
  await pool.query('delete from readings where device_id = $1', [DEVICE]);
  await pool.query('delete from devices where id = $1', [DEVICE]);
  await drop?.();
  await admin.deleteGroups([`${PREFIX}voc-stream-writer`]).catch(() => undefined);
  await admin.disconnect();
  await pool.end();
});

describe('two gateway instances', () => {
  it(`lose nothing when one is killed: the device resends to the other and the store absorbs duplicates (${haveHaproxy() ? 'behind HAProxy' : 'device address list'})`, async () => {
    const servers = lb ? [{ host: '127.0.0.1', port: lb.port }] : gateways.map((g) => ({ host: '127.0.0.1', port: g.mqttPort }));
    const client = mqtt.connect({
      servers,
      protocolVersion: 5,
      clientId: DEVICE,
      username: DEVICE,
      password: PASSWORD,
      clean: false,
      properties: { sessionExpiryInterval: 3600 },
      reconnectPeriod: 200,
    });
    client.on('error', () => undefined);
    await new Promise<void>((r) => client.once('connect', () => r()));
    // The instance the device landed on is the one to kill.
    await until('the device on one instance', async () => (await devicesOn(gateways[0]!)) + (await devicesOn(gateways[1]!)) === 1);
    const [a, b] = (await devicesOn(gateways[0]!)) === 1 ? [gateways[0]!, gateways[1]!] : [gateways[1]!, gateways[0]!];

    const acked = new Set<number>();
    let inflight = 0;
    let killed = false;
    const t0 = Date.now();
    for (let seq = 0; seq < N; seq++) {
      while (inflight >= WINDOW) await new Promise((r) => setTimeout(r, 2));
      if (!killed && acked.size >= N / 3) {
        killed = true;
        void a.kill();
      }
      inflight++;
      const ts = new Date(t0 + seq).toISOString();
      const payload = JSON.stringify({
        ts,
        seq,
        values: [
          { metric: 'tvoc', value: seq % 500, unit: 'ug/m3' },
          { metric: 'temp', value: 20, unit: '°C' },
        ],
      });
      client.publish(deviceUpTopic('fixed', DEVICE), payload, { qos: 1 }, (err) => {
        inflight--;
        if (!err) acked.add(seq);
      });
    }
    await until(`all ${N} acknowledged`, () => acked.size === N, 60_000);
    expect(killed).toBe(true);
    expect(await devicesOn(b)).toBe(1); // reconnected to the surviving instance

    const stored = async () =>
      (
        await pool.query<{ rows: number; keys: number }>(
          'select count(*)::int as rows, count(distinct (metric, time))::int as keys from readings where device_id = $1',
          [DEVICE],
        )
      ).rows[0]!;
    await until('every acknowledged value stored', async () => (await stored()).rows >= N * 2, 60_000);
    expect(await stored()).toEqual({ rows: N * 2, keys: N * 2 });

    await client.endAsync();
    expect(await b.stop()).toBe(0); // graceful stop drains and exits 0
  });
});
