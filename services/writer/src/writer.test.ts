import { describe, expect, it } from 'vitest';
import { KAFKA_HEADERS, SCHEMA_IDS, type DeadLetter, type Logger, type ReadingMessage } from '@voc/domain';
import { buildReading } from '@voc/domain/testing';
import {
  BatchAbandoned,
  backoffDelay,
  DEAD_LETTER_MAX_PAYLOAD_BYTES as MAX_DEAD_LETTER_PAYLOAD_BYTES,
  settleBatch,
  type BatchControl,
} from '@voc/messaging';
import { parseReadingValue, StreamWriter, type ReadingStore, type RecordHeaders, type SourceBatch } from './writer.js';

// Unit tests of the writer's batch logic. The database and Kafka sit behind the service's own ports
// (ReadingStore, DeadLetterSink); the integration tests run them against the real services. Time is
// faked: sleeps resolve at once and are recorded.

type Line = { level: string; obj: Record<string, unknown>; msg: string };

function memoryLog(lines: Line[]): Logger {
  const at = (level: string) => (obj: object, msg: string) => lines.push({ level, obj: obj as Record<string, unknown>, msg });
  const log: Logger = { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug'), child: () => log };
  return log;
}

/** Reading `i` of a device: two values (tvoc, benzene) equal to `i`, `i` seconds after 2024-05-01T00:00Z. */
function reading(deviceId: string, i: number): ReadingMessage {
  return buildReading(
    deviceId,
    Date.UTC(2024, 4, 1, 0, 0, i),
    [
      { metric: 'tvoc', value: i },
      { metric: 'benzene', value: i },
    ],
    { h3: '8c31aa5a9d4b1ff' },
  );
}

/** A partition batch at offsets 100, 101, ...: key and headers as the gateway writes them (`readingRecord`); a string value is keyed `dev`. */
function batch(values: (ReadingMessage | string)[], headers: (deviceId: string) => RecordHeaders = gatewayHeaders): SourceBatch {
  return {
    topic: 'voc.readings.v1',
    partition: 2,
    records: values.map((v, i) => {
      const deviceId = typeof v === 'string' ? 'dev' : v.deviceId;
      return {
        offset: String(100 + i),
        key: Buffer.from(deviceId),
        value: Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)),
        timestamp: '1714521600000',
        headers: headers(deviceId),
      };
    }),
  };
}

function gatewayHeaders(deviceId: string): RecordHeaders {
  return { [KAFKA_HEADERS.schema]: Buffer.from(SCHEMA_IDS.reading), [KAFKA_HEADERS.deviceId]: Buffer.from(deviceId) };
}

/** In-memory store keyed like the table: (device, metric, time). Refuses devices named `refuse*` as data (SQLSTATE 22008). */
class MemoryStore implements ReadingStore {
  readonly keys = new Set<string>();
  statements = 0;
  outageCalls = 0;
  async insertBatch(messages: readonly ReadingMessage[]): Promise<number> {
    this.statements++;
    if (this.outageCalls > 0) {
      this.outageCalls--;
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    }
    if (messages.some((m) => m.deviceId.startsWith('refuse')))
      throw Object.assign(new Error('date/time field value out of range'), { code: '22008' });
    let n = 0;
    for (const m of messages)
      for (const v of m.values) {
        const k = `${m.deviceId}|${v.metric}|${m.time}`;
        if (!this.keys.has(k)) {
          this.keys.add(k);
          n++;
        }
      }
    return n;
  }
}

function setup(opts: { maxBatchRows?: number } = {}) {
  const lines: Line[] = [];
  const store = new MemoryStore();
  const published: DeadLetter[][] = [];
  const sleeps: number[] = [];
  const writer = new StreamWriter({
    store,
    errors: {
      isTransient: (e) => (e as { code?: string }).code === 'ECONNREFUSED',
      isRefused: (e) => /^2[23]/.test((e as { code?: string }).code ?? ''),
    },
    deadLetters: { publish: async (l) => void published.push([...l]) },
    log: memoryLog(lines),
    options: { maxBatchRows: opts.maxBatchRows ?? 1000, retryMaxMs: 2000, retryBaseMs: 250 },
    sleep: async (ms) => void sleeps.push(ms),
  });
  return { writer, store, published, sleeps, lines };
}

const alive = (): BatchControl & { beats: number } => {
  const c = { beats: 0, heartbeat: async () => void c.beats++, abandoned: () => false };
  return c;
};

describe('stream writer batch logic', () => {
  it('stores a batch in chunks of at most maxBatchRows rows and counts duplicates', async () => {
    const { writer, store } = setup({ maxBatchRows: 4 });
    const msgs = [0, 1, 2, 3, 4].map((i) => reading('dev-1', i));
    expect(await writer.storeBatch(batch([...msgs, msgs[0]!]), alive())).toBe('stored');
    expect(store.statements).toBe(3);
    expect(writer.counters).toMatchObject({ batches: 1, messages: 6, rowsInserted: 10, duplicates: 2, deadLettered: 0 });
  });

  it('isolates the reading the database refuses, stores its neighbours and dead-letters it with the error', async () => {
    const { writer, store, published } = setup();
    const msgs = [reading('dev-1', 0), reading('dev-1', 1), reading('refuse-1', 2), reading('dev-1', 3), reading('dev-1', 4)];
    expect(await writer.storeBatch(batch(msgs), alive())).toBe('stored');
    expect(store.keys.size).toBe(8);
    expect(published).toHaveLength(1);
    expect(published[0]).toHaveLength(1);
    expect(published[0]![0]).toMatchObject({
      reason: 'unstorable',
      stage: 'writer',
      source: { topic: 'voc.readings.v1', partition: 2, offset: '102' },
      detail: 'database refused the reading: date/time field value out of range (SQLSTATE 22008)',
    });
    expect(Buffer.from(published[0]![0]!.payload, 'base64').toString()).toBe(JSON.stringify(msgs[2]));
  });

  it('dead-letters values that are not reading messages without calling the store for them', async () => {
    const { writer, store, published } = setup();
    const bad = { ...reading('dev-1', 9), h3: 'not-a-cell' };
    expect(await writer.storeBatch(batch(['{oops', reading('dev-1', 0), bad]), alive())).toBe('stored');
    expect(store.keys.size).toBe(2);
    expect(published[0]?.map((l) => l.source?.offset)).toEqual(['100', '102']);
    expect(published[0]?.[0]?.detail).toMatch(/^value is not JSON: /);
    expect(published[0]?.[1]?.detail).toBe('h3 "not-a-cell" is not an H3 cell index (15 hex digits)');
    expect(writer.counters.deadLettered).toBe(2);
  });

  it('retries while the database is unreachable with capped exponential backoff, heartbeating, logging each attempt', async () => {
    const { writer, store, sleeps, lines } = setup();
    store.outageCalls = 6;
    const control = alive();
    expect(await writer.storeBatch(batch([reading('dev-1', 0)]), control)).toBe('stored');
    expect(store.keys.size).toBe(2);
    // Waits of 250, 500, 1000, 2000, 2000, 2000 ms, slept in slices of at most 1 s.
    expect(sleeps.reduce((a, b) => a + b, 0)).toBe(7750);
    expect(Math.max(...sleeps)).toBeLessThanOrEqual(1000);
    expect(control.beats).toBeGreaterThanOrEqual(sleeps.length);
    const retries = lines.filter((l) => l.level === 'warn' && l.msg === 'insert readings failed; retrying');
    expect(retries.map((l) => [l.obj.attempt, l.obj.delayMs])).toEqual([
      [1, 250],
      [2, 500],
      [3, 1000],
      [4, 2000],
      [5, 2000],
      [6, 2000],
    ]);
    expect(writer.counters.retries).toBe(6);
  });

  it('gives the batch up uncommitted when the consumer stops during an outage', async () => {
    const { writer, store } = setup();
    store.outageCalls = 1000;
    let checks = 0;
    const control: BatchControl = { heartbeat: async () => undefined, abandoned: () => ++checks > 3 };
    expect(await writer.storeBatch(batch([reading('dev-1', 0)]), control)).toBe('abandoned');
    expect(writer.counters).toMatchObject({ batches: 0, messages: 0, abandoned: 1 });
  });
});

describe('writer helpers', () => {
  it('backs off exponentially up to the cap', () => {
    expect([1, 2, 3, 4, 5, 40].map((n) => backoffDelay(n, { baseMs: 250, maxMs: 30_000 }))).toEqual([250, 500, 1000, 2000, 4000, 30_000]);
  });

  it('parses reading messages and explains what is wrong with the rest', () => {
    expect(parseReadingValue(Buffer.from(JSON.stringify(reading('d-1', 0)))).ok).toBe(true);
    const r = parseReadingValue(Buffer.from('{"deviceId":1}'));
    expect(!r.ok && r.detail).toMatch(/^value is not a reading message: deviceId: /);
    expect(parseReadingValue(null)).toEqual({ ok: false, detail: 'record has no value' });
  });
});

describe('writer dead letters', () => {
  it('refuses records the gateway did not write: unknown schema header, or key, header and value naming different devices', async () => {
    const { writer, store, published } = setup();
    const good = reading('dev-1', 0);
    const b = batch([good, good, good, good, reading('dev-1', 1)]);
    const [, noSchema, otherSchema, keyOther, headerOther] = b.records;
    noSchema!.headers = { [KAFKA_HEADERS.deviceId]: 'dev-1' };
    otherSchema!.headers = { ...gatewayHeaders('dev-1'), [KAFKA_HEADERS.schema]: 'voc.reading.v0' };
    keyOther!.key = Buffer.from('dev-2');
    headerOther!.headers = { ...gatewayHeaders('dev-2') };
    expect(await writer.storeBatch(b, alive())).toBe('stored');
    expect(store.keys.size).toBe(2);
    expect(published[0]?.map((l) => [l.source?.offset, l.reason, l.code])).toEqual([
      ['101', 'unknown_schema', 'VOC_ERR_UNKNOWN_SCHEMA'],
      ['102', 'unknown_schema', 'VOC_ERR_UNKNOWN_SCHEMA'],
      ['103', 'device_id_mismatch', 'VOC_ERR_DEVICE_ID_MISMATCH'],
      ['104', 'device_id_mismatch', 'VOC_ERR_DEVICE_ID_MISMATCH'],
    ]);
    expect(published[0]?.[0]?.detail).toBe('record has no voc-schema header; the readings topic carries voc.reading.v1');
    expect(published[0]?.[1]?.detail).toBe('voc-schema header "voc.reading.v0" is not voc.reading.v1');
    expect(published[0]?.[2]?.detail).toBe('device id disagrees: key "dev-2", voc-device-id header "dev-1", value "dev-1"');
    expect(published[0]?.[3]?.detail).toBe('device id disagrees: key "dev-1", voc-device-id header "dev-2", value "dev-1"');
  });

  it('refuses a reading record without a key or device header', async () => {
    const { writer, published } = setup();
    const b = batch([reading('dev-1', 0)], () => ({ [KAFKA_HEADERS.schema]: SCHEMA_IDS.reading }));
    b.records[0]!.key = null;
    expect(await writer.storeBatch(b, alive())).toBe('stored');
    expect(published[0]?.[0]).toMatchObject({
      reason: 'device_id_mismatch',
      detail: 'device id disagrees: key absent, voc-device-id header absent, value "dev-1"',
    });
  });

  it('cuts an oversize raw value so the dead letter stays publishable, keeping its full size', async () => {
    const { writer, published } = setup();
    const huge = 'x'.repeat(MAX_DEAD_LETTER_PAYLOAD_BYTES + 10);
    expect(await writer.storeBatch(batch([huge]), alive())).toBe('stored');
    const letter = published[0]?.[0];
    expect(letter?.payloadBytes).toBe(MAX_DEAD_LETTER_PAYLOAD_BYTES + 10);
    expect(Buffer.from(letter?.payload ?? '', 'base64').length).toBe(MAX_DEAD_LETTER_PAYLOAD_BYTES);
    expect(letter?.detail).toMatch(new RegExp(`payload cut to its first ${MAX_DEAD_LETTER_PAYLOAD_BYTES} bytes`));
  });
});

describe('settleBatch', () => {
  const records = [{ offset: '7' }, { offset: '8' }];

  it('reports finished work as stored and abandoned work as abandoned, counted, with one warn line', async () => {
    const lines: Line[] = [];
    const counters = { abandoned: 0 };
    expect(await settleBatch(records, 'dead-letter batch', memoryLog(lines), counters, async () => undefined)).toBe('stored');
    expect(counters.abandoned).toBe(0);
    expect(
      await settleBatch(records, 'dead-letter batch', memoryLog(lines), counters, async () => {
        throw new BatchAbandoned();
      }),
    ).toBe('abandoned');
    expect(counters.abandoned).toBe(1);
    expect(lines).toEqual([
      {
        level: 'warn',
        obj: { firstOffset: '7', records: 2 },
        msg: 'dead-letter batch abandoned uncommitted; it will be redelivered',
      },
    ]);
  });

  it('lets any other error through without counting the batch', async () => {
    const counters = { abandoned: 0 };
    const boom = new Error('rebalancing');
    await expect(
      settleBatch(records, 'batch', memoryLog([]), counters, async () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(counters.abandoned).toBe(0);
  });
});
