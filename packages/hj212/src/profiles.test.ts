import { describe, expect, it } from 'vitest';
import { buildFrame } from './build.js';
import { crcHj212, formatCrc } from './crc.js';
import { loadPackets } from './fixtures/packets.js';
import { decodeObservations } from './observations.js';
import { parseFrame } from './parse.js';
import { PROFILE_DUST, PROFILE_FUME, PROFILE_FUME_VENDOR_CONC, defineProfile, profileForSystem } from './profiles.js';
import { buildMinuteData } from './simulator.js';

describe('factor profiles', () => {
  it('decodes simulated minute data of a fume monitor to oil fume, particulate and NMHC with flags and UTC time', () => {
    const text = buildMinuteData({
      mn: 'SIMFUME0000001',
      pw: '123456',
      dataTime: Date.UTC(2026, 11, 1, 3, 59),
      values: { a34041: 0.82, a34000: 1.5, a24088: 3.1, zz999: 1 },
      flags: { a24088: 'C' },
    });
    const r = parseFrame(text);
    if (!r.ok) throw new Error(r.reason);
    const d = decodeObservations(r.frame, PROFILE_FUME);
    expect(d.observations.map((o) => [o.metric, o.value, o.unit, o.flag, o.observedAt])).toEqual([
      ['oil_fume', 0.82, 'mg/m³', 'N', '2026-12-01T03:59:00.000Z'],
      ['fume_pm', 1.5, 'mg/m³', 'N', '2026-12-01T03:59:00.000Z'],
      ['fume_nmhc', 3.1, 'mg/m³', 'C', '2026-12-01T03:59:00.000Z'],
    ]);
    expect(d.unmapped).toEqual(['zz999']);
  });

  it('maps the vendor codes of the real cooking-fume packet (content rebuilt with a correct length and CRC)', () => {
    // issue6-cooking-fume-st51 is rejected as sent (length 215 vs 271, CRC wrong); its content is real.
    const p = loadPackets().packets.find((x) => x.id === 'issue6-cooking-fume-st51')!;
    const seg = p.packet.slice(6, p.packet.length - 6);
    const rebuilt = parseFrame(`##${String(seg.length).padStart(4, '0')}${seg}` + crcOf(seg) + '\r\n');
    if (!rebuilt.ok) throw new Error(`${rebuilt.reason}: ${rebuilt.detail}`);
    const d = decodeObservations(rebuilt.frame, PROFILE_FUME_VENDOR_CONC);
    expect(d.observations.map((o) => [o.metric, o.value, o.factor])).toEqual([
      ['oil_fume', 0.82, 'CONC'],
      ['flue_temp', 42.3, 'S03'],
      ['fan_state', 1, 'FANSTATUS'],
      ['purifier_state', 1, 'PURIFYSTATUS'],
    ]);
    expect(d.unmapped).toEqual(['FLOW', 'PA', 'FANAD', 'PURIFYAD', 'CONCAD', 'S04', 'S09', 'S02']);
    expect(d.observations[0]!.observedAt).toBe('2018-07-26T04:12:01.000Z');
  });

  it('decodes a construction-site dust monitor (ST=39): TSP, PM10, PM2.5 and noise', () => {
    const r = parseFrame(
      buildFrame({
        st: '39',
        cn: '2011',
        pw: '1',
        mn: 'DUST01',
        fields: { DataTime: '20261201120000' },
        factors: { a34001: { Rtd: '92' }, a34002: { Rtd: '60' }, a34004: { Rtd: '35' }, LA: { Rtd: '61.5' } },
      }),
    );
    if (!r.ok) throw new Error(r.reason);
    expect(profileForSystem('39')).toBe(PROFILE_DUST);
    expect(decodeObservations(r.frame, PROFILE_DUST).observations.map((o) => [o.metric, o.value, o.unit])).toEqual([
      ['tsp', 92, 'µg/m³'],
      ['pm10', 60, 'µg/m³'],
      ['pm25', 35, 'µg/m³'],
      ['noise_laeq', 61.5, 'dB(A)'],
    ]);
  });

  it('lets a device override codes and units, converting to the catalogue unit', () => {
    const vendor = defineProfile(PROFILE_FUME, {
      id: 'vendor-x',
      factors: { FI: { metric: 'fan_current', unit: 'A' }, a34041: { metric: 'oil_fume', unit: 'µg/m³' } },
      remove: ['a34000'],
    });
    const r = parseFrame(
      buildFrame({
        st: '51',
        cn: '2051',
        pw: '1',
        mn: 'M',
        fields: { DataTime: '20261201120000' },
        factors: { FI: { Avg: '4.2' }, a34041: { Avg: '820' }, a34000: { Avg: '1' } },
      }),
    );
    if (!r.ok) throw new Error(r.reason);
    const d = decodeObservations(r.frame, vendor);
    expect(d.observations.map((o) => [o.metric, o.value, o.unit])).toEqual([
      ['fan_current', 4.2, 'A'],
      ['oil_fume', 0.82, 'mg/m³'],
    ]);
    expect(d.unmapped).toEqual(['a34000']);
  });

  it('refuses a profile whose unit cannot convert (ppb to mg/m³ needs a molar mass)', () => {
    expect(() => defineProfile(PROFILE_FUME, { id: 'bad', factors: { X: { metric: 'fume_nmhc', unit: 'ppb' } } })).toThrow(TypeError);
  });

  it('reports a non-numeric value and a missing DataTime instead of dropping them', () => {
    const bad = parseFrame(
      buildFrame({ st: '51', cn: '2011', pw: '1', mn: 'M', fields: { DataTime: '20261201120000' }, factors: { a34041: { Rtd: 'NaN' } } }),
    );
    expect(bad.ok && decodeObservations(bad.frame, PROFILE_FUME).issues.map((i) => i.code)).toEqual(['bad_value']);
    const noTime = parseFrame(buildFrame({ st: '51', cn: '2011', pw: '1', mn: 'M', factors: { a34041: { Rtd: '1' } } }));
    expect(noTime.ok && decodeObservations(noTime.frame, PROFILE_FUME).issues.map((i) => i.code)).toEqual(['missing_datatime']);
  });
});

function crcOf(seg: string): string {
  return formatCrc(crcHj212(seg));
}
