import type { Logger } from '@voc/domain';

/**
 * Retry and isolation helpers shared by the stream writer and the dead-letter store: both consume a
 * Kafka batch, store it in one go, and must neither skip a batch while the database is away nor let
 * one bad record block its partition.
 */

/** Hooks of the consumer running the batch (kafkajs `eachBatch` payload, reduced). */
export interface BatchControl {
  /** Tells the group coordinator the member is alive; throws when the group is rebalancing. */
  heartbeat(): Promise<void>;
  /** True when the batch must be given up uncommitted: the consumer is stopping or the partition was revoked. */
  abandoned(): boolean;
}

/** How a batch ended: durably handled (commit its offsets) or given up (do not commit; it is redelivered). */
export type BatchOutcome = 'stored' | 'abandoned';

/** Thrown out of a retry wait when {@link BatchControl.abandoned} turns true. */
export class BatchAbandoned extends Error {
  constructor() {
    super('batch abandoned: consumer stopping or partition revoked');
    this.name = 'BatchAbandoned';
  }
}

/** Waits `ms` milliseconds; tests may pass a fake. */
export type Sleep = (ms: number) => Promise<void>;

/** Real-time {@link Sleep}. */
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Longest single wait between two heartbeats while backing off (ms); below kafkajs' default 3 s heartbeat interval. */
const HEARTBEAT_SLICE_MS = 1000;

/** Backoff settings: delay of attempt n (1-based) is min(maxMs, baseMs × 2^(n−1)). */
export interface Backoff {
  baseMs: number;
  maxMs: number;
}

/** First retry wait when the settings give none, ms (`retryBaseMs` of the writer and the dead-letter store). */
export const DEFAULT_RETRY_BASE_MS = 250;

/**
 * Backoff from a consumer's retry settings: `retryBaseMs` (ms, default {@link DEFAULT_RETRY_BASE_MS})
 * doubling up to `retryMaxMs` (ms, `VOC_WRITER_RETRY_MAX_MS`).
 */
export function backoffOf(options: { retryBaseMs?: number; retryMaxMs: number }): Backoff {
  return { baseMs: options.retryBaseMs ?? DEFAULT_RETRY_BASE_MS, maxMs: options.retryMaxMs };
}

/** Delay before retry number `attempt` (1-based), ms. */
export function backoffDelay(attempt: number, b: Backoff): number {
  return Math.min(b.maxMs, b.baseMs * 2 ** Math.min(attempt - 1, 30));
}

/** What {@link retryUntilDone} needs besides the operation. */
export interface RetryContext {
  /** Short name of the operation for the log line, e.g. `insert readings`. */
  what: string;
  control: BatchControl;
  log: Logger;
  backoff: Backoff;
  sleep: Sleep;
  /** True when the error may go away by itself (retry); false rethrows it at once. */
  retryable(err: unknown): boolean;
  /** True when the error is an expected outage (logged at warn); unexpected ones are logged at error. */
  expected(err: unknown): boolean;
  /** Called once per retry (counters). */
  onRetry(): void;
}

/**
 * Runs `op` until it succeeds, waiting with exponential backoff (capped at `backoff.maxMs`) after each
 * retryable failure and heartbeating the consumer group while waiting.
 * @throws the first non-retryable error of `op`
 * @throws BatchAbandoned when the consumer stops or the batch goes stale while waiting
 * @throws whatever `control.heartbeat()` throws (a rebalance: kafkajs rejoins the group)
 */
export async function retryUntilDone<T>(op: () => Promise<T>, ctx: RetryContext): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      if (err instanceof BatchAbandoned || !ctx.retryable(err)) throw err;
      const delayMs = backoffDelay(attempt, ctx.backoff);
      ctx.onRetry();
      const fields = { attempt, delayMs, err };
      if (ctx.expected(err)) ctx.log.warn(fields, `${ctx.what} failed; retrying`);
      else ctx.log.error(fields, `${ctx.what} failed unexpectedly; retrying`);
      await waitAlive(delayMs, ctx.control, ctx.sleep);
    }
  }
}

/** Sleeps `ms` in slices, heartbeating between them; gives up as soon as the batch is abandoned. */
async function waitAlive(ms: number, control: BatchControl, sleep: Sleep): Promise<void> {
  let left = ms;
  while (left > 0) {
    if (control.abandoned()) throw new BatchAbandoned();
    const slice = Math.min(left, HEARTBEAT_SLICE_MS);
    await sleep(slice);
    left -= slice;
    await control.heartbeat();
  }
  if (control.abandoned()) throw new BatchAbandoned();
}

/**
 * Runs the work of one batch of `records` and says how it ended. A {@link BatchAbandoned} out of
 * `work` counts in `counters.abandoned`, is logged at warn (`<what> abandoned uncommitted; …`, with
 * the first offset and record count) and reported as `abandoned`: nothing may be committed, the batch
 * is redelivered. `work` counts what it stored itself, as its last step.
 * @param what the batch in the log line, e.g. `batch`, `dead-letter batch`
 * @returns `stored` when `work` resolves, `abandoned` when it threw BatchAbandoned
 * @throws any other error of `work` (e.g. a heartbeat failing during a rebalance)
 */
export async function settleBatch(
  records: readonly { offset: string }[],
  what: string,
  log: Logger,
  counters: { abandoned: number },
  work: () => Promise<void>,
): Promise<BatchOutcome> {
  try {
    await work();
    return 'stored';
  } catch (err) {
    if (!(err instanceof BatchAbandoned)) throw err;
    counters.abandoned++;
    log.warn({ firstOffset: records[0]?.offset, records: records.length }, `${what} abandoned uncommitted; it will be redelivered`);
    return 'abandoned';
  }
}

/**
 * Stores `items` with `store`, isolating the ones it refuses: when the whole set is refused
 * (`refused(err)`), it is split in halves and each half stored on its own, down to single items, which
 * go to `onRefused` with the error. Sets that succeed are stored (in separate transactions); errors that
 * are not refusals propagate.
 * @returns the sum of what `store` returned for the sets it stored
 */
export async function storeIsolating<T>(
  items: readonly T[],
  store: (items: readonly T[]) => Promise<number>,
  refused: (err: unknown) => boolean,
  onRefused: (item: T, err: unknown) => Promise<void> | void,
): Promise<number> {
  if (items.length === 0) return 0;
  try {
    return await store(items);
  } catch (err) {
    if (err instanceof BatchAbandoned || !refused(err)) throw err;
    if (items.length === 1) {
      await onRefused(items[0] as T, err);
      return 0;
    }
    const mid = Math.ceil(items.length / 2);
    const a = await storeIsolating(items.slice(0, mid), store, refused, onRefused);
    const b = await storeIsolating(items.slice(mid), store, refused, onRefused);
    return a + b;
  }
}

/** Text of an error for a dead letter's `detail`: message plus SQLSTATE when there is one. */
export function errorText(err: unknown): string {
  const e = err as { message?: unknown; code?: unknown } | undefined;
  const msg = typeof e?.message === 'string' ? e.message : String(err);
  return typeof e?.code === 'string' ? `${msg} (SQLSTATE ${e.code})` : msg;
}
