import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import type { SqlExecutor } from './migrate.js';

/** Iterations of the SCRAM-SHA-256 verifiers {@link scramVerifier} builds: PostgreSQL's default (`scram_iterations`, 4096). */
export const SCRAM_ITERATIONS = 4096;

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for a password (RFC 5802 §3, RFC 7677; PostgreSQL
 * "Password Authentication"): `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, base64.
 * Sending the verifier instead of the password keeps the password out of the server's statement log.
 * The password is used as UTF-8 bytes without SASLprep, as PostgreSQL does for passwords that SASLprep
 * would reject and identically for ASCII ones.
 */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16), iterations = SCRAM_ITERATIONS): string {
  const salted = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/**
 * Gives each service role (created NOLOGIN by migrations/005_roles.sql) LOGIN and its password, as a
 * SCRAM-SHA-256 verifier. Idempotent; run by `voc setup` with the migration role (needs CREATEROLE).
 * Roles are cluster-wide: the last setup on a cluster sets the password of every database's services.
 * @param logins role name and password of each service (`config.pg.logins`)
 * @returns the roles updated
 * @throws Error when a role does not exist (run the migrations first) or a password is empty
 */
export async function ensureRoleLogins(db: SqlExecutor, logins: readonly { role: string; password: string }[]): Promise<string[]> {
  const done: string[] = [];
  for (const { role, password } of logins) {
    if (!/^[a-z_][a-z0-9_]*$/.test(role)) throw new Error(`role name ${JSON.stringify(role)} is not a plain identifier`);
    if (password === '') throw new Error(`role ${role}: empty password`);
    const { rows } = await db.query('select 1 from pg_roles where rolname = $1', [role]);
    if (rows.length === 0) throw new Error(`role ${role} does not exist: run the migrations first`);
    // The verifier holds only base64 letters, digits, '$', ':' and '=': safe inside a literal.
    await db.exec(`alter role ${role} with login password '${scramVerifier(password)}'`);
    done.push(role);
  }
  return done;
}
