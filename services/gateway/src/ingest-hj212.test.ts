import { describe, expect, it } from 'vitest';
import type { Device } from '@voc/domain';
import { buildMinuteData } from '@voc/hj212';
import type { DeviceDirectory } from '@voc/ingest';
import { createIngestService } from './ingest.js';

// HJ 212 frames as MQTT payloads on the fume and dust monitor topics (the MQTT path of issue 11).

const RECEIVED = new Date('2026-03-01T08:00:00.000Z');
const SETTINGS = { maxPayloadBytes: 4096, allowedLatenessMs: 7 * 24 * 3600 * 1000, maxClockSkewMs: 5 * 60 * 1000 };
const dev = (id: string, kind: Device['kind']): Device => ({
  id,
  kind,
  status: 'active',
  name: null,
  sensor: null,
  lat: 39.93,
  lon: 116.35,
  metadata: {},
});
const directory: DeviceDirectory = {
  get: (id) => Promise.resolve([dev('fume-01', 'fume'), dev('fixed-01', 'fixed')].find((d) => d.id === id)),
};
const service = createIngestService({ devices: directory, settings: SETTINGS });
const frame = (values: Record<string, number>) =>
  Buffer.from(buildMinuteData({ mn: 'SIMFUME0000001', pw: '123456', dataTime: RECEIVED.getTime() - 120_000, values }), 'latin1');

describe('MQTT ingest of HJ 212 payloads', () => {
  it('decodes a minute-data frame on the fume topic with the standard fume profile', async () => {
    const r = await service.ingest('voc/v1/fume/fume-01/up', frame({ a34041: 0.82, a24088: 3.5 }), RECEIVED);
    expect(r.rejected).toEqual([]);
    expect(r.accepted).toHaveLength(1);
    expect(r.accepted[0]).toMatchObject({ deviceId: 'fume-01', kind: 'fume', time: '2026-03-01T07:58:00.000Z' });
    expect(r.accepted[0]!.values.map((v) => [v.metric, v.value, v.qa])).toEqual([
      ['oil_fume', 0.82, 'valid'],
      ['fume_nmhc', 3.5, 'valid'],
    ]);
  });

  it('sends a frame with a bad CRC to the dead letters with the codec reason', async () => {
    const bad = frame({ a34041: 0.82 });
    bad[bad.length - 4] = bad[bad.length - 4] === 0x30 ? 0x31 : 0x30;
    const r = await service.ingest('voc/v1/fume/fume-01/up', bad, RECEIVED);
    expect(r.accepted).toEqual([]);
    expect(r.rejected[0]!.rejection).toMatchObject({ reason: 'hj212_rejected' });
    expect(r.rejected[0]!.rejection.detail).toMatch(/^crc_mismatch: /);
  });

  it('keeps JSON on the fume topic and HJ 212 bytes on other topics on the JSON path', async () => {
    const r = await service.ingest('voc/v1/fixed/fixed-01/up', frame({ a34041: 0.82 }), RECEIVED);
    expect(r.rejected[0]!.rejection.reason).toBe('malformed_json');
  });
});
