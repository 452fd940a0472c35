import { describe, expect, it } from 'vitest';
import type { Device } from '@voc/domain';
import { createDeviceDirectory, type DeviceSource } from './devices.js';

const dev = (id: string, status: Device['status'] = 'active'): Device => ({
  id,
  kind: 'fixed',
  status,
  name: null,
  sensor: null,
  lat: 39.9,
  lon: 116.4,
  metadata: {},
});

/** In-memory registry that counts lookups. */
function registry() {
  const rows = new Map<string, Device>();
  let calls = 0;
  let failing = false;
  const source: DeviceSource = {
    get(id) {
      calls++;
      if (failing) return Promise.reject(new Error('connection refused'));
      return Promise.resolve(rows.get(id));
    },
  };
  return { rows, source, calls: () => calls, fail: (f: boolean) => (failing = f) };
}

describe('cached device directory', () => {
  it('reuses a lookup within the TTL and sees a disabled device after it', async () => {
    let now = 1_000;
    const reg = registry();
    reg.rows.set('d1', dev('d1'));
    const dir = createDeviceDirectory(reg.source, { ttlMs: 5000, now: () => now });
    expect((await dir.get('d1'))?.status).toBe('active');
    reg.rows.set('d1', dev('d1', 'disabled'));
    now += 4999;
    expect((await dir.get('d1'))?.status).toBe('active');
    expect(reg.calls()).toBe(1);
    now += 1;
    expect((await dir.get('d1'))?.status).toBe('disabled');
    expect(reg.calls()).toBe(2);
  });

  it('caches "not registered" too, and sees a newly registered device after the TTL', async () => {
    let now = 0;
    const reg = registry();
    const dir = createDeviceDirectory(reg.source, { ttlMs: 1000, now: () => now });
    expect(await dir.get('new')).toBeUndefined();
    reg.rows.set('new', dev('new'));
    expect(await dir.get('new')).toBeUndefined();
    expect(reg.calls()).toBe(1);
    now = 1000;
    expect((await dir.get('new'))?.id).toBe('new');
  });

  it('shares one query among concurrent misses', async () => {
    const reg = registry();
    reg.rows.set('d1', dev('d1'));
    const dir = createDeviceDirectory(reg.source, { ttlMs: 1000 });
    const all = await Promise.all([dir.get('d1'), dir.get('d1'), dir.get('d1')]);
    expect(all.map((d) => d?.id)).toEqual(['d1', 'd1', 'd1']);
    expect(reg.calls()).toBe(1);
  });

  it('does not cache failures', async () => {
    const reg = registry();
    reg.rows.set('d1', dev('d1'));
    const dir = createDeviceDirectory(reg.source, { ttlMs: 1000 });
    reg.fail(true);
    await expect(dir.get('d1')).rejects.toThrow('connection refused');
    reg.fail(false);
    expect((await dir.get('d1'))?.id).toBe('d1');
  });

  it('with a TTL of 0 asks the registry every time', async () => {
    const reg = registry();
    const dir = createDeviceDirectory(reg.source, { ttlMs: 0 });
    await dir.get('x');
    await dir.get('x');
    expect(reg.calls()).toBe(2);
    expect(dir.size()).toBe(0);
  });

  it('evicts the oldest entry beyond maxEntries', async () => {
    const reg = registry();
    const dir = createDeviceDirectory(reg.source, { ttlMs: 60_000, maxEntries: 2 });
    await dir.get('a');
    await dir.get('b');
    await dir.get('c');
    expect(dir.size()).toBe(2);
    await dir.get('a');
    expect(reg.calls()).toBe(4);
  });
});
