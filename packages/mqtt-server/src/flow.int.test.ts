import type { IConnackPacket, IPubackPacket } from 'mqtt-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { deferred, startHarness, until, upTopic, type Deferred, type Harness } from './harness.test-support.js';
import { RawClient } from './raw-client.test-support.js';

// Back-pressure, limits and timeouts, driven byte by byte from a raw socket.

let h: Harness | undefined;
const raws: RawClient[] = [];
afterEach(async () => {
  for (const r of raws.splice(0)) r.end();
  await h?.close();
  h = undefined;
});

function raw(port: number, v: 4 | 5): RawClient {
  const r = new RawClient(port, v);
  raws.push(r);
  return r;
}

async function connected(r: RawClient, user = 'dev-1', pw = 'secret-1', extra: Record<string, unknown> = {}): Promise<IConnackPacket> {
  r.send(r.connectPacket(user, pw, extra));
  await r.until(() => r.of('connack').length > 0, 5_000, 'CONNACK');
  return r.of('connack')[0] as IConnackPacket;
}

/** Handler whose every call waits for its own deferred. */
function gated(target: Harness): Deferred<void>[] {
  const gates: Deferred<void>[] = [];
  target.onPublish = () => {
    const d = deferred();
    gates.push(d);
    return d.promise;
  };
  return gates;
}

describe.each([4, 5] as const)('back-pressure and limits, protocol level %i', (v) => {
  it('stops reading the socket when the window is full and reads on as PUBACKs leave', async () => {
    h = await startHarness({ receiveMaximum: 4 });
    const gates = gated(h);
    const r = raw(h.port, v);
    const connack = await connected(r);
    if (v === 5) expect(connack.properties).toMatchObject({ receiveMaximum: 4, maximumQoS: 1, maximumPacketSize: 256 * 1024 });
    // 5,000 publishes of ~1 KiB (≈ 5 MB) written as fast as the socket takes them.
    const payload = Buffer.alloc(1000, 0x61);
    const total = 5_000;
    let i = 1;
    const writeMore = (): void => {
      while (i <= total) if (!r.send(r.publishPacket(upTopic('dev-1'), payload, i++))) return void r.socket.once('drain', writeMore);
    };
    writeMore();
    await until(() => h?.received.length === 4, 5_000, 'window filled');
    await new Promise((res) => setTimeout(res, 300));
    const snap = h.server.snapshot();
    // Read no further than the window (+1 in the budget's worst case); what waits is at most a socket read or two.
    expect(h.received.length).toBeLessThanOrEqual(5);
    expect(snap).toMatchObject({ inflight: 4, pausedSockets: 1 });
    expect(snap.bufferedBytes).toBeLessThan(256 * 1024);
    expect(h.metrics.get('socket_pauses{cause=window}')).toBeGreaterThanOrEqual(1);
    expect(r.of('puback')).toHaveLength(0);
    // Open the gate: from now on the handler resolves at once, and everything is acknowledged.
    h.onPublish = () => Promise.resolve();
    for (const g of gates) g.resolve();
    await r.until(() => r.of('puback').length === total, 30_000, 'all PUBACKs');
    expect(r.of('puback').map((p) => p.messageId)).toEqual(Array.from({ length: total }, (_, k) => k + 1));
    expect(h.server.snapshot()).toMatchObject({ inflight: 0, inflightBytes: 0, pausedSockets: 0 });
  });

  it('sends PUBACKs in arrival order when handlers finish out of order', async () => {
    h = await startHarness();
    const gates = gated(h);
    const r = raw(h.port, v);
    await connected(r);
    for (const id of [1, 2, 3]) r.send(r.publishPacket(upTopic('dev-1'), `m${id}`, id));
    await until(() => gates.length === 3);
    gates[2]?.resolve();
    gates[1]?.resolve();
    await new Promise((res) => setTimeout(res, 100));
    expect(r.of('puback')).toHaveLength(0);
    gates[0]?.resolve();
    await r.until(() => r.of('puback').length === 3);
    expect(r.of('puback').map((p) => p.messageId)).toEqual([1, 2, 3]);
  });

  it('pauses every socket at the global in-flight byte budget and resumes below the low-water mark', async () => {
    h = await startHarness({ maxInflightBytes: 3_000, resumeInflightBytes: 1_000 });
    const gates = gated(h);
    const a = raw(h.port, v);
    const b = raw(h.port, v);
    await connected(a, 'dev-1', 'secret-1');
    await connected(b, 'dev-2', 'secret-2');
    const payload = Buffer.alloc(1000, 0x62);
    for (let id = 1; id <= 10; id++) {
      a.send(a.publishPacket(upTopic('dev-1'), payload, id));
      b.send(b.publishPacket(upTopic('dev-2'), payload, id));
    }
    await until(() => h?.server.snapshot().globalPaused === true, 5_000, 'global pause');
    await new Promise((res) => setTimeout(res, 200));
    const snap = h.server.snapshot();
    expect(snap.pausedSockets).toBe(2);
    // At most the budget plus one packet per connection read as the mark was crossed.
    expect(snap.inflightBytes).toBeLessThanOrEqual(3_000 + 2 * 1100);
    h.onPublish = () => Promise.resolve();
    for (const g of gates) g.resolve();
    await a.until(() => a.of('puback').length === 10, 10_000, 'a acked');
    await b.until(() => b.of('puback').length === 10, 10_000, 'b acked');
    expect(h.metrics.get('socket_pauses{cause=global}')).toBeGreaterThanOrEqual(1);
  });

  it('refuses an oversize packet from its header with 0x95 and reports its head and declared size', async () => {
    h = await startHarness({ maxPacketBytes: 4096 });
    const r = raw(h.port, v);
    const connack = await connected(r);
    if (v === 5) expect(connack.properties?.maximumPacketSize).toBe(4096);
    // A 10 MB PUBLISH: the header declares it all; only 1 MiB of it is ever written.
    const declared = 10 * 1024 * 1024;
    const full = r.encode(r.publishPacket(upTopic('dev-1'), Buffer.alloc(declared, 0x7a), 7));
    r.socket.write(full.subarray(0, 1024 * 1024));
    await r.closed;
    if (v === 5) expect(r.of('disconnect')[0]?.reasonCode).toBe(0x95);
    expect(h.refused).toHaveLength(1);
    const rep = h.refused[0];
    expect(rep).toMatchObject({ reason: 'packet_too_large', deviceId: 'dev-1', topic: upTopic('dev-1'), qos: 1, complete: false });
    expect(rep?.declaredBytes).toBeGreaterThan(declared);
    expect(rep?.payloadHead.length).toBe(1024);
    expect(rep?.payloadHead.every((x) => x === 0x7a)).toBe(true);
    expect(h.received).toHaveLength(0);
    expect(h.metrics.get('oversize')).toBe(1);
  });

  it('closes a socket that sends no complete CONNECT within the connect timeout', async () => {
    h = await startHarness({ connectTimeoutMs: 300 });
    const silent = raw(h.port, v);
    const partial = raw(h.port, v);
    partial.socket.write(partial.encode(partial.connectPacket('dev-1', 'secret-1')).subarray(0, 5));
    const started = Date.now();
    await Promise.all([silent.closed, partial.closed]);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(h.metrics.get('connects_refused{reason=timeout}')).toBe(2);
  });

  it('refuses connections over the per-address cap (quota) and the total cap (busy)', async () => {
    h = await startHarness({ maxConnectionsPerAddress: 2 });
    const codes: number[] = [];
    for (const [user, pw] of [
      ['dev-1', 'secret-1'],
      ['dev-2', 'secret-2'],
      ['dev-1', 'secret-1'],
    ] as const) {
      const r = raw(h.port, v);
      const c = await connected(r, user, pw, { clientId: `${user}-${codes.length}` });
      codes.push(v === 5 ? (c.reasonCode ?? 0) : (c.returnCode ?? -1));
    }
    expect(codes).toEqual([0, 0, v === 5 ? 0x97 : 3]);
    await h.close();
    h = await startHarness({ maxConnections: 1 });
    const first = await connected(raw(h.port, v));
    const second = await connected(raw(h.port, v), 'dev-2', 'secret-2');
    expect(v === 5 ? first.reasonCode : first.returnCode).toBe(0);
    expect(v === 5 ? second.reasonCode : second.returnCode).toBe(v === 5 ? 0x89 : 3);
  });

  it('closes a connection silent for 1.5 × its keep-alive', async () => {
    h = await startHarness();
    const r = raw(h.port, v);
    await connected(r, 'dev-1', 'secret-1', { keepalive: 1 });
    const started = Date.now();
    await r.closed;
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(1_300);
    if (v === 5) expect(r.of('disconnect')[0]?.reasonCode).toBe(0x8d);
  });

  it('refuses QoS 2 (v5: DISCONNECT 0x9B) and reports it', async () => {
    h = await startHarness();
    const r = raw(h.port, v);
    await connected(r);
    r.send(r.publishPacket(upTopic('dev-1'), 'q2', 9, 2));
    await r.closed;
    if (v === 5) expect(r.of('disconnect')[0]?.reasonCode).toBe(0x9b);
    expect(h.refused[0]).toMatchObject({ reason: 'qos_not_supported', qos: 2 });
    expect(h.received).toHaveLength(0);
  });

  it('closes gracefully: stops accepting, lets in-flight handlers finish and acknowledges them first', async () => {
    h = await startHarness();
    const gates = gated(h);
    const r = raw(h.port, v);
    await connected(r);
    r.send(r.publishPacket(upTopic('dev-1'), 'last', 1));
    await until(() => gates.length === 1);
    const closing = h.server.close(5_000);
    setTimeout(() => gates[0]?.resolve(), 200);
    expect(await closing).toBe(true);
    await r.closed;
    const kinds = r.packets.map((p) => p.cmd);
    expect(kinds.slice(1, 2)).toEqual(['puback']);
    expect((r.of('puback')[0] as IPubackPacket).messageId).toBe(1);
    if (v === 5) expect(r.of('disconnect')[0]?.reasonCode).toBe(0x8b);
    h = undefined;
  });
});
