import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { deferred, startHarness, until, upTopic, type Harness } from './harness.test-support.js';

// MQTT.js 5.16 as a device: both protocol versions, against a server on a random loopback port.

let h: Harness | undefined;
const clients: MqttClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.end(true);
  await h?.close();
  h = undefined;
});

function connect(port: number, opts: IClientOptions): MqttClient {
  const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 5_000, ...opts });
  c.on('error', () => undefined);
  clients.push(c);
  return c;
}

/** Resolves on CONNACK, rejects with the refusal (err.code = the CONNACK code). */
function connected(c: MqttClient): Promise<void> {
  return new Promise((resolve, reject) => {
    c.once('connect', () => resolve());
    c.once('error', reject);
  });
}

describe.each([4, 5] as const)('MQTT endpoint with MQTT.js, protocol level %i', (protocolVersion) => {
  const device = (extra: IClientOptions = {}): IClientOptions => ({
    protocolVersion,
    clientId: 'dev-1',
    username: 'dev-1',
    password: 'secret-1',
    ...extra,
  });

  it('withholds the PUBACK of a QoS 1 publish until the handler resolved', async () => {
    h = await startHarness();
    const gate = deferred();
    h.onPublish = () => gate.promise;
    const c = connect(h.port, device());
    await connected(c);
    let acked = false;
    const done = c.publishAsync(upTopic('dev-1'), '{"v":1}', { qos: 1 }).then(() => (acked = true));
    await until(() => h?.received.length === 1, 5_000, 'publish handled');
    await new Promise((r) => setTimeout(r, 200));
    expect(acked).toBe(false);
    gate.resolve();
    await done;
    expect(h.received[0]).toMatchObject({ deviceId: 'dev-1', topic: upTopic('dev-1'), qos: 1, protocolVersion });
    expect(h.received[0]?.payload.toString()).toBe('{"v":1}');
    expect(h.metrics.get('publishes_acked')).toBe(1);
  });

  it('takes QoS 0 best-effort and counts it', async () => {
    h = await startHarness();
    const c = connect(h.port, device());
    await connected(c);
    await c.publishAsync(upTopic('dev-1'), 'a', { qos: 0 });
    await until(() => h?.received.length === 1);
    expect(h.metrics.get('publishes_received{qos=0}')).toBe(1);
  });

  it.each([
    ['bad_credentials', { password: 'wrong' }, protocolVersion === 5 ? 0x86 : 4],
    ['not_authorized', { username: 'dev-off', password: 'secret-off', clientId: 'dev-off' }, protocolVersion === 5 ? 0x87 : 5],
    ['client_id_not_allowed', { clientId: 'dev-2' }, protocolVersion === 5 ? 0x85 : 2],
  ] as const)('refuses a CONNECT with %s and its CONNACK code', async (reason, extra, code) => {
    h = await startHarness();
    const c = connect(h.port, device(extra));
    await expect(connected(c)).rejects.toMatchObject({ code });
    expect(h.metrics.get(`connects_refused{reason=${reason}}`)).toBe(1);
  });

  it('answers server unavailable when the directory cannot answer', async () => {
    h = await startHarness();
    h.authenticate = () => Promise.reject(new Error('database down'));
    const c = connect(h.port, device());
    await expect(connected(c)).rejects.toMatchObject({ code: protocolVersion === 5 ? 0x88 : 3 });
  });

  it('refuses a publish on another topic (v5 PUBACK 0x87, 3.1.1 disconnect) and reports it', async () => {
    h = await startHarness();
    const c = connect(h.port, device());
    await connected(c);
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    const pub = c.publishAsync(upTopic('dev-2'), 'x', { qos: 1 });
    if (protocolVersion === 5) await expect(pub).rejects.toMatchObject({ code: 0x87 });
    else {
      pub.catch(() => undefined); // MQTT.js fails the pending publish when the connection closes
      await closed;
    }
    expect(h.received).toHaveLength(0);
    expect(h.refused[0]).toMatchObject({ reason: 'not_authorized', deviceId: 'dev-1', topic: upTopic('dev-2'), complete: true });
    expect(h.metrics.get('publishes_refused{reason=not_authorized}')).toBe(1);
  });

  it('refuses SUBSCRIBE', async () => {
    h = await startHarness();
    const c = connect(h.port, device());
    await connected(c);
    const granted = await c.subscribeAsync('voc/#', { qos: 1 }).catch((e: unknown) => e);
    // MQTT.js reports a refused subscription as a granted entry with the failure code.
    expect(JSON.stringify(granted)).toContain(protocolVersion === 5 ? '135' : '128');
  });

  it('lets a second connection with the same client id take over the first', async () => {
    h = await startHarness();
    const first = connect(h.port, device());
    await connected(first);
    const firstClosed = new Promise<void>((r) => first.once('close', () => r()));
    const reasons: number[] = [];
    first.on('disconnect', (p) => reasons.push(p.reasonCode ?? -1));
    const second = connect(h.port, device());
    await connected(second);
    await firstClosed;
    if (protocolVersion === 5) expect(reasons).toEqual([0x8e]);
    await second.publishAsync(upTopic('dev-1'), 'after takeover', { qos: 1 });
    expect(h.server.snapshot().devices).toBe(1);
  });

  it('closes a disabled device on disconnectDevice', async () => {
    h = await startHarness();
    const c = connect(h.port, device());
    await connected(c);
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    const reasons: number[] = [];
    c.on('disconnect', (p) => reasons.push(p.reasonCode ?? -1));
    expect(h.server.disconnectDevice('dev-1')).toBe(1);
    await closed;
    if (protocolVersion === 5) expect(reasons).toEqual([0x98]);
  });

  it('withholds the PUBACK when the handler rejects; the resend after reconnecting is acknowledged', async () => {
    h = await startHarness();
    const retryable = Object.assign(new Error('Kafka unavailable'), { retry: true });
    let failures = 1;
    h.onPublish = () => (failures-- > 0 ? Promise.reject(retryable) : Promise.resolve());
    // A device keeping its session: the unacknowledged publish is resent (DUP) on the next connection.
    const c = connect(h.port, device({ clean: false, reconnectPeriod: 200, properties: { sessionExpiryInterval: 3600 } }));
    await connected(c);
    const reasons: number[] = [];
    c.on('disconnect', (p) => reasons.push(p.reasonCode ?? -1));
    await c.publishAsync(upTopic('dev-1'), 'resend me', { qos: 1 });
    expect(h.received).toHaveLength(2);
    expect(h.received[1]?.payload.toString()).toBe('resend me');
    expect(h.metrics.get('publishes_failed{retry=true}')).toBe(1);
    expect(h.metrics.get('publishes_acked')).toBe(1);
    if (protocolVersion === 5) expect(reasons).toEqual([0x89]);
  });
});
