import { setTimeout as sleep } from 'node:timers/promises';
import type { Message } from 'kafkajs';
import type { Logger } from '@voc/domain';
import { backoffDelay, chunkByWeight } from '@voc/messaging';

/** Port: a Kafka producer (`kafkajs` `Producer.sendBatch`); resolves only once the brokers acknowledged with `acks`. */
export interface RecordSink {
  sendBatch(batch: { topicMessages: { topic: string; messages: Message[] }[]; acks: number }): Promise<unknown>;
}

/** Records of one frame (or message) for one or two topics. */
export interface Outgoing {
  readonly topic: string;
  readonly message: Message;
}

/** Batches records of every connection into few `sendBatch` calls. */
export interface BatchingProducer {
  /**
   * Queues records and resolves once Kafka acknowledged every one of them (`acks: -1`). Failed
   * sends are retried with backoff until they succeed or the producer stops (then it rejects: the
   * frames stay unanswered and the logger sends them again).
   */
  send(records: readonly Outgoing[]): Promise<void>;
  /** Records queued or in flight. */
  readonly pending: number;
  /** Stops retrying; queued sends reject. */
  stop(): void;
}

interface Waiting {
  readonly records: readonly Outgoing[];
  resolve(): void;
  reject(err: Error): void;
}

/** Most record bytes per `sendBatch` (below the broker's default 1 MiB `message.max.bytes`). */
const MAX_REQUEST_BYTES = 900 * 1024;

const weight = (o: Outgoing) => 100 + (typeof o.message.value === 'string' ? o.message.value.length : (o.message.value?.length ?? 0));

/**
 * Builds the batching producer: the first record waits `lingerMs` for company (or less when
 * `maxBatch` records are queued), one batch is in flight at a time, and a batch's callers resolve
 * together when Kafka acknowledged it.
 */
export function createBatchingProducer(o: {
  sink: RecordSink;
  lingerMs: number;
  maxBatch: number;
  log: Logger;
  retry?: { initialMs: number; maxMs: number };
  onBatch?: (records: number, seconds: number) => void;
}): BatchingProducer {
  const retry = o.retry ?? { initialMs: 100, maxMs: 10_000 };
  let queue: Waiting[] = [];
  let queued = 0;
  let inflight = 0;
  let flushing = false;
  let timer: NodeJS.Timeout | undefined;
  const abort = new AbortController();

  const schedule = () => {
    if (flushing || queue.length === 0) return;
    if (queued >= o.maxBatch || o.lingerMs === 0) void flush();
    else timer ??= setTimeout(() => void flush(), o.lingerMs);
  };

  async function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (flushing) return;
    flushing = true;
    try {
      while (queue.length > 0 && !abort.signal.aborted) {
        const batch: Waiting[] = [];
        let n = 0;
        while (queue.length > 0 && (n === 0 || n + queue[0]!.records.length <= o.maxBatch)) {
          const w = queue.shift()!;
          batch.push(w);
          n += w.records.length;
        }
        queued -= n;
        inflight += n;
        try {
          await sendAll(batch.flatMap((w) => w.records));
          for (const w of batch) w.resolve();
        } catch (err) {
          for (const w of batch) w.reject(err as Error);
        } finally {
          inflight -= n;
        }
        if (queue.length > 0 && queued < o.maxBatch) break; // let the next batch linger for company
      }
    } finally {
      flushing = false;
      schedule();
    }
  }

  async function sendAll(records: Outgoing[]): Promise<void> {
    const t0 = process.hrtime.bigint();
    for (const chunk of chunkByWeight(records, weight, MAX_REQUEST_BYTES)) {
      const byTopic = new Map<string, Message[]>();
      for (const r of chunk) {
        const list = byTopic.get(r.topic);
        if (list) list.push(r.message);
        else byTopic.set(r.topic, [r.message]);
      }
      const topicMessages = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
      for (let attempt = 0; ; attempt++) {
        if (abort.signal.aborted) throw new Error('producer stopped');
        try {
          await o.sink.sendBatch({ topicMessages, acks: -1 });
          break;
        } catch (err) {
          o.log.warn({ err, attempt, records: chunk.length }, 'Kafka produce failed; retrying, the loggers stay unanswered');
          await sleep(backoffDelay(attempt + 1, { baseMs: retry.initialMs, maxMs: retry.maxMs }), undefined, {
            signal: abort.signal,
          }).catch(() => undefined);
        }
      }
    }
    o.onBatch?.(records.length, Number(process.hrtime.bigint() - t0) / 1e9);
  }

  return {
    send(records) {
      if (records.length === 0) return Promise.resolve();
      if (abort.signal.aborted) return Promise.reject(new Error('producer stopped'));
      return new Promise<void>((resolve, reject) => {
        queue.push({ records, resolve, reject });
        queued += records.length;
        schedule();
      });
    },
    get pending() {
      return queued + inflight;
    },
    stop() {
      abort.abort();
      if (timer) clearTimeout(timer);
      const left = queue;
      queue = [];
      queued = 0;
      for (const w of left) w.reject(new Error('producer stopped'));
    },
  };
}
