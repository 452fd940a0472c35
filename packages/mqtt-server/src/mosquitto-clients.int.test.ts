import { execFile, type ChildProcess } from 'node:child_process';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deferred, makeTestPki, startHarness, until, upTopic, type Harness, type TestPki } from './harness.test-support.js';

// Interoperability with a client written elsewhere: Debian's mosquitto_pub / mosquitto_sub
// (mosquitto-clients), both protocol versions, plain TCP and TLS with a CA made at test time.

let pki: TestPki;
let h: Harness;
beforeAll(async () => {
  pki = makeTestPki();
  h = await startHarness({ tls: { host: '127.0.0.1', port: 0, cert: pki.cert, key: pki.key } });
});
afterAll(async () => {
  await h?.close();
  pki?.remove();
});

/** Runs a mosquitto client against the harness; `done` resolves with its exit code and output. */
function run(
  bin: 'mosquitto_pub' | 'mosquitto_sub',
  tls: boolean,
  args: string[],
): { child: ChildProcess; done: Promise<{ code: number; out: string }> } {
  const target = tls ? ['-h', 'localhost', '-p', String(h.tlsPort), '--cafile', pki.caFile] : ['-h', '127.0.0.1', '-p', String(h.port)];
  let child!: ChildProcess;
  const done = new Promise<{ code: number; out: string }>((resolve) => {
    child = execFile(bin, [...target, '-d', ...args], { timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
  return { child, done };
}

const as = (id: string, pw: string): string[] => ['-i', id, '-u', id, '-P', pw];

describe.each([
  ['mqttv311', false],
  ['mqttv311', true],
  ['mqttv5', false],
  ['mqttv5', true],
] as const)('MQTT endpoint with mosquitto clients, %s, TLS %s', (V, tls) => {
  const v5 = V === 'mqttv5';

  it('acknowledges a QoS 1 publish only after the handler resolved', async () => {
    const gate = deferred();
    h.onPublish = () => gate.promise;
    const before = h.received.length;
    const { child, done } = run('mosquitto_pub', tls, [
      '-V',
      V,
      '-q',
      '1',
      ...as('dev-1', 'secret-1'),
      '-t',
      upTopic('dev-1'),
      '-m',
      `{"via":"${V}"}`,
    ]);
    await until(() => h.received.length === before + 1, 10_000, 'publish handled');
    await new Promise((r) => setTimeout(r, 300));
    expect(child.exitCode).toBeNull(); // still waiting for its PUBACK
    gate.resolve();
    const r = await done;
    h.onPublish = () => Promise.resolve();
    expect(r.code).toBe(0);
    expect(r.out).toContain('received PUBACK (Mid: 1, RC:0)');
    expect(h.received.at(-1)).toMatchObject({ deviceId: 'dev-1', qos: 1, protocolVersion: v5 ? 5 : 4 });
    expect(h.received.at(-1)?.payload.toString()).toBe(`{"via":"${V}"}`);
  });

  it('takes a QoS 0 publish', async () => {
    const before = h.metrics.get('publishes_received{qos=0}');
    const r = await run('mosquitto_pub', tls, ['-V', V, '-q', '0', ...as('dev-1', 'secret-1'), '-t', upTopic('dev-1'), '-m', 'q0']).done;
    expect(r.code).toBe(0);
    await until(() => h.metrics.get('publishes_received{qos=0}') === before + 1);
  });

  it.each([
    ['a bad password', as('dev-1', 'wrong'), v5 ? 134 : 4],
    ['a disabled device', as('dev-off', 'secret-off'), v5 ? 135 : 5],
  ])('refuses %s with its CONNACK code', async (_what, creds, code) => {
    const r = await run('mosquitto_pub', tls, ['-V', V, '-q', '1', ...creds, '-t', upTopic('dev-1'), '-m', 'x']).done;
    expect(r.out).toContain(`received CONNACK (${code})`);
    expect(r.code).not.toBe(0);
  });

  it('refuses a publish on another device topic (v5 PUBACK 0x87, 3.1.1 disconnect)', async () => {
    const before = h.refused.length;
    const r = await run('mosquitto_pub', tls, ['-V', V, '-q', '1', ...as('dev-1', 'secret-1'), '-t', upTopic('dev-2'), '-m', 'x']).done;
    if (v5) expect(r.out).toContain('received PUBACK (Mid: 1, RC:135)');
    else {
      expect(r.out).toContain('connection was lost');
      expect(r.code).not.toBe(0);
    }
    expect(h.refused.length).toBe(before + 1);
    expect(h.refused.at(-1)).toMatchObject({ reason: 'not_authorized', topic: upTopic('dev-2') });
  });

  it('refuses SUBSCRIBE', async () => {
    const r = await run('mosquitto_sub', tls, ['-V', V, '-q', '1', ...as('dev-1', 'secret-1'), '-t', 'voc/#', '-C', '1', '-W', '3']).done;
    expect(r.out).toContain(`Subscribed (mid: 1): ${v5 ? 135 : 128}`);
    expect(r.out).toContain('All subscription requests were denied');
  });
});

describe('MQTT endpoint over TLS with MQTT.js', () => {
  it.each([4, 5] as const)('acknowledges a QoS 1 publish at protocol level %i', async (protocolVersion) => {
    const c = await mqtt.connectAsync(`mqtts://localhost:${h.tlsPort}`, {
      protocolVersion,
      clientId: 'dev-2',
      username: 'dev-2',
      password: 'secret-2',
      ca: pki.ca,
      reconnectPeriod: 0,
    });
    try {
      await c.publishAsync(upTopic('dev-2'), 'over tls', { qos: 1 });
      expect(h.received.at(-1)).toMatchObject({ deviceId: 'dev-2', topic: upTopic('dev-2'), protocolVersion });
    } finally {
      await c.endAsync();
    }
  });
});
