import { pbkdf2, randomBytes as nodeRandomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * scrypt cost of new device password hashes: N = 2^14 (16,384), r = 8, p = 1, 16-byte salt, 32-byte key.
 *
 * Sources: r = 8 and p = 1 are the parameters RFC 7914 §2 and Percival's scrypt paper (2009, §7)
 * use for interactive logins, and N = 2^14 is that paper's interactive-login cost (< 100 ms) and
 * Node's `crypto.scrypt` default. Measured on the 2-core reference machine: about 48 ms per hash and
 * 16 MiB of memory (128 · N · r bytes). OWASP's Password Storage Cheat Sheet asks N = 2^17 for
 * human-chosen passwords; it costs about 450 ms here, which would make a fleet reconnecting after a
 * gateway restart wait minutes, and buys nothing for these passwords: every device password is 192
 * random bits (`PASSWORD_BYTES`), so no cost factor is needed against guessing; the KDF only keeps a
 * stolen `devices` table from being usable without breaking SHA-256-class work per device.
 */
export const SCRYPT_PARAMS = { log2N: 14, r: 8, p: 1, saltBytes: 16, keyBytes: 32 } as const;

/**
 * PBKDF2 iterations of Mosquitto's `$7$` hashes (mosquitto 2.0 `mosquitto_passwd` default
 * PW_DEFAULT_ITERATIONS = 101, SHA-512, 12-byte salt): the format every device hash had before the
 * gateway checked passwords itself. Such hashes still verify and are replaced by scrypt on the next
 * successful login ({@link needsRehash}).
 */
export const MOSQUITTO_PBKDF2_ITERATIONS = 101;

/** Largest scrypt memory accepted when verifying a stored hash (parameters come from the database), bytes. */
const MAX_SCRYPT_MEMORY = 64 * 1024 * 1024;

function scryptAsync(password: string, salt: Buffer, keyLen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password, salt, keyLen, opts, (err, key) => (err ? reject(err) : resolve(key))));
}

function pbkdf2Async(password: string, salt: Buffer, iterations: number, keyLen: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    pbkdf2(password, salt, iterations, keyLen, 'sha512', (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/**
 * Hashes a device password (an MQTT device's, or an HJ 212 data logger's `PW`) with scrypt
 * ({@link SCRYPT_PARAMS}) in the PHC string format `$scrypt$ln=14,r=8,p=1$<salt base64>$<key base64>`
 * (unpadded standard base64). Runs on the libuv thread pool, so the event loop keeps serving other
 * devices meanwhile.
 * @param log2N scrypt cost exponent (default {@link SCRYPT_PARAMS}.log2N); only benchmarks and tests that
 *   register thousands of devices lower it, and say so. {@link needsRehash} reports such hashes.
 */
export async function hashPassword(
  password: string,
  salt: Buffer = nodeRandomBytes(SCRYPT_PARAMS.saltBytes),
  log2N: number = SCRYPT_PARAMS.log2N,
): Promise<string> {
  const { r, p, keyBytes } = SCRYPT_PARAMS;
  const key = await scryptAsync(password, salt, keyBytes, { N: 2 ** log2N, r, p, maxmem: MAX_SCRYPT_MEMORY });
  return `$scrypt$ln=${log2N},r=${r},p=${p}$${b64(salt)}$${b64(key)}`;
}

const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');

/**
 * Checks a password against a stored hash, constant-time in the key comparison. Understands the
 * scrypt PHC format of {@link hashPassword} and Mosquitto's `$7$<iterations>$<salt>$<PBKDF2-SHA512>`.
 * An unknown or malformed format, or parameters above 64 MiB of scrypt memory, is a mismatch (never a throw).
 */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parts = encoded.split('$');
  try {
    if (parts[1] === 'scrypt' && parts.length === 5) {
      const params = Object.fromEntries((parts[2] ?? '').split(',').map((kv) => kv.split('=') as [string, string]));
      const ln = Number(params.ln);
      const r = Number(params.r);
      const p = Number(params.p);
      if (![ln, r, p].every((n) => Number.isInteger(n) && n > 0) || ln > 20) return false;
      const expected = Buffer.from(parts[4] ?? '', 'base64');
      if (expected.length < 16 || 128 * 2 ** ln * r > MAX_SCRYPT_MEMORY) return false;
      const got = await scryptAsync(password, Buffer.from(parts[3] ?? '', 'base64'), expected.length, {
        N: 2 ** ln,
        r,
        p,
        maxmem: MAX_SCRYPT_MEMORY,
      });
      return timingSafeEqual(got, expected);
    }
    if (parts[1] === '7' && parts.length === 5) {
      const iterations = Number(parts[2]);
      const expected = Buffer.from(parts[4] ?? '', 'base64');
      if (!Number.isInteger(iterations) || iterations < 1 || iterations > 10_000_000 || expected.length < 16) return false;
      const got = await pbkdf2Async(password, Buffer.from(parts[3] ?? '', 'base64'), iterations, expected.length);
      return timingSafeEqual(got, expected);
    }
  } catch {
    return false;
  }
  return false;
}

/**
 * Whether a stored hash should be replaced after a successful login: anything that is not scrypt with
 * at least the cost of {@link SCRYPT_PARAMS} (e.g. a Mosquitto `$7$` PBKDF2 hash).
 */
export function needsRehash(encoded: string): boolean {
  const m = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$/.exec(encoded);
  if (!m) return true;
  return Number(m[1]) < SCRYPT_PARAMS.log2N || Number(m[2]) < SCRYPT_PARAMS.r || Number(m[3]) < SCRYPT_PARAMS.p;
}

/**
 * A Mosquitto `$7$` hash of `password` (PBKDF2-SHA512, {@link MOSQUITTO_PBKDF2_ITERATIONS}); only for
 * tests and migration drills that need a hash in the old format.
 */
export async function hashMosquittoPassword(password: string, salt: Buffer = nodeRandomBytes(12)): Promise<string> {
  const key = await pbkdf2Async(password, salt, MOSQUITTO_PBKDF2_ITERATIONS, 64);
  return `$7$${MOSQUITTO_PBKDF2_ITERATIONS}$${salt.toString('base64')}$${key.toString('base64')}`;
}
