import { describe, expect, it } from 'vitest';
import { buildFrame, buildSegment, flagValue, wrapSegment, type FrameFields } from './build.js';
import { parseFrame } from './parse.js';
import { REJECT_REASONS } from './reasons.js';

const base: FrameFields = {
  qn: '20261201120000123',
  st: '51',
  cn: '2051',
  pw: '123456',
  mn: 'SIMFUME0000001',
  flag: flagValue({ version: 1, ackRequested: true }),
  fields: { DataTime: '20261201115900' },
  factors: { a34041: { Avg: '0.82', Flag: 'N' }, a24088: { Avg: '3.100', Flag: 'N' } },
};

function reasonOf(frame: string, opts = {}): string {
  const r = parseFrame(frame, opts);
  return r.ok ? 'accept' : r.reason;
}

describe('HJ 212 codec: build → parse', () => {
  it('round-trips every header field, the CP items and the Flag bits', () => {
    const text = buildFrame({ ...base, pnum: 3, pno: 2, flag: flagValue({ version: 1, ackRequested: true, split: true }) });
    const r = parseFrame(Buffer.from(text, 'latin1'));
    if (!r.ok) throw new Error(`${r.reason}: ${r.detail}`);
    const f = r.frame;
    expect([f.qn, f.st, f.cn, f.pw, f.mn, f.pnum, f.pno]).toEqual([base.qn, '51', '2051', '123456', 'SIMFUME0000001', 3, 2]);
    expect(f.flag).toEqual({ value: 7, versionBits: 1, version: 'hj212-2017', ackRequested: true, split: true });
    expect({ ...f.cp.fields }).toEqual({ DataTime: '20261201115900' });
    expect({ ...f.cp.factors.a34041 }).toEqual({ Avg: '0.82', Flag: 'N' });
    expect(new Date(f.dataTime!).toISOString()).toBe('2026-12-01T03:59:00.000Z');
    expect(f.tolerances).toEqual([]);
    expect(f.warnings).toEqual([]);
  });

  it('round-trips a 2005-style frame (no QN, no Flag) and an empty data area', () => {
    const r = parseFrame(buildFrame({ st: '91', cn: '9014', pw: '123456', mn: 'X1' }));
    expect(r.ok && [r.frame.qn, r.frame.flag, r.frame.cp.factorOrder, r.frame.segment.endsWith('CP=&&&&')]).toEqual([
      undefined,
      undefined,
      [],
      true,
    ]);
  });

  it('splits factor items on the first hyphen only (a21026-i22004-Info=1)', () => {
    const r = parseFrame(wrapSegment('ST=22;CN=2011;PW=1;MN=M;CP=&&DataTime=20200101000000;a21026-i22004-Info=1,a21026-Rtd=3&&'));
    expect(r.ok && { ...r.frame.cp.factors.a21026 }).toEqual({ 'i22004-Info': '1', Rtd: '3' });
  });

  it('keeps header fields out of order (MN before PW) and hostile names as plain keys', () => {
    const r = parseFrame(wrapSegment('MN=M1;PW=9;ST=22;CN=2011;CP=&&DataTime=20200101000000;__proto__-Rtd=1;constructor=2&&'));
    if (!r.ok) throw new Error(r.reason);
    expect([r.frame.mn, r.frame.pw]).toEqual(['M1', '9']);
    expect(r.frame.cp.factors['__proto__']?.Rtd).toBe('1');
    expect(r.frame.cp.fields.constructor).toBe('2');
  });
});

describe('HJ 212 codec: rejections carry stable reasons', () => {
  const good = buildFrame(base);
  it.each([
    ['a lost #', good.slice(1), 'bad_header'],
    ['a 2-digit length', '##81' + good.slice(6), 'bad_length'],
    ['a length one too long', '##' + String(good.length - 12 + 1).padStart(4, '0') + good.slice(6), 'length_mismatch'],
    ['a segment over 1024 bytes', buildFrame({ ...base, fields: { DataTime: '20261201115900', X: 'y'.repeat(1100) } }), 'oversize'],
    ['no CR LF', good.slice(0, -2), 'bad_terminator'],
    ['a non-hex CRC', good.slice(0, -6) + 'ZZZZ\r\n', 'bad_crc_format'],
    [
      'a CRC off by one',
      wrapSegment(buildSegment(base)).replace(
        /[0-9A-F]{4}\r\n$/,
        (m) => (parseInt(m, 16) ^ 1).toString(16).toUpperCase().padStart(4, '0') + '\r\n',
      ),
      'crc_mismatch',
    ],
    ['no MN', wrapSegment('ST=22;CN=2011;PW=1;CP=&&&&'), 'missing_field'],
    ['no CP', wrapSegment('ST=22;CN=2011;PW=1;MN=M'), 'missing_field'],
    ['a QN of 16 digits', wrapSegment('QN=2026120112000012;ST=22;CN=2011;PW=1;MN=M;CP=&&&&'), 'bad_field'],
    ['Flag=256', wrapSegment('ST=22;CN=2011;PW=1;MN=M;Flag=256;CP=&&&&'), 'bad_field'],
    ['ST twice', wrapSegment('ST=22;ST=22;CN=2011;PW=1;MN=M;CP=&&&&'), 'duplicate_field'],
    ['CP not closed', wrapSegment('ST=22;CN=2011;PW=1;MN=M;CP=&&DataTime=20200101000000'), 'malformed_cp'],
    ['an item without =', wrapSegment('ST=22;CN=2011;PW=1;MN=M;CP=&&DataTime=20200101000000;a01001&&'), 'malformed_cp'],
    ['31 April', wrapSegment('ST=22;CN=2011;PW=1;MN=M;CP=&&DataTime=20200431000000&&'), 'bad_datatime'],
    ['a 17-digit DataTime on a strict device', wrapSegment('ST=22;CN=2011;PW=1;MN=M;CP=&&DataTime=20200101000000000&&'), 'bad_datatime'],
    ['CN=7777', wrapSegment('ST=22;CN=7777;PW=1;MN=M;CP=&&&&'), 'unknown_command'],
    ['PNO 3 of 2', wrapSegment('ST=22;CN=2051;PW=1;MN=M;Flag=7;PNUM=0002;PNO=0003;CP=&&&&'), 'bad_split'],
    ['PNUM without PNO', wrapSegment('ST=22;CN=2051;PW=1;MN=M;PNUM=2;CP=&&&&'), 'missing_field'],
    ['a truncated frame', good.slice(0, 4), 'truncated'],
  ])('%s → %s', (_, frame, reason) => {
    expect(Object.values(REJECT_REASONS)).toContain(reason);
    expect(reasonOf(frame)).toBe(reason);
  });

  it('accepts each deviation only through its own tolerance, and records it', () => {
    // First minute whose CRC has a hex letter (deterministic).
    let lower = '';
    for (let m = 10; m < 60 && lower === ''; m++) {
      const t = buildFrame({ ...base, fields: { DataTime: `2026120111${m}00` } }, { lowercaseCrc: true });
      if (/[a-f]/.test(t.slice(-6, -2))) lower = t;
    }
    expect(reasonOf(lower)).toBe('bad_crc_format');
    const r = parseFrame(lower, { tolerances: ['lowercase_crc'] });
    expect(r.ok && r.frame.tolerances).toEqual(['lowercase_crc']);
  });

  it.each([
    ['crc_modbus', { crc: 'modbus' as const }],
    ['crc_modbus_swapped', { crc: 'modbus_swapped' as const }],
    ['missing_crlf', { crlf: false }],
  ] as const)('%s', (tolerance, opts) => {
    const text = buildFrame(base, opts);
    expect(reasonOf(text)).not.toBe('accept');
    const r = parseFrame(text, { tolerances: [tolerance] });
    expect(r.ok && r.frame.tolerances).toEqual([tolerance]);
  });

  it('length_mismatch: a wrong length is accepted only when the CRC of the actual segment is right', () => {
    const text = buildFrame(base, { declaredLength: 10 });
    expect(reasonOf(text)).toBe('length_mismatch');
    const r = parseFrame(text, { tolerances: ['length_mismatch'] });
    expect(r.ok && [r.frame.tolerances, r.frame.declaredLength]).toEqual([['length_mismatch'], 10]);
    const corrupt = text.replace('0.82', '0.83');
    expect(reasonOf(corrupt, { tolerances: ['length_mismatch'] })).toBe('length_mismatch');
  });
});
