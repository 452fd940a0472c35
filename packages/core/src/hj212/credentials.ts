import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * HJ 212 data-logger passwords (`PW`). The protocol sends PW in clear text in every frame (SPEC-NOTES
 * §2), so it protects nothing on the wire; the registry still stores only a salted scrypt hash (RFC
 * 7914), so a leaked database does not give out the loggers' passwords. Format:
 * `scrypt$<N>$<r>$<p>$<salt base64>$<hash base64>`; the cost travels with the hash, so it can be raised
 * later without invalidating stored ones.
 */

/** Default scrypt cost: N = 2^15, r = 8, p = 1 (32 MiB, tens of ms per hash; RFC 7914 §2 interactive-login scale). */
export const HJ212_SCRYPT_DEFAULTS = { N: 2 ** 15, r: 8, p: 1 } as const;

const KEY_LEN = 32;

function scryptAsync(pw: string, salt: Buffer, o: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(pw, salt, KEY_LEN, { ...o, maxmem: 256 * (o.N ?? 1) * (o.r ?? 8) + 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/**
 * Hashes a logger password with a fresh 16-byte salt.
 * @param cost scrypt N, r, p (default {@link HJ212_SCRYPT_DEFAULTS}; benchmarks register thousands of loggers with a lower N and say so)
 */
export async function hashHj212Password(pw: string, cost: { N: number; r: number; p: number } = HJ212_SCRYPT_DEFAULTS): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(pw, salt, cost);
  return `scrypt$${cost.N}$${cost.r}$${cost.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/**
 * Checks a password against a stored hash in constant time.
 * @returns false for a wrong password or a hash not in the format above (never throws on a bad hash)
 */
export async function verifyHj212Password(pw: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (![N, r, p].every((x) => Number.isInteger(x) && x > 0) || N > 2 ** 20) return false;
  const salt = Buffer.from(parts[4]!, 'base64');
  const want = Buffer.from(parts[5]!, 'base64');
  if (want.length !== KEY_LEN) return false;
  const got = await scryptAsync(pw, salt, { N, r, p });
  return timingSafeEqual(got, want);
}
