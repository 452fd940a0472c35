import { setTimeout as sleepFor } from 'node:timers/promises';
import type { Message } from 'kafkajs';
import type { Logger, RejectReason, Rejection } from '@voc/domain';
import { backoffDelay, chunkByWeight, DEAD_LETTER_MAX_PAYLOAD_BYTES, deadLetter, deadLetterRecord, readingRecord } from '@voc/messaging';
import type { IngestResult, RejectedItem } from '@voc/ingest';
import type { IngestService } from './ingest.js';

/** One MQTT message handed to the pipeline. `ack()` releases its PUBACK; it is called only after Kafka acknowledged everything the message became. */
export interface InboundMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly receivedAt: Date;
  /** An outcome decided before the pipeline (a publish the endpoint refused): only its dead letters are produced. */
  readonly preset?: IngestResult;
  /** Size the device declared when `payload` is only the head of what it sent (oversize), bytes. */
  readonly declaredBytes?: number;
  ack(): void;
}

/** Port: a Kafka producer (`kafkajs` `Producer.sendBatch` satisfies it). Must resolve only once the brokers acknowledged with `acks`. */
export interface RecordSink {
  sendBatch(batch: { topicMessages: { topic: string; messages: Message[] }[]; acks: number }): Promise<unknown>;
}

/** Counters since start. */
export interface GatewayStats {
  /** MQTT messages received. */
  received: number;
  /** MQTT messages acknowledged after Kafka accepted what they became. */
  acked: number;
  /** Readings produced to the readings topic, and their values. */
  acceptedReadings: number;
  acceptedValues: number;
  /** Rejected items (whole messages, readings or values) by reason. */
  rejected: Partial<Record<RejectReason, number>>;
  /** Records produced to the dead-letter topic (one per message and reason). */
  deadLetters: number;
  /** Successful `sendBatch` calls, and failed attempts that were retried. */
  kafkaBatches: number;
  kafkaRetries: number;
  /** Device lookups that failed and were retried. */
  ingestRetries: number;
  /** Messages received and not yet acknowledged. */
  pending: number;
}

/** Options of {@link createPipeline}. */
export interface PipelineOptions {
  readonly ingest: IngestService;
  readonly sink: RecordSink;
  /** Kafka topic names (`topicNames(prefix)`). */
  readonly topics: { readonly readings: string; readonly deadletter: string };
  /** How long the first message of a batch waits for company, ms (`config.ingest.lingerMs`, default 5). */
  readonly lingerMs: number;
  /** Most MQTT messages per batch (`config.ingest.maxBatch`, default 2000). */
  readonly maxBatch: number;
  /**
   * Most record bytes (key + value + headers) per `sendBatch`, default 900 KiB: a batch above it is
   * split, so no partition's record batch exceeds the broker's default `message.max.bytes` (1 MiB).
   */
  readonly maxRequestBytes?: number;
  /** Backoff of retried Kafka sends and device lookups: doubles from `initialMs` up to `maxMs` (defaults 100 ms, 10 s). */
  readonly retry?: { readonly initialMs: number; readonly maxMs: number };
  readonly log: Logger;
  /** Called after each acknowledged `sendBatch` with its duration (ms) and record count (Kafka latency metric). */
  readonly observeProduce?: (ms: number, records: number) => void;
  /** Sleep used between retries (tests pass a fake); must reject when `signal` aborts. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** The batching stage between MQTT and Kafka. */
export interface Pipeline {
  /** Accepts one message; validation starts at once, the Kafka produce within `lingerMs`. */
  push(msg: InboundMessage): void;
  /**
   * Flushes everything pushed so far (no new linger) and waits for it, at most `timeoutMs`. After the
   * timeout, retries stop and unflushed messages stay unacknowledged (the broker redelivers them).
   * @returns true when every pushed message was produced and acknowledged
   */
  drain(timeoutMs: number): Promise<boolean>;
  stats(): GatewayStats;
}

/** Longest dead-letter detail, characters. */
const MAX_DETAIL = 4000;
/** Details and paths listed when one message has several rejections with the same reason. */
const GROUP_DETAILS = 5;
const GROUP_PATHS = 50;

interface Item {
  msg: InboundMessage;
  result: Promise<IngestResult>;
  /** Date.now() at push, for the linger. */
  at: number;
  /** Value of the recovery counter when `result` was started (see `settle`). */
  epoch: number;
}

class Aborted extends Error {}

/**
 * Builds the pipeline: each message is validated as it arrives; messages are batched for up to
 * `lingerMs` or `maxBatch`, and one batch at a time is produced with `acks: -1` (readings to the
 * readings topic keyed by device id, rejections to the dead-letter topic). Messages are acknowledged,
 * in arrival order, only after every record of their batch was acknowledged, so PUBACKs leave in the
 * order the PUBLISHes came (MQTT 5 §4.6). Kafka and device-lookup failures are retried with backoff
 * and never drop a message. Rejections of one message with the same reason share one dead letter
 * (all paths listed), so a 1000-reading batch with a bad clock costs one copy of its payload, not 1000.
 */
export function createPipeline(opts: PipelineOptions): Pipeline {
  const { ingest, sink, topics, log } = opts;
  const maxRequestBytes = opts.maxRequestBytes ?? 900 * 1024;
  const retry = opts.retry ?? { initialMs: 100, maxMs: 10_000 };
  const sleep = opts.sleep ?? ((ms: number, signal: AbortSignal) => sleepFor(ms, undefined, { signal }));
  const abort = new AbortController();

  const stats: GatewayStats = {
    received: 0,
    acked: 0,
    acceptedReadings: 0,
    acceptedValues: 0,
    rejected: {},
    deadLetters: 0,
    kafkaBatches: 0,
    kafkaRetries: 0,
    ingestRetries: 0,
    pending: 0,
  };

  let queue: Item[] = [];
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> | undefined;
  let draining = false;
  const idleWaiters: (() => void)[] = [];

  /** Incremented each time a retried lookup succeeds: failures started before it are stale. */
  let recoveries = 0;

  const start = (msg: InboundMessage): Item => {
    const result = msg.preset ? Promise.resolve(msg.preset) : ingest.ingest(msg.topic, msg.payload, msg.receivedAt);
    result.catch(() => undefined); // awaited (and retried) in order by the flush
    return { msg, result, at: Date.now(), epoch: recoveries };
  };

  function schedule(): void {
    if (flushing || queue.length === 0) return;
    const oldest = (queue[0] as Item).at;
    const due = draining || queue.length >= opts.maxBatch ? 0 : Math.max(0, oldest + opts.lingerMs - Date.now());
    if (due === 0) {
      if (timer) clearTimeout(timer);
      timer = undefined;
      flushing = flushLoop();
      return;
    }
    timer ??= setTimeout(() => {
      timer = undefined;
      schedule();
    }, due);
  }

  async function flushLoop(): Promise<void> {
    try {
      while (queue.length > 0 && !abort.signal.aborted) {
        const batch = queue.slice(0, opts.maxBatch);
        queue = queue.slice(batch.length);
        await flush(batch);
        if (queue.length < opts.maxBatch && !draining) break;
      }
    } catch (err) {
      if (!(err instanceof Aborted)) log.error({ err }, 'gateway batch failed; its messages stay unacknowledged');
    } finally {
      flushing = undefined;
      if (queue.length === 0 || abort.signal.aborted) idleWaiters.splice(0).forEach((w) => w());
      else schedule();
    }
  }

  async function backoff(attempt: number): Promise<void> {
    const ms = backoffDelay(attempt + 1, { baseMs: retry.initialMs, maxMs: retry.maxMs });
    try {
      await sleep(ms, abort.signal);
    } catch {
      throw new Aborted();
    }
  }

  /**
   * The ingest result of a message, retrying failed device lookups with backoff. Every message pushed
   * during an outage already holds a failed lookup; once one retry succeeded (the registry is back),
   * those stale failures are retried at once rather than each waiting out a backoff of its own, which
   * would hold a backlog of n messages for n × the initial backoff after the outage ended.
   */
  async function settle(item: Item): Promise<IngestResult> {
    let failed = false;
    for (let attempt = 0; ;) {
      try {
        const r = await item.result;
        if (failed) recoveries++;
        return r;
      } catch (err) {
        if (abort.signal.aborted) throw new Aborted();
        failed = true;
        stats.ingestRetries++;
        if (item.epoch < recoveries) {
          log.debug({ topic: item.msg.topic }, 'device lookup failed before the registry came back; retrying now');
        } else {
          log.warn({ err, topic: item.msg.topic, attempt }, 'device lookup failed; retrying the message');
          await backoff(attempt++);
        }
        item.epoch = recoveries;
        item.result = item.msg.preset
          ? Promise.resolve(item.msg.preset)
          : ingest.ingest(item.msg.topic, item.msg.payload, item.msg.receivedAt);
      }
    }
  }

  async function flush(batch: Item[]): Promise<void> {
    const readings: Message[] = [];
    const dead: Message[] = [];
    let acceptedValues = 0;
    const rejectedCounts: Partial<Record<RejectReason, number>> = {};
    for (const item of batch) {
      const r = await settle(item);
      for (const m of r.accepted) {
        readings.push(readingRecord(m, item.msg.topic));
        acceptedValues += m.values.length;
      }
      for (const rej of r.rejected) rejectedCounts[rej.rejection.reason] = (rejectedCounts[rej.rejection.reason] ?? 0) + 1;
      for (const d of deadLettersOf(item.msg, r.rejected)) dead.push(d);
      if (r.rejected.length > 0) {
        log.debug({ topic: item.msg.topic, reasons: r.rejected.map((x) => x.rejection.reason) }, 'message rejected in part or whole');
      }
    }
    const chunks = chunkBySize(
      [...readings.map((m) => ({ topic: topics.readings, m })), ...dead.map((m) => ({ topic: topics.deadletter, m }))],
      maxRequestBytes,
    );
    for (const chunk of chunks) {
      const byTopic = new Map<string, Message[]>();
      for (const { topic, m } of chunk) {
        const list = byTopic.get(topic);
        if (list) list.push(m);
        else byTopic.set(topic, [m]);
      }
      const topicMessages = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
      for (let attempt = 0; ; attempt++) {
        if (abort.signal.aborted) throw new Aborted();
        try {
          const t0 = performance.now();
          await sink.sendBatch({ topicMessages, acks: -1 });
          opts.observeProduce?.(performance.now() - t0, chunk.length);
          stats.kafkaBatches++;
          break;
        } catch (err) {
          if (abort.signal.aborted) throw new Aborted();
          stats.kafkaRetries++;
          log.warn({ err, attempt, records: chunk.length }, 'Kafka produce failed; retrying, MQTT messages stay unacknowledged');
          await backoff(attempt);
        }
      }
    }
    stats.acceptedReadings += readings.length;
    stats.acceptedValues += acceptedValues;
    stats.deadLetters += dead.length;
    for (const [reason, n] of Object.entries(rejectedCounts) as [RejectReason, number][])
      stats.rejected[reason] = (stats.rejected[reason] ?? 0) + n;
    for (const item of batch) {
      item.msg.ack();
      stats.acked++;
      stats.pending--;
    }
  }

  return {
    push(msg) {
      stats.received++;
      stats.pending++;
      queue.push(start(msg));
      schedule();
    },
    async drain(timeoutMs) {
      draining = true;
      if (queue.length === 0 && !flushing) return true;
      const idle = new Promise<void>((resolve) => idleWaiters.push(resolve));
      schedule();
      let deadline: NodeJS.Timeout | undefined;
      const timedOut = new Promise<false>((resolve) => {
        deadline = setTimeout(() => resolve(false), timeoutMs);
      });
      const done = await Promise.race([idle.then(() => true as const), timedOut]);
      clearTimeout(deadline);
      if (!done || queue.length > 0) {
        abort.abort();
        return false;
      }
      return true;
    },
    stats: () => ({ ...stats, rejected: { ...stats.rejected } }),
  };
}

/**
 * Dead letters of one message: one per rejection reason. Several rejections with one reason (e.g.
 * every reading of a batch from a device with a wrong clock) share a dead letter whose `path` lists
 * them and whose detail quotes the first few.
 */
export function deadLettersOf(
  msg: Pick<InboundMessage, 'topic' | 'payload' | 'receivedAt' | 'declaredBytes'>,
  rejected: readonly RejectedItem[],
): Message[] {
  if (rejected.length === 0) return [];
  const groups = new Map<RejectReason, RejectedItem[]>();
  for (const r of rejected) {
    const g = groups.get(r.rejection.reason);
    if (g) g.push(r);
    else groups.set(r.rejection.reason, [r]);
  }
  const truncated = msg.payload.length > DEAD_LETTER_MAX_PAYLOAD_BYTES;
  const payload = truncated ? msg.payload.subarray(0, DEAD_LETTER_MAX_PAYLOAD_BYTES) : msg.payload;
  const declared = msg.declaredBytes ?? msg.payload.length;
  const note = truncated
    ? ` [the dead letter keeps the first ${DEAD_LETTER_MAX_PAYLOAD_BYTES} of ${msg.payload.length} payload bytes]`
    : msg.declaredBytes !== undefined
      ? ` [the dead letter keeps the first ${payload.length} bytes of a packet of ${declared} bytes]`
      : '';
  const out: Message[] = [];
  for (const [reason, items] of groups) {
    const first = items[0] as RejectedItem;
    let rejection: Rejection = first.rejection;
    let path = first.path;
    if (items.length > 1) {
      const shown = items.slice(0, GROUP_DETAILS).map((i) => i.rejection.detail);
      const more = items.length > GROUP_DETAILS ? ` | and ${items.length - GROUP_DETAILS} more` : '';
      rejection = { reason, detail: `${items.length} parts of the message rejected: ${shown.join(' | ')}${more}` };
      const paths = items.map((i) => i.path ?? '(message)');
      path = paths.slice(0, GROUP_PATHS).join(', ') + (paths.length > GROUP_PATHS ? `, and ${paths.length - GROUP_PATHS} more` : '');
    }
    const detail =
      rejection.detail.length + note.length > MAX_DETAIL
        ? `${rejection.detail.slice(0, MAX_DETAIL - note.length - 1)}…${note}`
        : rejection.detail + note;
    const dl = deadLetter(
      { reason, detail },
      {
        stage: 'gateway',
        payload,
        receivedAt: msg.receivedAt,
        mqttTopic: msg.topic,
        ...(first.deviceId ? { deviceId: first.deviceId } : {}),
        ...(path ? { path } : {}),
      },
    );
    out.push(deadLetterRecord({ ...dl, payloadBytes: declared }));
  }
  return out;
}

/** Approximate wire size of a record: key, value and headers. */
function recordBytes(m: Message): number {
  let n = 70; // per-record framing overhead, generous
  if (m.key) n += typeof m.key === 'string' ? Buffer.byteLength(m.key) : m.key.length;
  if (m.value) n += typeof m.value === 'string' ? Buffer.byteLength(m.value) : m.value.length;
  for (const [k, v] of Object.entries(m.headers ?? {}))
    n += k.length + (typeof v === 'string' ? Buffer.byteLength(v) : Buffer.isBuffer(v) ? v.length : 64);
  return n;
}

/** Splits records, in order, into chunks of at most `maxBytes` (a larger single record travels alone). */
export function chunkBySize<T extends { m: Message }>(records: readonly T[], maxBytes: number): T[][] {
  return chunkByWeight(records, (r) => recordBytes(r.m), maxBytes);
}
