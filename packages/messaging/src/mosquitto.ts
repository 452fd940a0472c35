import { pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deviceUpTopic, DEVICE_UP_FILTER, type DeviceKind } from '@voc/domain';

/**
 * PBKDF2 iterations of Mosquitto's `$7$` password hashes (mosquitto 2.0 `mosquitto_passwd` default:
 * PW_DEFAULT_ITERATIONS = 101, SHA-512, 12-byte salt).
 */
export const MOSQUITTO_PBKDF2_ITERATIONS = 101;

/**
 * Hashes a password in Mosquitto's `$7$` format: `$7$<iterations>$<salt base64>$<PBKDF2-SHA512 base64>`.
 * The same string is stored in `devices.credential_hash` and written to the broker's password file.
 */
export function hashMqttPassword(password: string, salt: Buffer = randomBytes(12)): string {
  const hash = pbkdf2Sync(password, salt, MOSQUITTO_PBKDF2_ITERATIONS, 64, 'sha512');
  return `$7$${MOSQUITTO_PBKDF2_ITERATIONS}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Checks a password against a `$7$` hash (constant-time). */
export function verifyMqttPassword(password: string, encoded: string): boolean {
  const [, seven, iter, salt, hash] = encoded.split('$');
  if (seven !== '7' || !iter || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const got = pbkdf2Sync(password, Buffer.from(salt, 'base64'), Number(iter), expected.length, 'sha512');
  return got.length === expected.length && timingSafeEqual(got, expected);
}

/** One broker account: a device (may write only its own up topic) or a service. */
export interface BrokerAccount {
  username: string;
  passwordHash: string;
  /** `device`: write `voc/v1/{kind}/{id}/up` only; `gateway`: read every up topic. */
  role: { type: 'device'; kind: DeviceKind } | { type: 'gateway' };
}

/** Renders the broker password file (`username:hash` per line). */
export function renderPasswordFile(accounts: readonly BrokerAccount[]): string {
  return accounts.map((a) => `${a.username}:${a.passwordHash}`).join('\n') + '\n';
}

/** Renders the broker ACL: each device writes its own topic only; gateways read every device topic. */
export function renderAcl(accounts: readonly BrokerAccount[]): string {
  const lines = ['# Generated from the device registry by `voc devices sync-broker`. Do not edit.'];
  for (const a of accounts) {
    lines.push(`user ${a.username}`);
    if (a.role.type === 'device') lines.push(`topic write ${deviceUpTopic(a.role.kind, a.username)}`);
    else lines.push(`topic read ${DEVICE_UP_FILTER}`);
    lines.push('');
  }
  return lines.join('\n');
}

/**
 * Writes the password file and ACL into the broker folder (atomically, by rename) and asks the
 * broker to reload them (SIGHUP to the pid in `mosquitto.pid`), so credentials apply at once.
 * Disabled devices must be left out by the caller: the broker then refuses their connections.
 * @param dir broker folder (`config.mqtt.brokerDir`, default `.cache/mosquitto`)
 * @returns whether a running broker was signalled
 */
export async function writeBrokerAuth(dir: string, accounts: readonly BrokerAccount[]): Promise<boolean> {
  const pw = join(dir, 'passwd');
  const acl = join(dir, 'acl');
  await writeFile(`${pw}.tmp`, renderPasswordFile(accounts), { mode: 0o600 });
  await writeFile(`${acl}.tmp`, renderAcl(accounts), { mode: 0o600 });
  await rename(`${pw}.tmp`, pw);
  await rename(`${acl}.tmp`, acl);
  try {
    const pid = Number((await readFile(join(dir, 'mosquitto.pid'), 'utf8')).trim());
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 'SIGHUP');
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads the accounts back from the broker folder's password file and ACL (the inverse of
 * {@link writeBrokerAuth}): devices with their kind, gateways by their `topic read` line. Missing files
 * give an empty list. Used to keep accounts another registry wrote when several share one broker.
 */
export async function readBrokerAuth(dir: string): Promise<BrokerAccount[]> {
  const read = (f: string) => readFile(join(dir, f), 'utf8').catch(() => '');
  const hashes = new Map(
    (await read('passwd'))
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)] as const),
  );
  const out: BrokerAccount[] = [];
  let user: string | undefined;
  for (const line of (await read('acl')).split('\n')) {
    const u = /^user (.+)$/.exec(line);
    if (u) user = u[1];
    const w = /^topic write voc\/v1\/(fixed|van|fume)\/[^/]+\/up$/.exec(line);
    const hash = user ? hashes.get(user) : undefined;
    if (user && hash && w) out.push({ username: user, passwordHash: hash, role: { type: 'device', kind: w[1] as DeviceKind } });
    if (user && hash && line.startsWith('topic read')) out.push({ username: user, passwordHash: hash, role: { type: 'gateway' } });
  }
  return out;
}
