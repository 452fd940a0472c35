import { describe, expect, it } from 'vitest';
import { createLogger } from '@voc/config';
import { hashMosquittoPassword, hashPassword, needsRehash, verifyPassword } from '@voc/core';
import type { ConnectRequest } from '@voc/mqtt-server';
import { createAuthenticator, MAX_KDF_PER_DEVICE } from './auth.js';
import { createDeviceDirectory, type DirectoryRecord, type DirectorySource } from './directory.js';

const log = createLogger('auth-test', 'silent');
const T0 = Date.UTC(2026, 0, 1);

/** The registry port over a map; `down` makes every read fail as an unreachable database would. */
class MapSource implements DirectorySource {
  rows = new Map<string, DirectoryRecord>();
  down = false;
  reads = 0;
  async credentialSnapshot() {
    if (this.down) throw new Error('database unavailable');
    return { rows: [...this.rows.values()], readAt: new Date(T0) };
  }
  async credentialRecord(id: string) {
    this.reads++;
    if (this.down) throw new Error('database unavailable');
    return this.rows.get(id);
  }
}

const record = (id: string, hash: string, extra: Partial<DirectoryRecord> = {}): DirectoryRecord => ({
  id,
  kind: 'fixed',
  status: 'active',
  name: null,
  sensor: null,
  lat: 39.9,
  lon: 116.37,
  metadata: {},
  credentialHash: hash,
  previousCredentialHash: null,
  previousUntil: null,
  updatedAt: new Date(T0),
  ...extra,
});

const req = (username: string, password: string, clientId = username): ConnectRequest => ({
  clientId,
  username,
  password: Buffer.from(password),
  protocolVersion: 5,
  remoteAddress: '127.0.0.1',
  tls: false,
});

async function setup(now = () => T0, refreshMs = 60_000) {
  const source = new MapSource();
  source.rows.set('fx-1', record('fx-1', await hashPassword('pw-1')));
  source.rows.set('fx-off', record('fx-off', await hashPassword('pw-off'), { status: 'disabled' }));
  source.rows.set('fx-old', record('fx-old', await hashMosquittoPassword('pw-old')));
  const revoked: string[] = [];
  const directory = createDeviceDirectory(source, { refreshMs, fullRefreshMs: 60_000, log, now, onRevoked: (id) => revoked.push(id) });
  await directory.start();
  const upgrades: [string, string, string][] = [];
  const auth = createAuthenticator({
    directory,
    hasher: { hash: hashPassword, verify: verifyPassword, needsRehash },
    upgrader: {
      upgradeCredentialHash: async (id, oldHash, newHash) => {
        upgrades.push([id, oldHash, newHash]);
        return true;
      },
    },
    log,
    now,
  });
  return { source, directory, auth, upgrades, revoked };
}

describe('gateway authentication', () => {
  it('closes nothing on start, and reports a device disabled by a refresh', async () => {
    const { source, directory, revoked } = await setup(Date.now, 20);
    expect(revoked).toEqual([]);
    source.rows.set('fx-1', { ...source.rows.get('fx-1')!, status: 'disabled' });
    for (let i = 0; i < 100 && revoked.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(revoked).toEqual(['fx-1']);
    directory.stop();
  });

  it('accepts the right password and refuses a wrong one, an unknown and a disabled device', async () => {
    const { auth } = await setup();
    expect(await auth.authenticate(req('fx-1', 'pw-1'))).toEqual({ ok: true, deviceId: 'fx-1' });
    expect(await auth.authenticate(req('fx-1', 'nope'))).toEqual({ ok: false, reason: 'bad_credentials' });
    expect(await auth.authenticate(req('fx-1', ''))).toEqual({ ok: false, reason: 'bad_credentials' });
    expect(await auth.authenticate(req('ghost', 'x'))).toEqual({ ok: false, reason: 'not_authorized' });
    expect(await auth.authenticate(req('fx-off', 'pw-off'))).toEqual({ ok: false, reason: 'not_authorized' });
    // a wrong password learns nothing about the status
    expect(await auth.authenticate(req('fx-off', 'nope'))).toEqual({ ok: false, reason: 'bad_credentials' });
  });

  it('refuses a client id that names another device', async () => {
    const { auth } = await setup();
    expect(await auth.authenticate(req('fx-1', 'pw-1', 'fx-old'))).toEqual({ ok: false, reason: 'client_id_not_allowed' });
    expect(await auth.authenticate(req('fx-1', 'pw-1', 'sensor-firmware-7'))).toMatchObject({ ok: true });
  });

  it('runs at most MAX_KDF_PER_DEVICE password checks per device at once: a flood for one id is "server busy", others unaffected', async () => {
    const { auth } = await setup();
    const flood = await Promise.all(Array.from({ length: 20 }, () => auth.authenticate(req('fx-1', 'wrong'))));
    const busy = flood.filter((r) => !r.ok && r.reason === 'server_busy').length;
    expect(busy).toBe(20 - MAX_KDF_PER_DEVICE);
    expect(flood.filter((r) => !r.ok && r.reason === 'bad_credentials')).toHaveLength(MAX_KDF_PER_DEVICE);
    // During another flood for fx-1, a different device logs in.
    const [other] = await Promise.all([
      auth.authenticate(req('fx-old', 'pw-old')),
      ...Array.from({ length: 10 }, () => auth.authenticate(req('fx-1', 'wrong'))),
    ]);
    expect(other).toEqual({ ok: true, deviceId: 'fx-old' });
    // Once the flood is over the right password works again.
    expect(await auth.authenticate(req('fx-1', 'pw-1'))).toEqual({ ok: true, deviceId: 'fx-1' });
  });

  it('remembers a verified password, so a reconnect needs no KDF run', async () => {
    const { auth } = await setup();
    await auth.authenticate(req('fx-1', 'pw-1'));
    await auth.authenticate(req('fx-1', 'pw-1'));
    expect(auth.stats().verifiedFromMemory).toBe(1);
  });

  it('upgrades a legacy $7$ hash to scrypt after a successful login', async () => {
    const { auth, upgrades, directory } = await setup();
    expect(await auth.authenticate(req('fx-old', 'pw-old'))).toMatchObject({ ok: true });
    for (let i = 0; i < 50 && upgrades.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    for (let i = 0; i < 50 && auth.stats().upgraded === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(upgrades[0]?.[1]).toMatch(/^\$7\$/);
    expect(upgrades[0]?.[2]).toMatch(/^\$scrypt\$/);
    expect(directory.peek('fx-old')?.credentialHash).toBe(upgrades[0]?.[2]);
    expect(await auth.authenticate(req('fx-old', 'pw-old'))).toMatchObject({ ok: true });
  });

  it('accepts the previous password only until the rotation ends', async () => {
    let now = T0;
    const { auth, source } = await setup(() => now);
    source.rows.set(
      'fx-1',
      record('fx-1', await hashPassword('pw-new'), {
        previousCredentialHash: await hashPassword('pw-1'),
        previousUntil: new Date(T0 + 60_000),
      }),
    );
    // not refreshed yet: the new password triggers one fresh read
    expect(await auth.authenticate(req('fx-1', 'pw-new'))).toMatchObject({ ok: true });
    expect(await auth.authenticate(req('fx-1', 'pw-1'))).toMatchObject({ ok: true });
    expect(auth.stats().previousPasswordLogins).toBe(1);
    now = T0 + 61_000;
    expect(await auth.authenticate(req('fx-1', 'pw-1'))).toEqual({ ok: false, reason: 'bad_credentials' });
  });

  it('keeps known devices in while the registry is down and answers unknown ones "server unavailable"', async () => {
    const { auth, source, directory } = await setup(Date.now, 20);
    source.down = true;
    for (let i = 0; i < 100 && directory.healthy(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(directory.healthy()).toBe(false);
    expect(await auth.authenticate(req('fx-1', 'pw-1'))).toMatchObject({ ok: true });
    expect(await auth.authenticate(req('ghost', 'x'))).toEqual({ ok: false, reason: 'server_unavailable' });
  });
});
