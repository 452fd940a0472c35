import { describe, expect, it } from 'vitest';
import { deviceInputSchema } from './devices.js';

const fixed = (lat: unknown, lon: unknown) => deviceInputSchema.safeParse({ id: 'fx-001', kind: 'fixed', lat, lon });

describe('device input coordinates', () => {
  it('reads numbers and decimal strings (CSV cells)', () => {
    expect(fixed(39.913, 116.366).data).toMatchObject({ lat: 39.913, lon: 116.366 });
    expect(fixed('39.913', '-0.5').data).toMatchObject({ lat: 39.913, lon: -0.5 });
    expect(fixed('1e1', '.5').data).toMatchObject({ lat: 10, lon: 0.5 });
  });

  it('never turns null, blank, booleans, arrays or hex into 0°N 0°E or another number', () => {
    for (const bad of [null, '', ' ', false, true, [], '0x10', 'abc', 'Infinity']) {
      expect(fixed(bad, bad).success, JSON.stringify(bad)).toBe(false);
    }
    const r = fixed(null, null);
    expect(r.error?.issues.map((i) => i.message)).toContain('a fixed device needs lat and lon (WGS-84)');
  });

  it('treats a null position of a van as not given', () => {
    expect(deviceInputSchema.parse({ id: 'van-01', kind: 'van', lat: null, lon: null })).toEqual({ id: 'van-01', kind: 'van' });
  });

  it('still refuses coordinates outside WGS-84', () => {
    expect(fixed('91', 0).success).toBe(false);
    expect(fixed(0, -180.5).success).toBe(false);
  });
});
