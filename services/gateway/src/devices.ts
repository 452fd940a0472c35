import type { Device } from '@voc/domain';
import type { DeviceDirectory } from '@voc/ingest';

/** Port: where devices are looked up on a cache miss (`DeviceRepository` satisfies it). */
export interface DeviceSource {
  get(id: string): Promise<Device | undefined>;
}

/** Options of {@link createDeviceDirectory}. */
export interface DeviceDirectoryOptions {
  /** How long a lookup (found or not) is reused, ms (`config.ingest.deviceCacheTtlMs`, default 5000). 0 disables caching. */
  readonly ttlMs: number;
  /** Most ids kept; the oldest entry is evicted beyond it (default 100 000). */
  readonly maxEntries?: number;
  /** Clock in ms (tests pass a fake one). */
  readonly now?: () => number;
}

interface Entry {
  device: Device | undefined;
  expiresAt: number;
}

/**
 * A {@link DeviceDirectory} that caches registry lookups for `ttlMs`, including "not registered"
 * answers (negative caching), so a device registered, disabled or re-enabled takes effect within the
 * TTL while a burst of messages costs one query. Concurrent misses for the same id share one query.
 * Lookup failures are not cached: the error reaches the caller, which retries the message.
 */
export function createDeviceDirectory(source: DeviceSource, opts: DeviceDirectoryOptions): DeviceDirectory & { size(): number } {
  const now = opts.now ?? Date.now;
  const maxEntries = opts.maxEntries ?? 100_000;
  const cache = new Map<string, Entry>();
  const inflight = new Map<string, Promise<Device | undefined>>();

  return {
    size: () => cache.size,
    get(id) {
      const hit = cache.get(id);
      if (hit && hit.expiresAt > now()) return Promise.resolve(hit.device);
      if (hit) cache.delete(id);
      const pending = inflight.get(id);
      if (pending) return pending;
      const p = source.get(id).then(
        (device) => {
          inflight.delete(id);
          if (opts.ttlMs > 0) {
            cache.set(id, { device, expiresAt: now() + opts.ttlMs });
            if (cache.size > maxEntries) {
              const oldest = cache.keys().next();
              if (!oldest.done) cache.delete(oldest.value);
            }
          }
          return device;
        },
        (err: unknown) => {
          inflight.delete(id);
          throw err;
        },
      );
      inflight.set(id, p);
      return p;
    },
  };
}
