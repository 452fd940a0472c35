import { createHash, timingSafeEqual } from 'node:crypto';
import { verifyPassword, type Hj212DeviceRecord } from '@voc/core';

/** Port: the logger registry as the gateway reads it (`Hj212DeviceRepository.byMn`). */
export interface LoggerDirectory {
  /** The logger entries of these MNs with their devices (absent MNs are not in the map). Throws only on infrastructure failure. */
  byMns(mns: readonly string[]): Promise<Map<string, Hj212DeviceRecord>>;
}

/** Most MNs per registry query of the batched lookup. */
const LOOKUP_BATCH = 500;

/**
 * Batches registry lookups: MNs asked for within one turn of the event loop go out as one query (at
 * most {@link LOOKUP_BATCH} per query, one query at a time), so 2,000 loggers reconnecting at once
 * cost a handful of queries instead of 2,000 pool checkouts.
 */
function batchedLookup(dir: LoggerDirectory): (mn: string) => Promise<Hj212DeviceRecord | undefined> {
  let pending = new Map<string, { resolve: (r: Hj212DeviceRecord | undefined) => void; reject: (e: unknown) => void }[]>();
  let scheduled = false;
  let chain: Promise<void> = Promise.resolve();
  const flush = () => {
    scheduled = false;
    const batch = pending;
    pending = new Map();
    const mns = [...batch.keys()];
    for (let i = 0; i < mns.length; i += LOOKUP_BATCH) {
      const part = mns.slice(i, i + LOOKUP_BATCH);
      chain = chain.then(() =>
        dir.byMns(part).then(
          (found) => part.forEach((mn) => batch.get(mn)!.forEach((w) => w.resolve(found.get(mn)))),
          (err: unknown) => part.forEach((mn) => batch.get(mn)!.forEach((w) => w.reject(err))),
        ),
      );
    }
  };
  return (mn) =>
    new Promise((resolve, reject) => {
      const list = pending.get(mn);
      if (list) list.push({ resolve, reject });
      else pending.set(mn, [{ resolve, reject }]);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
}

/** Why a frame was not authenticated (counted by reason, never told to the logger). */
export type AuthFailure = 'unknown_mn' | 'wrong_pw' | 'device_disabled';

/** Outcome of {@link Authenticator.authenticate}. */
export type AuthResult = { ok: true; logger: Hj212DeviceRecord } | { ok: false; failure: AuthFailure; detail: string };

/** Authenticates frames by MN + PW. */
export interface Authenticator {
  authenticate(mn: string, pw: string): Promise<AuthResult>;
  /** The registry entry of an MN without checking PW (to pick the codec settings that explain a rejected frame), or undefined. */
  settingsOf(mn: string): Promise<Hj212DeviceRecord | undefined>;
}

interface Cached {
  readonly at: number;
  /** The registry lookup, shared by every frame that arrives while it runs. */
  readonly logger: Promise<Hj212DeviceRecord | undefined>;
  /** SHA-256 of the PW last verified against the scrypt hash (so a verified logger costs no scrypt per frame). */
  verified?: Buffer;
  /** A verification running now, by SHA-256 hex of the PW tried (frames of one burst share it). */
  readonly verifying: Map<string, Promise<boolean>>;
}

const sha = (s: string) => createHash('sha256').update(s, 'latin1').digest();

/**
 * Builds the authenticator: the registry entry of an MN is cached for `ttlMs` (a logger sends one
 * frame a minute; a re-registration or disablement applies within the TTL), and once a PW verified
 * against the scrypt hash its SHA-256 is kept with the entry, so later frames compare in constant
 * time without another scrypt. Concurrent frames of one MN share one lookup and one verification. A
 * wrong PW is verified with scrypt every time (no cheap oracle for guesses).
 * @param now clock, epoch ms (tests inject)
 */
export function createAuthenticator(dir: LoggerDirectory, opts: { ttlMs: number; now?: () => number }): Authenticator {
  const cache = new Map<string, Cached>();
  const now = opts.now ?? Date.now;
  const byMn = batchedLookup(dir);
  const lookup = (mn: string): Cached => {
    const hit = cache.get(mn);
    if (hit && now() - hit.at < opts.ttlMs) return hit;
    const logger = byMn(mn);
    const entry: Cached = { at: now(), logger, verifying: new Map() };
    cache.set(mn, entry);
    logger.catch(() => cache.get(mn) === entry && cache.delete(mn)); // a failed lookup is not cached
    if (cache.size > 100_000) cache.delete(cache.keys().next().value as string);
    return entry;
  };
  return {
    async settingsOf(mn) {
      return lookup(mn).logger;
    },
    async authenticate(mn, pw) {
      const entry = lookup(mn);
      const logger = await entry.logger;
      if (!logger) return { ok: false, failure: 'unknown_mn', detail: `MN ${mn.slice(0, 24)} is not registered (voc devices hj212)` };
      const h = sha(pw);
      const known = entry.verified !== undefined && timingSafeEqual(entry.verified, h);
      if (!known) {
        const key = h.toString('hex');
        let v = entry.verifying.get(key);
        if (!v) {
          v = verifyPassword(pw, logger.pwHash);
          entry.verifying.set(key, v);
          void v.finally(() => entry.verifying.delete(key)).catch(() => undefined);
        }
        if (!(await v))
          return { ok: false, failure: 'wrong_pw', detail: `PW does not match the registry for MN ${mn} (device ${logger.deviceId})` };
        entry.verified = h;
      }
      if (logger.device.status !== 'active')
        return { ok: false, failure: 'device_disabled', detail: `device ${logger.deviceId} (MN ${mn}) is ${logger.device.status}` };
      return { ok: true, logger };
    },
  };
}
