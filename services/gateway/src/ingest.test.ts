import { latLngToCell } from 'h3-js';
import { describe, expect, it } from 'vitest';
import { METRICS, REJECT_REASONS, STORED_H3_RESOLUTION, VM_REFERENCE, readingMessageSchema, type Device } from '@voc/domain';
import { formatDuration, type DeviceDirectory, type IngestResult } from '@voc/ingest';
import { createIngestService } from './ingest.js';

const RECEIVED = new Date('2026-03-01T08:00:00.000Z');
const SETTINGS = { maxPayloadBytes: 4096, allowedLatenessMs: 7 * 24 * 3600 * 1000, maxClockSkewMs: 5 * 60 * 1000 };

const device = (d: Partial<Device> & Pick<Device, 'id' | 'kind'>): Device => ({
  status: 'active',
  name: null,
  sensor: null,
  lat: d.kind === 'van' ? null : 39.9139,
  lon: d.kind === 'van' ? null : 116.3668,
  metadata: {},
  ...d,
});

const DEVICES: Device[] = [
  device({ id: 'fixed-01', kind: 'fixed' }),
  device({ id: 'van-01', kind: 'van' }),
  device({ id: 'fume-01', kind: 'fume', lat: 39.93, lon: 116.35 }),
  device({ id: 'fixed-off', kind: 'fixed', status: 'disabled' }),
];

const directory: DeviceDirectory = { get: (id) => Promise.resolve(DEVICES.find((d) => d.id === id)) };
const service = createIngestService({ devices: directory, settings: SETTINGS });

const TS = '2026-03-01T07:59:00Z';
const run = (topic: string, body: unknown, receivedAt = RECEIVED): Promise<IngestResult> =>
  service.ingest(topic, Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), receivedAt);
const fixed = (body: unknown) => run('voc/v1/fixed/fixed-01/up', body);
const value = (metric: string, v: number | string, unit: string, extra: object = {}) => ({ metric, value: v, unit, ...extra });

/** The single whole-message rejection of a result. */
function only(r: IngestResult) {
  expect(r.accepted).toEqual([]);
  expect(r.rejected).toHaveLength(1);
  return r.rejected[0]!;
}

describe('ingest: whole-message rejections', () => {
  it('refuses a payload above the size limit before parsing it', async () => {
    const r = only(await fixed(`{"ts":"${TS}","values":[],"pad":"${'x'.repeat(5000)}"}`));
    expect(r.rejection.reason).toBe('payload_too_large');
    expect(r.rejection.detail).toMatch(/is 50\d\d bytes; the limit .* is 4096 bytes/);
    expect(r.deviceId).toBe('fixed-01');
  });

  it.each(['voc/v2/fixed/fixed-01/up', 'voc/v1/bus/fixed-01/up', 'voc/v1/fixed/fixed-01', 'voc/v1/fixed//up', 'other/topic'])(
    'refuses topic %s as bad_topic',
    async (topic) => {
      const r = only(await run(topic, { ts: TS, values: [value('tvoc', 1, 'ppb')] }));
      expect(r.rejection.reason).toBe('bad_topic');
      expect(r.rejection.detail).toContain(topic);
      expect(r.deviceId).toBeUndefined();
    },
  );

  it('refuses text that is not JSON as malformed_json, quoting the parser', async () => {
    const r = only(await fixed('{"ts": "2026-03-01T07:59:00Z", values: }'));
    expect(r.rejection.reason).toBe('malformed_json');
    expect(r.rejection.detail).toMatch(/^payload is not valid JSON: /);
  });

  it('refuses bytes that are not UTF-8 as malformed_json', async () => {
    const r = only(await fixed(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])));
    expect(r.rejection.reason).toBe('malformed_json');
    expect(r.rejection.detail).toContain('not valid UTF-8');
  });

  it('lists every zod issue with its path in a schema_violation', async () => {
    const r = only(
      await fixed({
        readings: [
          { ts: TS, values: [value('tvoc', 1, 'ppb')] },
          { ts: '2026-03-01 07:59', values: [{ metric: 'tvoc', value: 1 }] },
        ],
      }),
    );
    expect(r.rejection.reason).toBe('schema_violation');
    expect(r.rejection.detail).toContain('batch schema');
    expect(r.rejection.detail).toContain('readings[1].ts');
    expect(r.rejection.detail).toContain('readings[1].values[0].unit');
  });

  it('refuses unknown fields and a value given as a numeric string', async () => {
    const r = only(await fixed({ ts: TS, values: [value('tvoc', '12.5', 'ppb')], colour: 'red' }));
    expect(r.rejection.reason).toBe('schema_violation');
    expect(r.rejection.detail).toContain('single-reading schema');
    expect(r.rejection.detail).toContain('values[0].value');
    expect(r.rejection.detail).toContain('colour');
  });

  it('refuses a payload whose deviceId differs from the topic', async () => {
    const r = only(await fixed({ deviceId: 'fixed-02', ts: TS, values: [value('tvoc', 1, 'ppb')] }));
    expect(r.rejection.reason).toBe('device_id_mismatch');
    expect(r.rejection.detail).toContain('"fixed-02"');
    expect(r.rejection.detail).toContain('"fixed-01"');
  });

  it('accepts a payload whose deviceId equals the topic', async () => {
    const r = await fixed({ deviceId: 'fixed-01', ts: TS, values: [value('tvoc', 1, 'ppb')] });
    expect(r.rejected).toEqual([]);
    expect(r.accepted).toHaveLength(1);
  });

  it('refuses unknown, disabled and kind-mismatched devices', async () => {
    const body = { ts: TS, values: [value('tvoc', 1, 'ppb')] };
    const unknown = only(await run('voc/v1/fixed/ghost-01/up', body));
    expect(unknown).toMatchObject({ deviceId: 'ghost-01', rejection: { reason: 'unknown_device' } });
    const disabled = only(await run('voc/v1/fixed/fixed-off/up', body));
    expect(disabled).toMatchObject({ deviceId: 'fixed-off', rejection: { reason: 'device_disabled' } });
    const kind = only(await run('voc/v1/van/fixed-01/up', body));
    expect(kind.rejection.reason).toBe('kind_mismatch');
    expect(kind.rejection.detail).toContain('claims kind "van"');
    expect(kind.rejection.detail).toContain('registered as "fixed"');
  });

  it('refuses a deeply nested payload as a schema violation without exhausting the stack', async () => {
    const deep = `{"ts":"${TS}","values":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const big = createIngestService({ devices: directory, settings: { ...SETTINGS, maxPayloadBytes: 1024 * 1024 } });
    const r = only(await big.ingest('voc/v1/fixed/fixed-01/up', Buffer.from(deep), RECEIVED));
    expect(r.rejection.reason).toBe('schema_violation');
  });

  it('uses only reason codes of the catalogue', async () => {
    const r = only(await fixed('nope'));
    expect(Object.keys(REJECT_REASONS)).toContain(r.rejection.reason);
  });
});

describe('ingest: per-reading rejections', () => {
  const batch = (...ts: (string | number)[]) => ({ readings: ts.map((t, i) => ({ ts: t, seq: i, values: [value('tvoc', 10, 'µg/m³')] })) });

  it('refuses a reading more than the clock skew ahead and keeps the others', async () => {
    const r = await fixed(batch(TS, '2026-03-01T08:05:01Z', '2026-03-01T08:04:59Z'));
    expect(r.accepted.map((a) => a.seq)).toEqual([0, 2]);
    expect(r.rejected).toEqual([
      {
        deviceId: 'fixed-01',
        path: 'readings[1]',
        rejection: {
          reason: 'timestamp_in_future',
          detail:
            'readings[1].ts "2026-03-01T08:05:01Z" is 5.0 min after the receive time 2026-03-01T08:00:00.000Z; the allowed clock skew (VOC_MAX_CLOCK_SKEW_MS) is 5.0 min',
        },
      },
    ]);
  });

  it('refuses a reading older than the allowed lateness', async () => {
    const r = await fixed(batch(Date.parse('2026-02-22T07:59:59Z'), Date.parse('2026-02-22T08:00:01Z')));
    expect(r.accepted.map((a) => a.seq)).toEqual([1]);
    expect(r.rejected[0]).toMatchObject({ path: 'readings[0]', rejection: { reason: 'timestamp_too_old' } });
    expect(r.rejected[0]!.rejection.detail).toContain('7.0 days before the receive time');
  });

  it('refuses an epoch beyond the last representable date as in the future', async () => {
    const r = only(await fixed({ ts: 9e15, values: [value('tvoc', 1, 'ppb')] }));
    expect(r.rejection.reason).toBe('timestamp_in_future');
    expect(r.deviceId).toBe('fixed-01');
  });

  it('refuses a van reading without GPS', async () => {
    const gps = { lat: 39.91, lon: 116.37, fix: '3d', speedKmh: 12.5, headingDeg: 90 };
    const r = await run('voc/v1/van/van-01/up', {
      readings: [
        { ts: TS, values: [value('tvoc', 1, 'ppb')], gps },
        { ts: TS, values: [value('tvoc', 1, 'ppb')] },
      ],
    });
    expect(r.accepted).toHaveLength(1);
    expect(r.rejected).toHaveLength(1);
    expect(r.rejected[0]).toMatchObject({ path: 'readings[1]', rejection: { reason: 'missing_position' } });
    expect(r.rejected[0]!.rejection.detail).toContain('readings[1].gps');
  });
});

describe('ingest: per-value rejections', () => {
  async function one(v: object, topic = 'voc/v1/fixed/fixed-01/up') {
    const r = await run(topic, { ts: TS, values: [value('temp', 21.5, '°C'), v] });
    expect(r.accepted).toHaveLength(1);
    expect(r.accepted[0]!.values.map((x) => x.metric)).toEqual(['temp']);
    expect(r.rejected).toHaveLength(1);
    expect(r.rejected[0]!.path).toBe('values[1]');
    return r.rejected[0]!.rejection;
  }

  it('refuses a metric outside the catalogue', async () => {
    const r = await one(value('unobtainium', 1, 'ppb'));
    expect(r).toEqual({ reason: 'unknown_metric', detail: 'values[1].metric "unobtainium" is not in the metric catalogue' });
  });

  it.each(['oil_fume', 'fume_pm', 'fume_nmhc', 'fan_current', 'purifier_current', 'fan_state', 'purifier_state', 'flue_temp'])(
    'refuses fume metric %s from a fixed sensor',
    async (metric) => {
      const r = await one(value(metric, 1, METRICS[metric as keyof typeof METRICS].unit));
      expect(r.reason).toBe('unknown_metric');
      expect(r.detail).toContain('fume monitors only');
    },
  );

  it('accepts fume metrics at the standard state from a fume monitor', async () => {
    const r = await run('voc/v1/fume/fume-01/up', {
      ts: TS,
      values: [
        value('oil_fume', 0.8, 'mg/m3'),
        value('fan_state', 1, 'state'),
        value('fan_current', 3.2, 'A'),
        value('flue_temp', 48, 'C'),
      ],
    });
    expect(r.rejected).toEqual([]);
    expect(r.accepted[0]!.values[0]).toEqual({
      metric: 'oil_fume',
      value: 0.8,
      unit: 'mg/m³',
      rawValue: 0.8,
      rawUnit: 'mg/m3',
      refState: 'standard',
      qa: 'valid',
    });
    expect(r.accepted[0]!.lat).toBe(39.93);
  });

  it.each(['NaN', 'Infinity', '-Infinity', 'nan', 'inf'])('refuses the quoted token %s as non_finite_value', async (token) => {
    const r = await one(value('tvoc', token, 'ppb'));
    expect(r.reason).toBe('non_finite_value');
    expect(r.detail).toContain(`is ${token}, not a finite number`);
  });

  it.each([
    ['bare NaN', 'NaN'],
    ['bare Infinity', 'Infinity'],
    ['bare -Infinity', '-Infinity'],
    ['a number overflowing a double', '1e999'],
    ['a negative overflow', '-1e999'],
  ])('refuses %s as non_finite_value without losing the other values', async (_name, literal) => {
    const text = `{"ts":"${TS}","values":[{"metric":"temp","value":21.5,"unit":"°C"},{"metric":"tvoc","value":${literal},"unit":"ppb"}]}`;
    const r = await fixed(text);
    expect(r.accepted[0]!.values.map((x) => x.metric)).toEqual(['temp']);
    expect(r.rejected).toMatchObject([{ path: 'values[1]', rejection: { reason: 'non_finite_value' } }]);
  });

  it('leaves NaN inside strings alone when quoting bare tokens', async () => {
    const text = `{"ts":"${TS}","values":[{"metric":"NaN \\" Infinity","value":NaN,"unit":"ppb"},{"metric":"temp","value":20,"unit":"°C"}]}`;
    const r = await fixed(text);
    expect(r.rejected).toMatchObject([
      {
        path: 'values[0]',
        rejection: { reason: 'unknown_metric', detail: 'values[0].metric "NaN " Infinity" is not in the metric catalogue' },
      },
    ]);
  });

  it('still refuses JSON that is broken beyond NaN tokens', async () => {
    const r = only(await fixed(`{"ts":"${TS}","values":[{"metric":"tvoc","value":NaN,"unit":"ppb"}`));
    expect(r.rejection.reason).toBe('malformed_json');
  });

  it('refuses an unknown unit spelling', async () => {
    const r = await one(value('tvoc', 3, 'furlongs'));
    expect(r).toEqual({
      reason: 'unit_not_convertible',
      detail: 'values[1].unit "furlongs" of tvoc is not a known unit spelling (tvoc is stored in µg/m³)',
    });
  });

  it('refuses ppb for NMHC, which has no single molar mass', async () => {
    const r = await one(value('nmhc', 3, 'ppb'));
    expect(r.reason).toBe('unit_not_convertible');
    expect(r.detail).toContain('values[1]: 3 ppb (reference state)');
    expect(r.detail).toContain('no single molar mass');
  });

  it('refuses converting a concentration into an index', async () => {
    const r = await one(value('voc_index', 3, 'ppb'));
    expect(r.reason).toBe('unit_not_convertible');
  });

  it('passes reference_state_mismatch through from the conversion', async () => {
    const r = await one(value('benzene', 3, 'ug/m3', { ref: 'standard' }));
    expect(r.reason).toBe('reference_state_mismatch');
    expect(r.detail).toContain('standard');
  });

  it('refuses values outside the physical range, naming value and limits in the canonical unit', async () => {
    expect(await one(value('rh', 120, '%'))).toEqual({
      reason: 'value_out_of_range',
      detail: 'values[1]: rh = 120 % is outside the physical range [0, 100] %',
    });
    const co = await one(value('co', 2_000_000, 'ug/m3'));
    expect(co).toEqual({
      reason: 'value_out_of_range',
      detail: 'values[1]: co = 2000 mg/m³ (received 2000000 ug/m3) is outside the physical range [-1, 1000] mg/m³',
    });
    expect((await one(value('benzene', -5.5, 'µg/m³'))).reason).toBe('value_out_of_range');
  });
});

describe('ingest: normalisation', () => {
  it('converts benzene ppb to µg/m³ at the reference state and keeps the value as received', async () => {
    const r = await fixed({ ts: TS, values: [value('benzene', 1, 'ppb')] });
    const v = r.accepted[0]!.values[0]!;
    expect(v.value).toBeCloseTo(78.112 / VM_REFERENCE, 9);
    expect(v).toMatchObject({ metric: 'benzene', unit: 'µg/m³', rawValue: 1, rawUnit: 'ppb', refState: 'reference', qa: 'valid' });
  });

  it('stores CO given in µg/m³ in mg/m³', async () => {
    const r = await fixed({ ts: TS, values: [value('co', 300, 'μg/m³')] });
    expect(r.accepted[0]!.values[0]).toEqual({
      metric: 'co',
      value: 0.3,
      unit: 'mg/m³',
      rawValue: 300,
      rawUnit: 'μg/m³',
      refState: 'reference',
      qa: 'valid',
    });
  });

  it('leaves a MOS index untouched with reference state none', async () => {
    const r = await fixed({ ts: TS, values: [value('voc_index', 1046, '')] });
    expect(r.accepted[0]!.values[0]).toEqual({
      metric: 'voc_index',
      value: 1046,
      unit: 'index',
      rawValue: 1046,
      rawUnit: '',
      refState: 'none',
      qa: 'valid',
    });
  });

  it('marks a negative value inside the noise band suspect unless the device flagged it worse', async () => {
    const r = await fixed({
      ts: TS,
      values: [
        value('tvoc', -3, 'µg/m³'),
        value('benzene', -0.5, 'µg/m³', { qa: 'calibration' }),
        value('toluene', -1, 'µg/m³', { qa: 'invalid' }),
        value('xylene', 2, 'µg/m³', { qa: 'maintenance' }),
      ],
    });
    expect(r.rejected).toEqual([]);
    expect(r.accepted[0]!.values.map((v) => v.qa)).toEqual(['suspect', 'calibration', 'invalid', 'maintenance']);
  });

  it('gives a fixed sensor its registry position and H3 cell, and UTC times', async () => {
    const r = await fixed({ ts: '2026-03-01T15:59:00.250+08:00', seq: 7, values: [value('tvoc', 120.5, 'ug/m3')] });
    expect(r.rejected).toEqual([]);
    expect(r.accepted).toEqual([
      {
        deviceId: 'fixed-01',
        kind: 'fixed',
        time: '2026-03-01T07:59:00.250Z',
        receivedAt: '2026-03-01T08:00:00.000Z',
        seq: 7,
        lat: 39.9139,
        lon: 116.3668,
        h3: latLngToCell(39.9139, 116.3668, STORED_H3_RESOLUTION),
        values: [{ metric: 'tvoc', value: 120.5, unit: 'µg/m³', rawValue: 120.5, rawUnit: 'ug/m3', refState: 'reference', qa: 'valid' }],
      },
    ]);
    expect(readingMessageSchema.safeParse(r.accepted[0]).success).toBe(true);
  });

  it('gives a van reading its GPS position, cell and GPS quality', async () => {
    const r = await run('voc/v1/van/van-01/up', {
      ts: Date.parse(TS),
      values: [value('tvoc', 1, 'ppm')],
      gps: { lat: 39.92, lon: 116.38, fix: 'dgps', speedKmh: 18, headingDeg: 270.5, hdop: 0.9 },
    });
    const m = r.accepted[0]!;
    expect(m).toMatchObject({
      kind: 'van',
      lat: 39.92,
      lon: 116.38,
      h3: latLngToCell(39.92, 116.38, 12),
      gps: { fix: 'dgps', speedKmh: 18, headingDeg: 270.5, hdop: 0.9 },
      time: '2026-03-01T07:59:00.000Z',
    });
    expect(m.values[0]!.value).toBeCloseTo((1000 * 56.106) / VM_REFERENCE, 9);
    expect(readingMessageSchema.safeParse(m).success).toBe(true);
  });

  it('keeps the good values of a batch with one bad value and reports its exact path', async () => {
    const later = (s: number) => new Date(Date.parse(TS) + s * 1000).toISOString();
    const r = await fixed({
      readings: [
        { ts: TS, seq: 1, values: [value('tvoc', 10, 'ug/m3'), value('rh', 45, '%')] },
        { ts: later(1), seq: 2, values: [value('tvoc', 11, 'ug/m3'), value('rh', 145, '%'), value('temp', 20, 'C')] },
        { ts: later(2), seq: 3, values: [value('tvoc', 'NaN', 'ug/m3')] },
      ],
    });
    expect(r.accepted.map((a) => [a.seq, a.values.map((v) => v.metric)])).toEqual([
      [1, ['tvoc', 'rh']],
      [2, ['tvoc', 'temp']],
    ]);
    expect(r.rejected.map((x) => [x.path, x.rejection.reason])).toEqual([
      ['readings[1].values[1]', 'value_out_of_range'],
      ['readings[2].values[0]', 'non_finite_value'],
    ]);
  });
});

describe('formatDuration', () => {
  it('picks a readable unit', () => {
    expect(formatDuration(412_000)).toBe('6.9 min');
    expect(formatDuration(30_000)).toBe('30.0 s');
    expect(formatDuration(5 * 3600_000)).toBe('5.0 h');
    expect(formatDuration(8.2 * 86400_000)).toBe('8.2 days');
  });
});
