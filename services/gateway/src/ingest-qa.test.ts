import { describe, expect, it } from 'vitest';
import type { Device } from '@voc/domain';
import { createIngestService } from './ingest.js';

const DEVICE: Device = { id: 'fx-qa', kind: 'fixed', status: 'active', name: null, sensor: null, lat: 39.9, lon: 116.4, metadata: {} };
const ingest = createIngestService({
  devices: { get: (id) => Promise.resolve(id === DEVICE.id ? DEVICE : undefined) },
  settings: { maxPayloadBytes: 1024 * 1024, allowedLatenessMs: 7 * 86400_000, maxClockSkewMs: 300_000 },
});

describe('QA flag of negative values', () => {
  it('marks a negative concentration suspect but keeps sub-zero temperatures valid', async () => {
    const now = new Date();
    const values = [
      { metric: 'tvoc', value: -3, unit: 'ug/m3' },
      { metric: 'pm25', value: -2, unit: 'ug/m3' },
      { metric: 'temp', value: -15.5, unit: '°C' },
      { metric: 'dew_point', value: -28, unit: '°C' },
    ];
    const r = await ingest.ingest('voc/v1/fixed/fx-qa/up', Buffer.from(JSON.stringify({ ts: now.toISOString(), values })), now);
    expect(r.rejected).toEqual([]);
    expect(r.accepted[0]!.values.map((v) => [v.metric, v.qa])).toEqual([
      ['tvoc', 'suspect'],
      ['pm25', 'suspect'],
      ['temp', 'valid'],
      ['dew_point', 'valid'],
    ]);
  });
});

describe('duplicate values in one payload', () => {
  it('keeps the first value of a metric at one instant and dead-letters the second with its path', async () => {
    const now = new Date();
    const ts = now.toISOString();
    const body = {
      readings: [
        {
          ts,
          values: [
            { metric: 'tvoc', value: 100, unit: 'ppb' },
            { metric: 'temp', value: 3, unit: '°C' },
          ],
        },
        { ts, values: [{ metric: 'tvoc', value: 250, unit: 'ppb' }] },
      ],
    };
    const r = await ingest.ingest('voc/v1/fixed/fx-qa/up', Buffer.from(JSON.stringify(body)), now);
    expect(r.accepted.flatMap((m) => m.values.map((v) => [v.metric, v.rawValue]))).toEqual([
      ['tvoc', 100],
      ['temp', 3],
    ]);
    expect(r.rejected).toHaveLength(1);
    expect(r.rejected[0]!.path).toBe('readings[1].values[0]');
    expect(r.rejected[0]!.rejection.reason).toBe('duplicate_reading');
    expect(r.rejected[0]!.rejection.detail).toContain('readings[0].values[0]');
  });
});
