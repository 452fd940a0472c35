import { describe, expect, it } from 'vitest';
import type { Device, DeviceInput, DeviceStatus } from '@voc/domain';
import { verifyMqttPassword, type BrokerAccount } from '@voc/messaging';
import { createProvisioning, type DeviceRegistry } from './provisioning.js';

/** In-memory registry with the semantics of DeviceRepository. */
class MemoryRegistry implements DeviceRegistry {
  rows = new Map<string, Device & { credentialHash: string | null }>();
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
      });
    }
    return created;
  }
  async setCredentialHash(id: string, hash: string) {
    const r = this.rows.get(id);
    if (r) r.credentialHash = hash;
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
  async credentials() {
    return [...this.rows.values()].map((r) => ({ id: r.id, kind: r.kind, status: r.status, credentialHash: r.credentialHash }));
  }
}

function setup() {
  const registry = new MemoryRegistry();
  const writes: BrokerAccount[][] = [];
  let counter = 0;
  const p = createProvisioning({
    registry,
    broker: { write: async (a) => (writes.push([...a]), true) },
    gateway: { username: 'voc-gateway', password: 'gateway-secret' },
    // Deterministic randomness: distinct bytes per call.
    randomBytes: (n) => Buffer.alloc(n, ++counter),
  });
  return { registry, writes, p };
}

const fixed = (id: string): DeviceInput => ({ id, kind: 'fixed', lat: 39.9, lon: 116.37 });
const users = (accounts: BrokerAccount[]) => accounts.map((a) => `${a.username}:${a.role.type}`).sort();

describe('device provisioning', () => {
  it('issues a password to each new device and stores only its $7$ hash', async () => {
    const { registry, writes, p } = setup();
    const r = await p.register([fixed('fx-001'), { id: 'van-01', kind: 'van' }]);
    expect(r.created).toEqual(['fx-001', 'van-01']);
    expect(Object.keys(r.issued)).toEqual(['fx-001', 'van-01']);
    const c = r.issued['van-01']!;
    expect(c).toMatchObject({ username: 'van-01', topic: 'voc/v1/van/van-01/up' });
    expect(c.password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const stored = registry.rows.get('van-01')!.credentialHash!;
    expect(stored).toMatch(/^\$7\$/);
    expect(stored).not.toContain(c.password);
    expect(verifyMqttPassword(c.password, stored)).toBe(true);
    expect(users(writes.at(-1)!)).toEqual(['fx-001:device', 'van-01:device', 'voc-gateway:gateway']);
    const gw = writes.at(-1)!.find((a) => a.username === 'voc-gateway')!;
    expect(verifyMqttPassword('gateway-secret', gw.passwordHash)).toBe(true);
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

  it('issues a credential to an existing device that has none', async () => {
    const { registry, p } = setup();
    await registry.upsert([fixed('fx-001')]);
    const r = await p.register([fixed('fx-001')]);
    expect(r.created).toEqual([]);
    expect(Object.keys(r.issued)).toEqual(['fx-001']);
  });

  it('stores no hash when the credentials cannot be delivered', async () => {
    const { registry, p } = setup();
    await expect(p.register([fixed('fx-001')], { deliver: () => Promise.reject(new Error('disk full')) })).rejects.toThrow('disk full');
    expect(registry.rows.get('fx-001')!.credentialHash).toBeNull();
  });

  it('removes a disabled device from the broker and restores it when enabled', async () => {
    const { writes, p } = setup();
    await p.register([fixed('fx-001'), fixed('fx-002')]);
    const off = await p.setStatus('fx-001', 'disabled');
    expect(off).toEqual({ deviceAccounts: 1, skipped: 1, reloaded: true });
    expect(users(writes.at(-1)!)).toEqual(['fx-002:device', 'voc-gateway:gateway']);
    await p.setStatus('fx-001', 'active');
    expect(users(writes.at(-1)!)).toEqual(['fx-001:device', 'fx-002:device', 'voc-gateway:gateway']);
  });

  it('refuses an unknown device id with VOC_ERR_NOT_FOUND', async () => {
    const { p } = setup();
    await expect(p.setStatus('nope-1', 'disabled')).rejects.toMatchObject({
      code: 'VOC_ERR_NOT_FOUND',
      message: 'no device with id "nope-1"',
    });
  });

  it('never writes a device account under the gateway username', async () => {
    const { p } = setup();
    await expect(p.register([fixed('voc-gateway')])).rejects.toMatchObject({ code: 'VOC_ERR_CONFLICT' });
  });
});
