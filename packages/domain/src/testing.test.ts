import { describe, expect, it } from 'vitest';
import { readingMessageSchema } from './messages.js';
import { buildReading } from './testing.js';

describe('buildReading', () => {
  it('fills unit and reference state from the catalogue and defaults a fixed reading', () => {
    const r = buildReading('dev-1', Date.UTC(2024, 4, 1), [
      { metric: 'tvoc', value: 120 },
      { metric: 'co', value: 0.4, raw: { value: 400, unit: 'ug/m3' }, qa: 'suspect' },
    ]);
    expect(readingMessageSchema.parse(r)).toEqual(r);
    expect(r).toEqual({
      deviceId: 'dev-1',
      kind: 'fixed',
      time: '2024-05-01T00:00:00.000Z',
      receivedAt: '2024-05-01T00:00:00.000Z',
      lat: null,
      lon: null,
      h3: null,
      values: [
        { metric: 'tvoc', value: 120, unit: 'µg/m³', rawValue: 120, rawUnit: 'µg/m³', refState: 'reference', qa: 'valid' },
        { metric: 'co', value: 0.4, unit: 'mg/m³', rawValue: 400, rawUnit: 'ug/m3', refState: 'reference', qa: 'suspect' },
      ],
    });
  });

  it('carries kind, cell, position, GPS and a reading-wide QA flag', () => {
    const r = buildReading('van-1', '2024-05-01T00:00:00.000Z', [{ metric: 'pm25', value: 30 }], {
      kind: 'van',
      h3: '8c31aa5a9d4b1ff',
      position: { lat: 39.9, lon: 116.4 },
      gps: { speedKmh: 12, fix: '3d' },
      qa: 'maintenance',
    });
    expect(readingMessageSchema.parse(r)).toEqual(r);
    expect(r).toMatchObject({ kind: 'van', h3: '8c31aa5a9d4b1ff', lat: 39.9, lon: 116.4, gps: { speedKmh: 12, fix: '3d' } });
    expect(r.values[0]).toMatchObject({ unit: 'µg/m³', refState: 'none', qa: 'maintenance' });
  });
});
