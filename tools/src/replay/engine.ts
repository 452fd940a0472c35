import { deviceUpTopic, ERROR_CODES, VocError } from '@voc/domain';
import type { WireReading } from '@voc/domain';
import { SOURCE_IDS, type ReplayDevice, type ReplayItem, type SourceId } from './types.js';

/** MQTT credentials of one device, as `voc devices register` writes them (`--credentials-out`). */
export interface DeviceCredentials {
  readonly username: string;
  readonly password: string;
  readonly topic?: string;
}

/** The credentials file: device id → credentials. */
export type CredentialsFile = Readonly<Record<string, DeviceCredentials>>;

/** An authenticated MQTT connection of one device (adapter: `mqtt-publisher.ts`). */
export interface DevicePublisher {
  /**
   * Publishes with QoS 1. Resolves when the broker acknowledged (PUBACK with a success reason code);
   * rejects when the PUBACK carries an error code (e.g. 0x87 not authorized) or the connection fails.
   */
  publish(topic: string, payload: string): Promise<void>;
  /** Waits for in-flight messages, then disconnects. */
  close(): Promise<void>;
}

/** Wall clock (ms since epoch) and sleep; tests pass a fake. */
export interface ReplayClock {
  now(): number;
  /** Resolves after `ms` or, earlier, when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** A source as the engine sees it (`sources/index.ts` opens the file sources). */
export interface ReplaySourceHandle {
  readonly id: SourceId;
  devices(): Promise<ReplayDevice[]>;
  items(): AsyncIterable<ReplayItem>;
}

/** Receives progress: totals once (when counted), then acknowledged readings per source. */
export interface ReplayProgress {
  start(totals: Partial<Record<SourceId, number>>): void;
  update(source: SourceId, acknowledgedReadings: number, failedReadings: number): void;
  stop(): void;
}

/** What `replay` needs from outside. */
export interface ReplayDeps {
  /** Opens an authenticated connection as `device`; rejects when the broker refuses it. */
  connect(device: ReplayDevice, credentials: DeviceCredentials): Promise<DevicePublisher>;
  clock: ReplayClock;
  /** Opens a source by id (default wiring: `openSource(id, dataDir)`). */
  openSource(id: SourceId): ReplaySourceHandle;
  progress?: ReplayProgress;
}

/**
 * Options of {@link replay}.
 * - `speed`: time-compression factor (3600: one hour of data per second); `Infinity` publishes as fast
 *   as the broker acknowledges (still bounded by `maxRate`).
 * - `maxRate`: cap on messages per second over all sources (undefined: none).
 * - `from`/`to`: only readings with from ≤ ts < to.
 * - `batch`: readings per message (1-1000); a message is also cut before it would exceed `maxPayloadBytes`.
 * - `maxInFlight`: messages awaiting PUBACK at once over all devices (default 1000).
 * - `countFirst`: count each source's readings first, for progress totals (default: when `deps.progress`).
 */
export interface ReplayOptions {
  readonly sources: readonly SourceId[];
  readonly credentials: CredentialsFile;
  readonly speed: number;
  readonly maxRate?: number;
  readonly from?: Date;
  readonly to?: Date;
  readonly batch?: number;
  readonly maxPayloadBytes?: number;
  readonly maxInFlight?: number;
  readonly countFirst?: boolean;
  readonly signal?: AbortSignal;
}

/** Counters of a source or a device. `messages`, `readings`, `values`: acknowledged by the broker. */
export interface ReplayCounts {
  messages: number;
  readings: number;
  values: number;
  /** Messages whose PUBACK failed (error reason code or connection lost), and the readings they held. */
  failedMessages: number;
  failedReadings: number;
}

/**
 * Outcome of {@link replay}.
 * - `publishedAt`: device id → reading time (epoch ms) → wall-clock time (epoch ms) at which the message
 *   carrying it was handed to the MQTT client; acknowledged readings only. For publish-to-stored latency.
 * - `errors`: the first PUBACK errors (at most 20), `device: message`.
 * - `aborted`: true when `signal` stopped the replay early (counters cover what was published).
 */
export interface ReplayResult {
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly aborted: boolean;
  readonly sources: Record<string, ReplayCounts>;
  readonly devices: Record<string, ReplayCounts & { source: SourceId }>;
  readonly publishedAt: Map<string, Map<number, number>>;
  readonly errors: string[];
}

const zero = (): ReplayCounts => ({ messages: 0, readings: 0, values: 0, failedMessages: 0, failedReadings: 0 });

/** Thrown (code `VOC_ERR_INVALID_REQUEST`) before publishing anything when devices of the chosen sources have no credentials. */
export class MissingCredentialsError extends VocError {
  constructor(readonly deviceIds: readonly string[]) {
    super(
      ERROR_CODES.invalid_request,
      `no MQTT credentials for ${deviceIds.join(', ')} (register them with \`voc devices register data/demo/devices.csv --credentials-out <file>\`)`,
    );
    this.name = 'MissingCredentialsError';
  }
}

/** Spaces messages to at most `rate` per second over every caller (one shared limiter). */
class RateLimiter {
  private next = 0;
  constructor(
    private readonly rate: number,
    private readonly clock: ReplayClock,
  ) {}
  async take(signal?: AbortSignal): Promise<void> {
    const now = this.clock.now();
    const at = Math.max(now, this.next);
    this.next = at + 1000 / this.rate;
    if (at > now) await this.clock.sleep(at - now, signal);
  }
}

/** Counting semaphore bounding the messages awaiting PUBACK. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(n: number) {
    this.free = n;
  }
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const w = this.waiting.shift();
    if (w) w();
    else this.free++;
  }
}

/** The wire form of one reading (`wireReadingSchema`): ISO 8601 UTC time with `Z`. */
export function toWireReading(item: ReplayItem): WireReading {
  return {
    ts: item.ts.toISOString(),
    values: item.values.map((v) => ({ ...v })),
    ...(item.gps ? { gps: { ...item.gps } } : {}),
  };
}

/**
 * Publishes the readings of the chosen sources over MQTT as the devices that produced them.
 *
 * Each device gets its own authenticated connection (from `opts.credentials`) and publishes on its own
 * topic `voc/v1/{kind}/{id}/up` with QoS 1, keeping the original timestamps. Sources run concurrently,
 * each on its own clock: the first reading of a source is published at once and a reading `Δt` of data
 * time later is published `Δt / speed` of wall time later. With `batch` > 1 a device's readings are
 * grouped into `{ "readings": [...] }` messages, sent when full (so pacing follows the last reading).
 *
 * @returns counters per source and device, PUBACK failures and the publish time of each reading
 * @throws MissingCredentialsError before any publish when a device has no credentials
 * @throws the connection error when the broker refuses a device (nothing is published then)
 */
export async function replay(opts: ReplayOptions, deps: ReplayDeps): Promise<ReplayResult> {
  const { clock } = deps;
  const batch = Math.max(1, Math.min(1000, Math.floor(opts.batch ?? 1)));
  const maxBytes = opts.maxPayloadBytes ?? 256 * 1024;
  const speed = opts.speed > 0 ? opts.speed : Infinity;
  const fromMs = opts.from?.getTime() ?? -Infinity;
  const toMs = opts.to?.getTime() ?? Infinity;
  const inRange = (it: ReplayItem) => it.ts.getTime() >= fromMs && it.ts.getTime() < toMs;
  const startedAt = clock.now();
  // Stops every source when the caller aborts or when one source fails.
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) stop.abort();
  const signal = stop.signal;

  const handles = [...new Set(opts.sources)].sort((a, b) => SOURCE_IDS.indexOf(a) - SOURCE_IDS.indexOf(b)).map((id) => deps.openSource(id));
  const deviceLists = await Promise.all(handles.map(async (h) => ({ source: h.id, devices: await h.devices() })));
  const missing = deviceLists
    .flatMap((d) => d.devices)
    .filter((d) => !opts.credentials[d.deviceId])
    .map((d) => d.deviceId);
  if (missing.length) throw new MissingCredentialsError(missing);

  const sources: Record<string, ReplayCounts> = {};
  const devices: Record<string, ReplayCounts & { source: SourceId }> = {};
  for (const { source, devices: ds } of deviceLists) {
    sources[source] = zero();
    for (const d of ds) devices[d.deviceId] = { ...zero(), source };
  }

  if (deps.progress) {
    const totals: Partial<Record<SourceId, number>> = {};
    if (opts.countFirst ?? true) {
      for (const h of handles) {
        let n = 0;
        for await (const it of h.items()) {
          if (signal.aborted) break;
          if (inRange(it)) n++;
        }
        totals[h.id] = n;
      }
    }
    deps.progress.start(totals);
  }

  // Connect every device first: a refused device stops the replay before anything is published.
  const publishers = new Map<string, DevicePublisher>();
  const all = deviceLists.flatMap((d) => d.devices);
  const settled = await Promise.allSettled(
    all.map(async (d) => publishers.set(d.deviceId, await deps.connect(d, opts.credentials[d.deviceId]!))),
  );
  const refused = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (refused) {
    await Promise.allSettled([...publishers.values()].map((p) => p.close()));
    deps.progress?.stop();
    throw refused.reason;
  }

  const publishedAt = new Map<string, Map<number, number>>();
  const errors: string[] = [];
  const limiter = opts.maxRate && opts.maxRate > 0 ? new RateLimiter(opts.maxRate, clock) : undefined;
  const slots = new Slots(opts.maxInFlight ?? 1000);
  const pending = new Set<Promise<void>>();

  const send = async (source: SourceId, device: ReplayDevice, items: readonly ReplayItem[]) => {
    // --batch 1 sends the single-reading form; larger batches always the `{ readings }` form.
    const payload = batch === 1 ? JSON.stringify(toWireReading(items[0]!)) : JSON.stringify({ readings: items.map(toWireReading) });
    await limiter?.take(signal);
    if (signal.aborted) return;
    await slots.acquire();
    const at = clock.now();
    const values = items.reduce((n, it) => n + it.values.length, 0);
    const pub = publishers.get(device.deviceId)!;
    const p = pub
      .publish(deviceUpTopic(device.kind, device.deviceId), payload)
      .then(
        () => {
          for (const c of [sources[source]!, devices[device.deviceId]!]) {
            c.messages++;
            c.readings += items.length;
            c.values += values;
          }
          let m = publishedAt.get(device.deviceId);
          if (!m) publishedAt.set(device.deviceId, (m = new Map<number, number>()));
          for (const it of items) m.set(it.ts.getTime(), at);
        },
        (err: unknown) => {
          for (const c of [sources[source]!, devices[device.deviceId]!]) {
            c.failedMessages++;
            c.failedReadings += items.length;
          }
          if (errors.length < 20) errors.push(`${device.deviceId}: ${err instanceof Error ? err.message : String(err)}`);
        },
      )
      .finally(() => {
        slots.release();
        pending.delete(p);
        const s = sources[source]!;
        deps.progress?.update(source, s.readings, s.failedReadings);
      });
    pending.add(p);
  };

  const runSource = async (h: ReplaySourceHandle, ds: readonly ReplayDevice[]) => {
    const byId = new Map(ds.map((d) => [d.deviceId, d]));
    const buffers = new Map<string, { items: ReplayItem[]; bytes: number }>();
    let t0: number | undefined;
    let w0 = 0;
    for await (const it of h.items()) {
      if (signal.aborted) return;
      if (!inRange(it)) continue;
      const device = byId.get(it.deviceId);
      if (!device) throw new Error(`source ${h.id} yielded a reading of undeclared device ${it.deviceId}`);
      const t = it.ts.getTime();
      if (t0 === undefined) {
        t0 = t;
        w0 = clock.now();
      } else if (Number.isFinite(speed)) {
        const wait = w0 + (t - t0) / speed - clock.now();
        if (wait > 0) await clock.sleep(wait, signal);
        if (signal.aborted) return;
      }
      const size = JSON.stringify(toWireReading(it)).length + 1;
      let buf = buffers.get(it.deviceId);
      if (buf && buf.items.length > 0 && buf.bytes + size + 16 > maxBytes) {
        await send(h.id, device, buf.items);
        buf = undefined;
      }
      if (!buf) buffers.set(it.deviceId, (buf = { items: [], bytes: 0 }));
      buf.items.push(it);
      buf.bytes += size;
      if (buf.items.length >= batch) {
        buffers.delete(it.deviceId);
        await send(h.id, device, buf.items);
      }
    }
    for (const [id, buf] of buffers) if (buf.items.length) await send(h.id, byId.get(id)!, buf.items);
  };

  try {
    const runs = await Promise.allSettled(
      handles.map((h, i) =>
        runSource(h, deviceLists[i]!.devices).catch((err: unknown) => {
          stop.abort();
          throw err;
        }),
      ),
    );
    const failed = runs.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  } finally {
    while (pending.size) await Promise.allSettled([...pending]);
    await Promise.allSettled([...publishers.values()].map((p) => p.close()));
    opts.signal?.removeEventListener('abort', onAbort);
    deps.progress?.stop();
  }
  return { startedAt, finishedAt: clock.now(), aborted: opts.signal?.aborted ?? false, sources, devices, publishedAt, errors };
}
