import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildFrame, wrapSegment, type FrameFields } from './build.js';
import { Hj212Framer } from './framer.js';
import { parseFrame } from './parse.js';
import { REJECT_REASONS, TOLERANCES } from './reasons.js';

// `npm test` runs 10,000 cases per property; `npm run fuzz` sets VOC_HJ212_FUZZ_RUNS=1000000.
const RUNS = Number(process.env.VOC_HJ212_FUZZ_RUNS ?? 10_000);
const TIMEOUT = Math.max(120_000, RUNS * 5);
const REASONS = new Set<string>(Object.values(REJECT_REASONS));
const ALL_TOLERANCES = Object.values(TOLERANCES);

/** Reference HJ 212 CRC: the bit-by-bit routine exactly as SPEC-NOTES §4 words it (src/crc.ts uses a table). */
function oracleCrc(seg: string): string {
  let r = 0xffff;
  for (let i = 0; i < seg.length; i++) {
    r = (r >>> 8) ^ seg.charCodeAt(i);
    for (let k = 0; k < 8; k++) {
      const lsb = r & 1;
      r >>>= 1;
      if (lsb) r ^= 0xa001;
    }
  }
  return r.toString(16).toUpperCase().padStart(4, '0');
}

const hjChar = fc.constantFrom(...'##&&;;==,,--0123456789aAbBcCfFNQSTPWMDRtdvg\r\n\x00\xff'.split(''));
const hjText = fc.string({ unit: hjChar, maxLength: 300 });
const bytes = fc.uint8Array({ maxLength: 1200 }).map((a) => Buffer.from(a).toString('latin1'));
const token = fc.string({ unit: fc.constantFrom(...'abcXYZ0123456789.'.split('')), minLength: 1, maxLength: 8 });
const fields: fc.Arbitrary<FrameFields> = fc.record({
  qn: fc.stringMatching(/^\d{17}$/),
  st: fc.constantFrom('22', '27', '31', '39', '51'),
  cn: fc.constantFrom('2011', '2051', '2061', '9014'),
  pw: token,
  mn: token,
  flag: fc.integer({ min: 0, max: 255 }).filter((f) => (f & 2) === 0),
  fields: fc.constant({ DataTime: '20261201120000' }),
  factors: fc.dictionary(
    fc.stringMatching(/^[a-z][0-9]{5}$/),
    fc.dictionary(fc.constantFrom('Rtd', 'Avg', 'Min', 'Max', 'Flag'), token, { maxKeys: 3 }),
    { maxKeys: 6 },
  ),
});
const mutation = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('flip', 'insert', 'delete', 'swap'),
  ch: fc.integer({ min: 0, max: 255 }),
});

function mutate(s: string, m: { at: number; kind: string; ch: number }): string {
  const i = m.at % s.length;
  const c = String.fromCharCode(m.ch);
  if (m.kind === 'flip') return s.slice(0, i) + String.fromCharCode(s.charCodeAt(i) ^ (1 << (m.ch % 8))) + s.slice(i + 1);
  if (m.kind === 'insert') return s.slice(0, i) + c + s.slice(i);
  if (m.kind === 'delete') return s.slice(0, i) + s.slice(i + 1);
  const j = (i + 1 + (m.ch % 7)) % s.length;
  const a = s.split('');
  [a[i], a[j]] = [a[j]!, a[i]!];
  return a.join('');
}

function expectWellBehaved(input: string, tolerant: boolean): void {
  const r = parseFrame(input, tolerant ? { tolerances: ALL_TOLERANCES, maxDataLength: 9999 } : {});
  if (!r.ok) expect(REASONS.has(r.reason), r.reason).toBe(true);
}

describe('HJ 212 codec under fuzzing', () => {
  it(`never throws an unexpected error on arbitrary bytes or protocol-alphabet text (${RUNS} runs)`, { timeout: TIMEOUT }, () => {
    fc.assert(
      fc.property(
        fc.oneof(
          bytes,
          hjText,
          hjText.map((t) => '##' + t),
        ),
        fc.boolean(),
        fc.nat(),
        (input, tolerant, cut) => {
          expectWellBehaved(input, tolerant);
          const framer = new Hj212Framer(tolerant ? { tolerances: ALL_TOLERANCES } : {});
          const i = input.length === 0 ? 0 : cut % input.length;
          for (const e of [...framer.push(input.slice(0, i)), ...framer.push(input.slice(i)), ...framer.end()])
            if (e.kind === 'rejected') expect(REASONS.has(e.reason), e.reason).toBe(true);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it(
    `never accepts, under strict settings, a frame whose CRC fails (${RUNS} runs of mutated real-shaped frames)`,
    { timeout: TIMEOUT },
    () => {
      fc.assert(
        fc.property(fields, fc.array(mutation, { minLength: 1, maxLength: 3 }), (f, ms) => {
          let text = buildFrame(f);
          for (const m of ms) text = mutate(text, m);
          const r = parseFrame(text);
          if (!r.ok) {
            expect(REASONS.has(r.reason)).toBe(true);
            return;
          }
          // Accepted: then the frame is exactly ## + length + segment + the segment's true CRC + CR LF.
          const seg = r.frame.segment;
          expect(text).toBe(`##${String(seg.length).padStart(4, '0')}${seg}${oracleCrc(seg)}\r\n`);
        }),
        { numRuns: RUNS },
      );
    },
  );

  it(`never accepts a wrong CRC value, whatever the segment (${RUNS} runs)`, { timeout: TIMEOUT }, () => {
    fc.assert(
      fc.property(hjText, fc.integer({ min: 0, max: 0xffff }), (seg, crc) => {
        const hex = crc.toString(16).toUpperCase().padStart(4, '0');
        fc.pre(hex !== oracleCrc(seg));
        const r = parseFrame(`##${String(seg.length).padStart(4, '0')}${seg}${hex}\r\n`);
        expect(r.ok).toBe(false);
      }),
      { numRuns: RUNS },
    );
  });

  it(`round-trips built frames (${RUNS} runs)`, { timeout: TIMEOUT }, () => {
    fc.assert(
      fc.property(fields, (f) => {
        const r = parseFrame(buildFrame(f));
        if (!r.ok) throw new Error(`${r.reason}: ${r.detail}`);
        expect([r.frame.qn, r.frame.st, r.frame.cn, r.frame.pw, r.frame.mn, r.frame.flag?.value]).toEqual([
          f.qn,
          f.st,
          f.cn,
          f.pw,
          f.mn,
          f.flag,
        ]);
        const got = Object.fromEntries(Object.entries(r.frame.cp.factors).map(([k, v]) => [k, { ...v }]));
        expect(got).toEqual(Object.fromEntries(Object.entries(f.factors ?? {}).filter(([, v]) => Object.keys(v).length > 0)));
      }),
      { numRuns: RUNS },
    );
  });

  it(`frames every good frame of a stream with garbage, in any chunking (${Math.ceil(RUNS / 10)} runs)`, { timeout: TIMEOUT }, () => {
    const garbage = fc.string({ unit: fc.constantFrom(...'abc;=&\x00\x01\xff\r\n'.split('')), maxLength: 40 });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fields, garbage), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 20 }),
        (items, cuts) => {
          const frames = items.map(([f]) => buildFrame(f));
          const stream = items.map(([, g], i) => frames[i] + g).join('');
          const framer = new Hj212Framer();
          const got: string[] = [];
          let pos = 0;
          let k = 0;
          while (pos < stream.length) {
            const n = cuts[k++ % cuts.length]!;
            for (const e of framer.push(Buffer.from(stream.slice(pos, pos + n), 'latin1'))) if (e.kind === 'frame') got.push(e.text);
            pos += n;
            expect(framer.bufferedBytes).toBeLessThanOrEqual(1036 + 200);
          }
          for (const e of framer.end()) if (e.kind === 'frame') got.push(e.text);
          expect(got).toEqual(frames);
        },
      ),
      { numRuns: Math.ceil(RUNS / 10) },
    );
  });

  it('stays linear on a pathological input (no backtracking): 1 MB of separators parses', () => {
    const seg = 'ST=22;CN=2011;PW=1;MN=M;CP=&&' + ';,'.repeat(4000) + '&&';
    expect(parseFrame(wrapSegment(seg), { maxDataLength: 9999 }).ok).toBe(true);
    expectWellBehaved('##' + '#'.repeat(1_000_000), true);
    expect(new Hj212Framer().push('#'.repeat(1_000_000)).length).toBeGreaterThan(0);
  });
});
