import { describe, expect, it } from 'vitest';
import type { Device, DeviceInput, DeviceStatus } from '@voc/domain';
import { hashMosquittoPassword, hashPassword, needsRehash, verifyPassword } from './passwords.js';
import { createProvisioning, type DeviceRegistry } from './provisioning.js';

type Row = Device & { credentialHash: string | null; previous: string | null; previousUntil: Date | null };

/** In-memory registry with the semantics of DeviceRepository. */
class MemoryRegistry implements DeviceRegistry {
  rows = new Map<string, Row>();
  async upsert(devices: readonly DeviceInput[]) {
    const created: string[] = [];
    for (const d of devices) {
      const old = this.rows.get(d.id);
      if (!old) created.push(d.id);
      this.rows.set(d.id, {
        id: d.id,
        kind: d.kind,
        status: old?.status ?? 'active',
        name: d.name ?? null,
        sensor: d.sensor ?? null,
        lat: d.lat ?? null,
        lon: d.lon ?? null,
        metadata: d.metadata ?? {},
        credentialHash: old?.credentialHash ?? null,
        previous: old?.previous ?? null,
        previousUntil: old?.previousUntil ?? null,
      });
    }
    return created;
  }
  async setCredentialHash(id: string, hash: string) {
    const r = this.rows.get(id);
    if (r) Object.assign(r, { credentialHash: hash, previous: null, previousUntil: null });
    return !!r;
  }
  async rotateCredential(id: string, hash: string, until: Date) {
    const r = this.rows.get(id);
    if (r) Object.assign(r, { previous: r.credentialHash, previousUntil: until, credentialHash: hash });
    return !!r;
  }
  async endRotation(id: string) {
    const r = this.rows.get(id);
    if (r) Object.assign(r, { previous: null, previousUntil: null });
    return !!r;
  }
  async setStatus(id: string, status: DeviceStatus) {
    const r = this.rows.get(id);
    if (r) Object.assign(r, { status });
    return !!r;
  }
  async list() {
    return [...this.rows.values()];
  }
  async withCredentials() {
    return [...this.rows.values()].filter((r) => r.credentialHash).map((r) => r.id);
  }
  async get(id: string) {
    return this.rows.get(id);
  }
}

function setup() {
  const registry = new MemoryRegistry();
  let counter = 0;
  const p = createProvisioning({
    registry,
    // Deterministic randomness: distinct bytes per call.
    randomBytes: (n) => Buffer.alloc(n, ++counter),
    now: () => Date.UTC(2026, 0, 1),
  });
  return { registry, p };
}

const fixed = (id: string): DeviceInput => ({ id, kind: 'fixed', lat: 39.9, lon: 116.37 });

describe('device passwords', () => {
  it('hashes with scrypt in the PHC format and verifies only the right password', async () => {
    const h = await hashPassword('s3cret-pass', Buffer.alloc(16, 7));
    expect(h).toMatch(/^\$scrypt\$ln=14,r=8,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
    expect(await verifyPassword('s3cret-pass', h)).toBe(true);
    expect(await verifyPassword('s3cret-pasS', h)).toBe(false);
    expect(needsRehash(h)).toBe(false);
  });

  it('verifies a Mosquitto $7$ PBKDF2 hash and asks for it to be replaced', async () => {
    const h = await hashMosquittoPassword('old-pass', Buffer.alloc(12, 1));
    expect(h).toMatch(/^\$7\$101\$/);
    expect(await verifyPassword('old-pass', h)).toBe(true);
    expect(await verifyPassword('other', h)).toBe(false);
    expect(needsRehash(h)).toBe(true);
  });

  it('treats malformed hashes and excessive parameters as a mismatch, never a throw', async () => {
    for (const bad of ['', 'plain', '$7$x$y$z', '$scrypt$ln=30,r=8,p=1$AAAA$AAAAAAAAAAAAAAAAAAAAAA', '$argon2id$v=19$m=1$a$b'])
      expect(await verifyPassword('x', bad)).toBe(false);
  });
});

describe('device provisioning', () => {
  it('issues a password to each new device and stores only its scrypt hash', async () => {
    const { registry, p } = setup();
    const r = await p.register([fixed('fx-001'), { id: 'van-01', kind: 'van' }]);
    expect(r.created).toEqual(['fx-001', 'van-01']);
    expect(Object.keys(r.issued)).toEqual(['fx-001', 'van-01']);
    const c = r.issued['van-01']!;
    expect(c).toMatchObject({ username: 'van-01', topic: 'voc/v1/van/van-01/up' });
    expect(c.password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const stored = registry.rows.get('van-01')!.credentialHash!;
    expect(stored).toMatch(/^\$scrypt\$/);
    expect(stored).not.toContain(c.password);
    expect(await verifyPassword(c.password, stored)).toBe(true);
  });

  it('leaves existing credentials alone unless asked to rotate', async () => {
    const { registry, p } = setup();
    await p.register([fixed('fx-001')]);
    const before = registry.rows.get('fx-001')!.credentialHash;
    const again = await p.register([fixed('fx-001'), fixed('fx-002')]);
    expect(again).toMatchObject({ created: ['fx-002'], updated: ['fx-001'] });
    expect(Object.keys(again.issued)).toEqual(['fx-002']);
    expect(registry.rows.get('fx-001')!.credentialHash).toBe(before);
    const rotated = await p.register([fixed('fx-001')], { rotate: true });
    expect(Object.keys(rotated.issued)).toEqual(['fx-001']);
    expect(registry.rows.get('fx-001')!.credentialHash).not.toBe(before);
  });

  it('stores no hash when the credentials cannot be delivered', async () => {
    const { registry, p } = setup();
    await expect(p.register([fixed('fx-001')], { deliver: () => Promise.reject(new Error('disk full')) })).rejects.toThrow('disk full');
    expect(registry.rows.get('fx-001')!.credentialHash).toBeNull();
  });

  it('rotates with a grace period in which the old hash is kept, and ends it on request', async () => {
    const { registry, p } = setup();
    const first = (await p.register([fixed('fx-001')])).issued['fx-001']!;
    const r = await p.rotate('fx-001', { graceMs: 3_600_000 });
    expect(r.graceUntil.toISOString()).toBe('2026-01-01T01:00:00.000Z');
    expect(r.credential.password).not.toBe(first.password);
    const row = registry.rows.get('fx-001')!;
    expect(await verifyPassword(r.credential.password, row.credentialHash!)).toBe(true);
    expect(await verifyPassword(first.password, row.previous!)).toBe(true);
    await p.endRotation('fx-001');
    expect(registry.rows.get('fx-001')!.previous).toBeNull();
  });

  it('refuses an unknown device id with VOC_ERR_NOT_FOUND', async () => {
    const { p } = setup();
    await expect(p.setStatus('nope-1', 'disabled')).rejects.toMatchObject({
      code: 'VOC_ERR_NOT_FOUND',
      message: 'no device with id "nope-1"',
    });
    await expect(p.rotate('nope-1')).rejects.toMatchObject({ code: 'VOC_ERR_NOT_FOUND' });
    await expect(p.endRotation('nope-1')).rejects.toMatchObject({ code: 'VOC_ERR_NOT_FOUND' });
  });
});
