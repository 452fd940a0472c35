import { silentLogger } from '@voc/domain/testing';
import { describe, expect, it } from 'vitest';
import type { Device } from '@voc/domain';
import type { DeviceDirectory } from '@voc/ingest';
import { createIngestService } from './ingest.js';
import { createPipeline, type InboundMessage, type RecordSink } from './pipeline.js';

const silent = silentLogger;
const SETTINGS = { maxPayloadBytes: 1024 * 1024, allowedLatenessMs: 7 * 86400_000, maxClockSkewMs: 300_000 };
const DEVICE: Device = { id: 'dev-r', kind: 'fixed', status: 'active', name: null, sensor: null, lat: 39.9, lon: 116.4, metadata: {} };

describe('gateway pipeline after a registry outage', () => {
  it('retries the lookups that failed during the outage at once instead of one backoff per message', async () => {
    const registry = { down: true };
    const devices: DeviceDirectory = {
      get: () => (registry.down ? Promise.reject(new Error('connect ECONNREFUSED')) : Promise.resolve(DEVICE)),
    };
    const sleeps: number[] = [];
    // The registry comes back during the third backoff wait.
    const sleep = (ms: number, signal: AbortSignal) => {
      sleeps.push(ms);
      if (sleeps.length === 3) registry.down = false;
      return new Promise<void>((resolve, reject) => setImmediate(() => (signal.aborted ? reject(new Error('aborted')) : resolve())));
    };
    const produced: number[] = [];
    const sink: RecordSink = {
      sendBatch: (b) => {
        for (const t of b.topicMessages) produced.push(t.messages.length);
        return Promise.resolve();
      },
    };
    const pipeline = createPipeline({
      ingest: createIngestService({ devices, settings: SETTINGS }),
      sink,
      topics: { readings: 't.readings', deadletter: 't.deadletter' },
      lingerMs: 1,
      maxBatch: 1000,
      log: silent,
      sleep,
    });

    const N = 200;
    let acked = 0;
    for (let i = 0; i < N; i++) {
      const payload = Buffer.from(
        JSON.stringify({ ts: new Date().toISOString(), seq: i, values: [{ metric: 'tvoc', value: i, unit: 'ug/m3' }] }),
      );
      pipeline.push({ topic: 'voc/v1/fixed/dev-r/up', payload, receivedAt: new Date(), ack: () => acked++ } satisfies InboundMessage);
    }
    expect(await pipeline.drain(10_000)).toBe(true);

    expect(acked).toBe(N);
    expect(produced.reduce((a, b) => a + b, 0)).toBe(N);
    // Only the first message backs off while the registry is down; the other N − 1 stale failures do not wait.
    expect(sleeps).toHaveLength(3);
    expect(pipeline.stats().ingestRetries).toBe(3 + (N - 1));
  });
});
