import { createHmac, randomBytes } from 'node:crypto';
import type { Logger } from '@voc/domain';
import type { AuthResult, ConnectRequest } from '@voc/mqtt-server';
import type { DirectoryRecord, GatewayDirectory } from './directory.js';

/** Port: password hashing (`hashPassword`, `verifyPassword`, `needsRehash` of `@voc/core`). */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, encoded: string): Promise<boolean>;
  needsRehash(encoded: string): boolean;
}

/** Port: where an upgraded hash is stored (`DeviceRepository.upgradeCredentialHash` of `@voc/db`). */
export interface HashUpgrader {
  /** Replaces `oldHash` by `newHash` only if `oldHash` is still stored; false otherwise. */
  upgradeCredentialHash(id: string, oldHash: string, newHash: string): Promise<boolean>;
}

/** Dependencies of {@link createAuthenticator}. */
export interface AuthenticatorDeps {
  readonly directory: GatewayDirectory;
  readonly hasher: PasswordHasher;
  readonly upgrader: HashUpgrader;
  readonly log: Logger;
  /** Clock in ms (tests pass a fake one). */
  readonly now?: () => number;
}

/** Counters of {@link Authenticator}. */
export interface AuthStats {
  /** Logins whose password matched a remembered one (no KDF run). */
  verifiedFromMemory: number;
  /** Legacy hashes replaced by scrypt after a successful login. */
  upgraded: number;
  /** Logins with the previous password during a rotation. */
  previousPasswordLogins: number;
}

/** CONNECT authentication of the gateway endpoint (the `authenticate` port of `@voc/mqtt-server`). */
export interface Authenticator {
  authenticate(req: ConnectRequest): Promise<AuthResult>;
  stats(): AuthStats;
}

/** Shortest interval between two fresh registry reads after a failed password of one device, ms. */
const FRESH_READ_INTERVAL_MS = 2_000;

/** A successful verification remembered per device: an HMAC of the password under a per-process key, and the hash it matched. */
interface Verified {
  readonly hash: string;
  readonly mac: string;
}

/**
 * Builds the authenticator. The user name is the device id; the password is checked against the
 * registry's hash held in the directory (scrypt, or a legacy Mosquitto `$7$` PBKDF2 hash that is
 * replaced by scrypt after the login, compare-and-set so a rotation meanwhile wins). During a
 * rotation the previous hash is accepted until its `previousUntil`.
 *
 * Order of checks, so a wrong password learns nothing about the device's status: user name and
 * password present (else bad credentials), client id not another device's id (else client id not
 * allowed), device found (else "not authorised", or "server unavailable" when the registry cannot
 * answer), password (else bad credentials, after one fresh read of the device in case it was rotated
 * since the last refresh), then status (disabled: "not authorised").
 *
 * A verified password is remembered as an HMAC under a random per-process key, so a device that
 * reconnects often does not pay for a KDF run each time; a changed hash forgets it. At most
 * {@link MAX_KDF_PER_DEVICE} KDF runs per device id are in flight ("server busy" beyond).
 */
/**
 * Password checks (KDF runs) one device id may have in flight at once. A flood of wrong passwords for
 * one id would otherwise queue hundreds of scrypt runs on libuv's 4-thread pool and delay every other
 * device's CONNECT; beyond this the CONNECT is refused "server busy" and the device retries.
 */
export const MAX_KDF_PER_DEVICE = 2;

export function createAuthenticator(deps: AuthenticatorDeps): Authenticator {
  const { directory, hasher, log } = deps;
  const now = deps.now ?? Date.now;
  const key = randomBytes(32);
  const verified = new Map<string, Verified>();
  const freshReads = new Map<string, number>();
  const stats: AuthStats = { verifiedFromMemory: 0, upgraded: 0, previousPasswordLogins: 0 };
  const mac = (id: string, password: string) => createHmac('sha256', key).update(id).update('\0').update(password).digest('base64');

  const kdfInFlight = new Map<string, number>();

  async function check(r: DirectoryRecord, password: string): Promise<'current' | 'previous' | false | 'busy'> {
    const m = mac(r.id, password);
    const v = verified.get(r.id);
    if (r.credentialHash && v && v.hash === r.credentialHash && v.mac === m) {
      stats.verifiedFromMemory++;
      return 'current';
    }
    const running = kdfInFlight.get(r.id) ?? 0;
    if (running >= MAX_KDF_PER_DEVICE) return 'busy';
    kdfInFlight.set(r.id, running + 1);
    try {
      if (r.credentialHash && (await hasher.verify(password, r.credentialHash))) {
        verified.set(r.id, { hash: r.credentialHash, mac: m });
        return 'current';
      }
      if (r.previousCredentialHash && r.previousUntil && r.previousUntil.getTime() > now()) {
        if (await hasher.verify(password, r.previousCredentialHash)) return 'previous';
      }
      return false;
    } finally {
      const left = (kdfInFlight.get(r.id) ?? 1) - 1;
      if (left > 0) kdfInFlight.set(r.id, left);
      else kdfInFlight.delete(r.id);
    }
  }

  function upgrade(r: DirectoryRecord, password: string): void {
    const old = r.credentialHash;
    if (!old || !hasher.needsRehash(old)) return;
    void (async () => {
      const fresh = await hasher.hash(password);
      if (await deps.upgrader.upgradeCredentialHash(r.id, old, fresh)) {
        const cur = directory.peek(r.id);
        if (cur && cur.credentialHash === old) directory.put({ ...cur, credentialHash: fresh });
        verified.set(r.id, { hash: fresh, mac: mac(r.id, password) });
        stats.upgraded++;
        log.info({ deviceId: r.id }, 'device password hash upgraded to scrypt');
      }
    })().catch((err: unknown) => log.warn({ err, deviceId: r.id }, 'device password hash upgrade failed; retried on the next login'));
  }

  return {
    async authenticate(req) {
      const id = req.username;
      if (!id || !req.password || req.password.length === 0) return { ok: false, reason: 'bad_credentials' };
      const password = req.password.toString('utf8');
      if (req.clientId !== '' && req.clientId !== id && directory.peek(req.clientId)) return { ok: false, reason: 'client_id_not_allowed' };
      let found = await directory.lookup(id);
      if (!found.found) return { ok: false, reason: found.unavailable ? 'server_unavailable' : 'not_authorized' };
      let matched = await check(found.found, password);
      if (matched === 'busy') return { ok: false, reason: 'server_busy' };
      if (!matched && directory.healthy() && now() - (freshReads.get(id) ?? -Infinity) >= FRESH_READ_INTERVAL_MS) {
        // Rotated (or re-registered) since the last refresh: one fresh read before refusing (at most one per device per interval).
        freshReads.set(id, now());
        if (freshReads.size > 10_000) freshReads.delete(freshReads.keys().next().value as string);
        found = await directory.lookup(id, { fresh: true });
        if (found.found) matched = await check(found.found, password);
        if (matched === 'busy') return { ok: false, reason: 'server_busy' };
      }
      if (!matched || !found.found) return { ok: false, reason: 'bad_credentials' };
      const r = found.found;
      if (r.status !== 'active') return { ok: false, reason: 'not_authorized' };
      if (matched === 'previous') stats.previousPasswordLogins++;
      else upgrade(r, password);
      return { ok: true, deviceId: r.id };
    },
    stats: () => ({ ...stats }),
  };
}
