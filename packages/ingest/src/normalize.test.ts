import { describe, expect, it } from 'vitest';
import type { Device } from '@voc/domain';
import { createReadingNormalizer } from './normalize.js';

const STATION: Device = { id: 'hj-01', kind: 'fixed', status: 'active', name: null, sensor: null, lat: 39.91, lon: 116.36, metadata: {} };
const normalizer = createReadingNormalizer({
  devices: { get: (id) => Promise.resolve(id === STATION.id ? STATION : undefined) },
  settings: { allowedLatenessMs: 3600_000, maxClockSkewMs: 60_000 },
});
const now = new Date('2026-11-01T08:00:00Z');

describe('reading normalizer (transport-agnostic ingest)', () => {
  it('accepts values a non-JSON transport decoded: Date time, no unit, a device flag', async () => {
    const r = await normalizer.normalize(
      {
        deviceId: 'hj-01',
        batch: false,
        readings: [{ ts: new Date('2026-11-01T07:59:00Z'), values: [{ metric: 'benzene', value: 3.2, qa: 'maintenance' }] }],
      },
      now,
    );
    expect(r.rejected).toEqual([]);
    expect(r.accepted).toHaveLength(1);
    expect(r.accepted[0]?.values[0]).toMatchObject({ metric: 'benzene', value: 3.2, qa: 'maintenance' });
    expect(r.accepted[0]?.h3).toMatch(/^8[0-9a-f]{14}$/);
  });

  it('refuses an unknown device and a late reading with their reasons', async () => {
    const unknown = await normalizer.normalize({ deviceId: 'nope', batch: false, readings: [] }, now);
    expect(unknown.rejected[0]?.rejection.reason).toBe('unknown_device');
    const late = await normalizer.normalize(
      {
        deviceId: 'hj-01',
        batch: true,
        readings: [{ ts: '2026-10-01T00:00:00Z', values: [{ metric: 'benzene', value: 1, unit: 'µg/m³' }] }],
      },
      now,
    );
    expect(late.rejected[0]).toMatchObject({ path: 'readings[0]', rejection: { reason: 'timestamp_too_old' } });
  });
});
