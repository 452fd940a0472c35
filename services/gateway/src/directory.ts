import type { Device, Logger } from '@voc/domain';
import type { DeviceDirectory } from '@voc/ingest';

/**
 * One device as the directory keeps it: the registry row with its credential hashes (never a
 * password). `DeviceCredentialRecord` of `@voc/db` has this shape.
 */
export interface DirectoryRecord extends Device {
  readonly credentialHash: string | null;
  /** Hash of the password before a rotation, accepted until `previousUntil`. */
  readonly previousCredentialHash: string | null;
  readonly previousUntil: Date | null;
  readonly updatedAt: Date;
}

/** Port: the registry as the directory reads it (`DeviceRepository` of `@voc/db` satisfies it). */
export interface DirectorySource {
  /** Every device, or those whose `updated_at` is at or after `since`; `readAt` is the database time of the read. */
  credentialSnapshot(since?: Date): Promise<{ rows: DirectoryRecord[]; readAt: Date }>;
  /** One device, read now. */
  credentialRecord(id: string): Promise<DirectoryRecord | undefined>;
}

/** Options of {@link createDeviceDirectory}. */
export interface DeviceDirectoryOptions {
  /** Period of the incremental refresh, ms (`config.ingest.deviceRefreshMs`, default 2000). */
  readonly refreshMs: number;
  /** Period of the full re-read, ms (`config.ingest.deviceFullRefreshMs`, default 5 min). */
  readonly fullRefreshMs: number;
  /** Called when a refresh sees a device disabled or removed (the endpoint closes its connections). */
  readonly onRevoked?: (id: string) => void;
  readonly log: Logger;
  /** Clock in ms (tests pass a fake one). */
  readonly now?: () => number;
}

/** Answer of {@link GatewayDirectory.lookup}. `unavailable`: not in memory and the registry cannot answer. */
export type Lookup = { readonly found: DirectoryRecord } | { readonly found: undefined; readonly unavailable: boolean };

/** The gateway's in-memory device directory. */
export interface GatewayDirectory extends DeviceDirectory {
  /** First full read; rejects when the registry cannot be read (the gateway fails at boot). */
  start(): Promise<void>;
  /** Stops the background refresh. */
  stop(): void;
  /**
   * A device for CONNECT: from memory; on a miss, one registry read (a device registered since the
   * last refresh), with misses remembered for one refresh period. While the registry is unreachable a
   * miss is `unavailable` (the device gets "server unavailable" and retries).
   */
  lookup(id: string, opts?: { fresh?: boolean }): Promise<Lookup>;
  /** The record in memory, without any read (topic authorisation per PUBLISH). */
  peek(id: string): DirectoryRecord | undefined;
  /** Replaces a record in memory (after the gateway upgraded a hash). */
  put(record: DirectoryRecord): void;
  /** Whether the last refresh succeeded. */
  healthy(): boolean;
  size(): number;
}

/**
 * Overlap of incremental reads, ms: a transaction that stamped `updated_at = now()` at its start and
 * committed after the previous read still falls inside the next one if it ran for less than this.
 */
const OVERLAP_MS = 30_000;

/**
 * Builds the directory: every device with its credential hashes and status in memory, refreshed in
 * the background (incremental every `refreshMs`, full every `fullRefreshMs`). A failed refresh keeps
 * the last good copy, so known devices keep connecting and publishing while PostgreSQL is down, and is
 * retried on the next period. `get` (the ingest port) answers from memory and reads through on a miss.
 */
export function createDeviceDirectory(source: DirectorySource, opts: DeviceDirectoryOptions): GatewayDirectory {
  const now = opts.now ?? Date.now;
  const records = new Map<string, DirectoryRecord>();
  const misses = new Map<string, number>();
  let since: Date | undefined;
  let lastFull = 0;
  let ok = false;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let failures = 0;

  function apply(r: DirectoryRecord): void {
    const before = records.get(r.id);
    records.set(r.id, r);
    misses.delete(r.id);
    if (before && before.status === 'active' && r.status !== 'active') opts.onRevoked?.(r.id);
  }

  async function refresh(): Promise<void> {
    const full = since === undefined || now() - lastFull >= opts.fullRefreshMs;
    const from = full || !since ? undefined : new Date(since.getTime() - OVERLAP_MS);
    const snap = await source.credentialSnapshot(from);
    if (full) {
      const seen = new Set(snap.rows.map((r) => r.id));
      for (const id of [...records.keys()]) {
        if (!seen.has(id)) {
          records.delete(id);
          opts.onRevoked?.(id);
        }
      }
      lastFull = now();
    }
    for (const r of snap.rows) apply(r);
    since = snap.readAt;
  }

  function schedule(): void {
    if (!running) return;
    timer = setTimeout(() => {
      refresh()
        .then(
          () => {
            if (!ok || failures > 0) opts.log.info({ devices: records.size }, 'device directory refreshed');
            ok = true;
            failures = 0;
          },
          (err: unknown) => {
            if (failures++ === 0 || failures % 30 === 0)
              opts.log.warn({ err, devices: records.size, failures }, 'device directory refresh failed; serving the last good copy');
            ok = false;
          },
        )
        .finally(schedule);
    }, opts.refreshMs);
    timer.unref();
  }

  return {
    async start() {
      await refresh();
      ok = true;
      running = true;
      schedule();
    },
    stop() {
      running = false;
      if (timer) clearTimeout(timer);
    },
    async lookup(id, o = {}) {
      const hit = records.get(id);
      if (hit && !o.fresh) return { found: hit };
      const missedAt = misses.get(id);
      if (!hit && !o.fresh && missedAt !== undefined && now() - missedAt < opts.refreshMs) return { found: undefined, unavailable: false };
      if (!ok && !hit) return { found: undefined, unavailable: true };
      try {
        const r = await source.credentialRecord(id);
        if (r) apply(r);
        else {
          misses.set(id, now());
          if (misses.size > 10_000) misses.delete(misses.keys().next().value as string);
        }
        return r ? { found: r } : { found: undefined, unavailable: false };
      } catch {
        return hit ? { found: hit } : { found: undefined, unavailable: true };
      }
    },
    peek: (id) => records.get(id),
    put: (r) => void records.set(r.id, r),
    healthy: () => ok,
    size: () => records.size,
    async get(id) {
      const hit = records.get(id);
      if (hit) return hit;
      const r = await source.credentialRecord(id);
      if (r) apply(r);
      return r;
    },
  };
}
