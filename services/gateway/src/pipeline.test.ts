import { silentLogger } from '@voc/domain/testing';
import { describe, expect, it } from 'vitest';
import type { Message } from 'kafkajs';
import { DEAD_LETTER_MAX_PAYLOAD_BYTES } from '@voc/messaging';
import { deadLetterSchema, readingMessageSchema, type Device } from '@voc/domain';
import type { DeviceDirectory } from '@voc/ingest';
import { createIngestService } from './ingest.js';
import { chunkBySize, createPipeline, deadLettersOf, type InboundMessage, type RecordSink } from './pipeline.js';

const TOPICS = { readings: 't.readings', deadletter: 't.deadletter' };
const silent = silentLogger;
/** Backoff without waiting, but through the macrotask queue so a retry loop never starves timers. */
const noSleep = (_ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => setImmediate(() => (signal.aborted ? reject(new Error('aborted')) : resolve())));
const SETTINGS = { maxPayloadBytes: 1024 * 1024, allowedLatenessMs: 7 * 86400_000, maxClockSkewMs: 300_000 };
const D1: Device = { id: 'dev-1', kind: 'fixed', status: 'active', name: null, sensor: null, lat: 39.9, lon: 116.4, metadata: {} };

type Batch = Parameters<RecordSink['sendBatch']>[0];

/** A Kafka stand-in for unit tests: records every call; each call's outcome is decided by `next`. */
function fakeSink() {
  const calls: Batch[] = [];
  const gates: { resolve: () => void; reject: (e: Error) => void }[] = [];
  let mode: 'ok' | 'hold' | 'fail' = 'ok';
  const sink: RecordSink = {
    sendBatch(b) {
      calls.push(b);
      if (mode === 'fail') return Promise.reject(new Error('broker not available'));
      if (mode === 'hold') return new Promise<void>((resolve, reject) => gates.push({ resolve, reject }));
      return Promise.resolve();
    },
  };
  return { sink, calls, gates, set: (m: typeof mode) => (mode = m) };
}

function directory(fail = { n: 0 }): DeviceDirectory {
  return {
    get: (id) => {
      if (fail.n > 0) {
        fail.n--;
        return Promise.reject(new Error('database unavailable'));
      }
      return Promise.resolve(id === D1.id ? D1 : undefined);
    },
  };
}

const acks: string[] = [];
function msg(seq: number, body?: string): InboundMessage {
  const payload = Buffer.from(
    body ?? JSON.stringify({ ts: new Date().toISOString(), seq, values: [{ metric: 'tvoc', value: seq, unit: 'ug/m3' }] }),
  );
  return { topic: 'voc/v1/fixed/dev-1/up', payload, receivedAt: new Date(), ack: () => acks.push(`m${seq}`) };
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 2));
  expect(cond()).toBe(true);
};

function build(sink: RecordSink, extra: Partial<Parameters<typeof createPipeline>[0]> = {}, fail?: { n: number }) {
  acks.length = 0;
  return createPipeline({
    ingest: createIngestService({ devices: directory(fail), settings: SETTINGS }),
    sink,
    topics: TOPICS,
    lingerMs: 10,
    maxBatch: 100,
    log: silent,
    sleep: noSleep,
    ...extra,
  });
}

const values = (b: Batch, topic: string): unknown[] =>
  b.topicMessages.filter((t) => t.topic === topic).flatMap((t) => t.messages.map((m): unknown => JSON.parse(String(m.value))));

describe('gateway pipeline', () => {
  it('batches messages into one produce and acknowledges them, in order, only after Kafka did', async () => {
    const k = fakeSink();
    k.set('hold');
    const p = build(k.sink);
    for (let i = 0; i < 3; i++) p.push(msg(i));
    await until(() => k.calls.length === 1);
    expect(acks).toEqual([]);
    expect(k.calls[0]!.acks).toBe(-1);
    const readings = values(k.calls[0]!, TOPICS.readings);
    expect(readings.map((r) => readingMessageSchema.parse(r).seq)).toEqual([0, 1, 2]);
    expect(k.calls[0]!.topicMessages[0]!.messages[0]!.key).toBe('dev-1');
    k.gates[0]!.resolve();
    await until(() => acks.length === 3);
    expect(acks).toEqual(['m0', 'm1', 'm2']);
    expect(p.stats()).toMatchObject({ received: 3, acked: 3, pending: 0, acceptedReadings: 3, acceptedValues: 3, kafkaBatches: 1 });
  });

  it('retries a failed produce without acknowledging, and never drops', async () => {
    const k = fakeSink();
    k.set('fail');
    const p = build(k.sink);
    p.push(msg(1));
    await until(() => k.calls.length >= 5);
    expect(acks).toEqual([]);
    k.set('ok');
    await until(() => acks.length === 1);
    expect(p.stats().kafkaRetries).toBeGreaterThanOrEqual(4);
    expect(p.stats().kafkaBatches).toBe(1);
    // every attempt carried the same record
    expect(new Set(k.calls.map((c) => JSON.stringify(values(c, TOPICS.readings)))).size).toBe(1);
  });

  it('retries a message whose device lookup failed', async () => {
    const k = fakeSink();
    const p = build(k.sink, {}, { n: 3 });
    p.push(msg(1));
    await until(() => acks.length === 1);
    expect(p.stats()).toMatchObject({ ingestRetries: 3, acceptedReadings: 1 });
  });

  it('cuts batches at maxBatch messages', async () => {
    const k = fakeSink();
    const p = build(k.sink, { maxBatch: 2 });
    for (let i = 0; i < 5; i++) p.push(msg(i));
    await until(() => acks.length === 5);
    expect(k.calls.map((c) => values(c, TOPICS.readings).length)).toEqual([2, 2, 1]);
    expect(acks).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });

  it('splits a batch above maxRequestBytes into several produces and acknowledges after the last', async () => {
    const k = fakeSink();
    k.set('hold');
    const p = build(k.sink, { maxRequestBytes: 1200 });
    for (let i = 0; i < 4; i++) p.push(msg(i));
    await until(() => k.calls.length === 1);
    k.gates[0]!.resolve();
    await until(() => k.calls.length === 2);
    expect(acks).toEqual([]);
    k.set('ok');
    k.gates[1]!.resolve();
    await until(() => acks.length === 4);
    expect(k.calls.flatMap((c) => values(c, TOPICS.readings).map((r) => (r as { seq: number }).seq))).toEqual([0, 1, 2, 3]);
  });

  it('sends rejections to the dead-letter topic in the same produce as the good readings', async () => {
    const k = fakeSink();
    const p = build(k.sink);
    p.push(msg(1));
    p.push(msg(2, '{not json'));
    p.push(msg(3));
    await until(() => acks.length === 3);
    expect(k.calls).toHaveLength(1);
    const dead = values(k.calls[0]!, TOPICS.deadletter).map((d) => deadLetterSchema.parse(d));
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({
      reason: 'malformed_json',
      code: 'VOC_ERR_MALFORMED_JSON',
      stage: 'gateway',
      deviceId: 'dev-1',
      mqttTopic: 'voc/v1/fixed/dev-1/up',
      payloadEncoding: 'base64',
      payloadBytes: 9,
    });
    expect(Buffer.from(dead[0]!.payload, 'base64').toString()).toBe('{not json');
    expect(p.stats().rejected).toEqual({ malformed_json: 1 });
    expect(p.stats().deadLetters).toBe(1);
  });

  it('on drain flushes what it has; after the timeout it stops retrying and acknowledges nothing', async () => {
    const k = fakeSink();
    const p = build(k.sink, { lingerMs: 60_000 });
    p.push(msg(1));
    expect(await p.drain(5000)).toBe(true);
    expect(acks).toEqual(['m1']);

    const k2 = fakeSink();
    k2.set('fail');
    const p2 = build(k2.sink, {
      sleep: (ms, signal) => new Promise((resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))),
    });
    p2.push(msg(2));
    expect(await p2.drain(50)).toBe(false);
    expect(acks).toEqual([]);
    expect(p2.stats().pending).toBe(1);
  });
});

describe('dead letters of one message', () => {
  const base = { topic: 'voc/v1/fixed/dev-1/up', receivedAt: new Date('2026-03-01T08:00:00Z') };
  const parse = (m: Message) => deadLetterSchema.parse(JSON.parse(String(m.value)));

  it('shares one dead letter among rejections with the same reason, listing every path', () => {
    const rejected = Array.from({ length: 60 }, (_, i) => ({
      deviceId: 'dev-1',
      path: `readings[${i}]`,
      rejection: { reason: 'timestamp_in_future' as const, detail: `readings[${i}].ts is ahead` },
    }));
    rejected.push({
      deviceId: 'dev-1',
      path: 'readings[3].values[0]',
      rejection: { reason: 'value_out_of_range' as unknown as 'timestamp_in_future', detail: 'out' },
    });
    const out = deadLettersOf({ ...base, payload: Buffer.from('{}') }, rejected).map(parse);
    expect(out.map((d) => d.reason)).toEqual(['timestamp_in_future', 'value_out_of_range']);
    expect(out[0]!.detail).toMatch(/^60 parts of the message rejected: readings\[0\]\.ts is ahead \| .* \| and 55 more$/);
    expect(out[0]!.path).toMatch(/^readings\[0\], readings\[1\], .*readings\[49\], and 10 more$/);
    expect(out[1]).toMatchObject({ path: 'readings[3].values[0]', detail: 'out' });
  });

  it('keeps at most 512 KiB of a huge payload and says so', () => {
    const payload = Buffer.alloc(DEAD_LETTER_MAX_PAYLOAD_BYTES + 10, 0x61);
    const [d] = deadLettersOf({ ...base, payload }, [
      { deviceId: 'dev-1', rejection: { reason: 'payload_too_large', detail: 'too big' } },
    ]).map(parse);
    expect(Buffer.from(d!.payload, 'base64').length).toBe(DEAD_LETTER_MAX_PAYLOAD_BYTES);
    expect(d!.payloadBytes).toBe(DEAD_LETTER_MAX_PAYLOAD_BYTES + 10);
    expect(d!.detail).toContain(`keeps the first ${DEAD_LETTER_MAX_PAYLOAD_BYTES} of ${DEAD_LETTER_MAX_PAYLOAD_BYTES + 10} payload bytes`);
  });
});

describe('chunkBySize', () => {
  it('keeps order, respects the limit and lets an oversize record travel alone', () => {
    const r = (n: number) => ({ m: { key: null, value: 'x'.repeat(n) } as Message, n });
    const chunks = chunkBySize([r(100), r(100), r(1000), r(50)], 400);
    expect(chunks.map((c) => c.map((x) => x.n))).toEqual([[100, 100], [1000], [50]]);
  });
});
