import { readFileSync, existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commandKind } from './codes.js';
import { FIXTURE_PACKETS_PATH, SHARED_PACKETS_PATH, loadPackets, type SharedPacket } from './fixtures/packets.js';
import type { Hj212Frame, ParseOptions } from './frame.js';
import { decodeObservations } from './observations.js';
import { parseFrame } from './parse.js';
import { PROFILE_AIR_QUALITY, PROFILE_DUST } from './profiles.js';
import type { RejectReason, Tolerance, Warning } from './reasons.js';
import { buildDataResponse, requiredReply } from './responses.js';
import { SplitAssembler } from './split.js';

/**
 * The documented outcome of every shared packet: what strict settings give, and — where the notes say
 * a lenient per-device mode accepts it — which settings, which tolerances get recorded and what the
 * frame then says.
 */
interface Outcome {
  readonly strict: 'accept' | RejectReason;
  readonly lenient?: { readonly options: ParseOptions; readonly result: 'accept' | RejectReason; readonly tolerances?: Tolerance[] };
  readonly warnings?: Warning[];
  readonly check?: (f: Hj212Frame) => void;
}

const ALL: Tolerance[] = ['lowercase_crc', 'datatime_ms', 'crc_modbus', 'crc_modbus_swapped', 'missing_crlf', 'length_mismatch'];

const OUTCOMES: Record<string, Outcome> = {
  'xy-parser-0139': {
    strict: 'bad_datatime',
    lenient: { options: { tolerances: ['datatime_ms'] }, result: 'accept', tolerances: ['datatime_ms'] },
    check: (f) => expect(new Date(f.dataTime!).toISOString()).toBe('2016-08-23T16:38:17.000Z'),
  },
  'xy-parser-0136-pw000000': { strict: 'accept' },
  'xy-readme-0136-stale-crc': { strict: 'crc_mismatch', lenient: { options: { tolerances: ALL }, result: 'crc_mismatch' } },
  'guocay-0317-air-gases': {
    strict: 'bad_crc_format',
    lenient: { options: { tolerances: ['lowercase_crc'] }, result: 'accept', tolerances: ['lowercase_crc'] },
    check: (f) => expect(f.flag).toMatchObject({ version: 'hj212-2017', ackRequested: false, split: false }),
  },
  'guocay-0204-edited-datatime': { strict: 'crc_mismatch', lenient: { options: { tolerances: ALL }, result: 'crc_mismatch' } },
  'libem-0204-minute-pnum': { strict: 'accept', warnings: ['split_without_flag'], check: (f) => expect([f.pno, f.pnum]).toEqual([2, 2]) },
  'guocay-0303-nonstandard-codes': {
    strict: 'accept',
    check: (f) => {
      const d = decodeObservations(f, PROFILE_AIR_QUALITY);
      expect(d.observations).toEqual([]);
      expect(d.unmapped).toEqual(['a2106', 'a2107', 'a2104', 'a2105', 'a2102', 'a2103', 'a2101']);
    },
  },
  'alltobs-0435-water-flag8': {
    strict: 'bad_crc_format',
    lenient: { options: { tolerances: ['lowercase_crc'] }, result: 'accept', tolerances: ['lowercase_crc'] },
    warnings: ['unknown_flag_version'],
    check: (f) => expect(f.flag?.version).toBe('unknown'),
  },
  'icecoffee-0285-hourly-2061': {
    strict: 'accept',
    check: (f) => {
      expect(requiredReply(f)).toBe('data_response');
      const ack = parseFrame(buildDataResponse(f));
      expect(ack.ok && [ack.frame.cn, ack.frame.qn, ack.frame.mn]).toEqual(['9014', f.qn, f.mn]);
    },
  },
  'hj212interp-2011-sampletime': { strict: 'accept' },
  'hj212interp-9011-qnrtn': {
    strict: 'accept',
    check: (f) => {
      expect(commandKind(f.cn)).toBe('response');
      expect(requiredReply(f)).toBe('none');
      expect(decodeObservations(f, PROFILE_AIR_QUALITY)).toMatchObject({ isData: false, observations: [] });
    },
  },
  'flash520-0411-air-minute': {
    strict: 'bad_terminator',
    lenient: { options: { tolerances: ['missing_crlf'] }, result: 'accept', tolerances: ['missing_crlf'] },
    check: (f) => {
      const d = decodeObservations(f, PROFILE_AIR_QUALITY);
      expect(d.observations).toHaveLength(11);
      expect(d.observations.every((o) => o.observedAt === '2022-05-13T08:26:00.000Z' && o.flag === 'N')).toBe(true);
      expect(d.observations.find((o) => o.metric === 'pressure')).toMatchObject({ value: 950, unit: 'hPa', tolerances: ['missing_crlf'] });
    },
  },
  'scada-0121-dust-rtd': {
    strict: 'bad_terminator',
    lenient: { options: { tolerances: ['missing_crlf'] }, result: 'accept', tolerances: ['missing_crlf'] },
    check: (f) => {
      const d = decodeObservations(f, PROFILE_DUST);
      expect(d.observations).toEqual([
        expect.objectContaining({ metric: 'tsp', value: 92, unit: 'µg/m³', flag: 'N', flagFromBareItem: true }),
      ]);
    },
  },
  'scada-0121-relay-bug-2051': {
    strict: 'length_mismatch',
    lenient: { options: { tolerances: ALL }, result: 'malformed_cp' },
  },
  'rx-0234-st101': {
    strict: 'bad_terminator',
    lenient: { options: { tolerances: ['missing_crlf'] }, result: 'accept', tolerances: ['missing_crlf'] },
    warnings: ['unknown_system'],
  },
  'rx-0872-st31-2005codes': {
    strict: 'bad_terminator',
    lenient: { options: { tolerances: ['missing_crlf'] }, result: 'accept', tolerances: ['missing_crlf'] },
    // The notes say 32 factors; the packet and its `expected` hold 31.
    check: (f) => expect(f.cp.factorOrder).toHaveLength(31),
  },
  'rx-1623-oversize-minute': {
    strict: 'oversize',
    lenient: {
      options: { tolerances: ['crc_modbus_swapped', 'missing_crlf'], maxDataLength: 2048 },
      result: 'accept',
      tolerances: ['crc_modbus_swapped', 'missing_crlf', 'oversize'],
    },
  },
  'hcu-1012-modbus': {
    strict: 'crc_mismatch',
    lenient: { options: { tolerances: ['crc_modbus'] }, result: 'accept', tolerances: ['crc_modbus'] },
    warnings: ['split_flag_without_pnum'],
    check: (f) => expect(commandKind(f.cn)).toBe('request'),
  },
  'hcu-2051-query-modbus': {
    strict: 'crc_mismatch',
    lenient: { options: { tolerances: ['crc_modbus'] }, result: 'accept', tolerances: ['crc_modbus'] },
    warnings: ['split_flag_without_pnum'],
    check: (f) => expect(decodeObservations(f, PROFILE_AIR_QUALITY).observations).toEqual([]),
  },
  'issue6-cooking-fume-st51': { strict: 'length_mismatch', lenient: { options: { tolerances: ALL }, result: 'length_mismatch' } },
};

function expectContent(f: Hj212Frame, p: SharedPacket): void {
  const e = p.expected;
  expect([f.qn, f.st, f.cn, f.pw, f.mn]).toEqual([e.QN, e.ST, e.CN, e.PW, e.MN]);
  expect(f.flag?.value).toBe(e.Flag === undefined ? undefined : Number(e.Flag));
  expect([f.pno, f.pnum]).toEqual([e.PNO && Number(e.PNO), e.PNUM && Number(e.PNUM)]);
  expect({ ...f.cp.fields }).toEqual(e.cp_fields);
  const factors = Object.fromEntries(Object.entries(f.cp.factors).map(([k, v]) => [k, { ...v }]));
  expect(factors).toEqual(e.factors ?? {});
}

const { path, packets } = loadPackets();

describe('shared HJ 212 packets', () => {
  it('are read from the shared data set, or its committed copy, which match', () => {
    expect(packets.length).toBeGreaterThanOrEqual(20);
    if (existsSync(SHARED_PACKETS_PATH)) expect(readFileSync(FIXTURE_PACKETS_PATH, 'utf8')).toBe(readFileSync(SHARED_PACKETS_PATH, 'utf8'));
    expect(path).toMatch(/packets\.jsonl$/);
  });

  for (const p of packets) {
    it(`${p.id}: ${p.expected_outcome.slice(0, 90)}`, () => {
      const o = OUTCOMES[p.id];
      expect(o, `no documented outcome for ${p.id}`).toBeDefined();
      if (!o) return;
      const strict = parseFrame(Buffer.from(p.packet, 'latin1'));
      expect(strict.ok ? 'accept' : strict.reason).toBe(o.strict);
      let accepted = strict.ok ? strict.frame : undefined;
      if (strict.ok) expect(strict.frame.tolerances).toEqual([]);
      if (o.lenient) {
        const r = parseFrame(p.packet, o.lenient.options);
        expect(r.ok ? 'accept' : `${r.reason}`).toBe(o.lenient.result);
        if (r.ok) {
          expect([...r.frame.tolerances].sort()).toEqual([...(o.lenient.tolerances ?? [])].sort());
          accepted = r.frame;
        }
      }
      if (accepted) {
        expectContent(accepted, p);
        expect(accepted.warnings).toEqual(o.warnings ?? []);
        o.check?.(accepted);
      }
    });
  }

  it('libem-0204-minute-pnum is held as part 2 of 2 and emitted partial at the timeout, not dropped', () => {
    const p = packets.find((x) => x.id === 'libem-0204-minute-pnum')!;
    const r = parseFrame(p.packet);
    if (!r.ok) throw new Error(r.reason);
    let now = 1_000;
    const asm = new SplitAssembler({ timeoutMs: 60_000, now: () => now });
    expect(asm.offer(r.frame)).toEqual([]);
    now += 59_999;
    expect(asm.expire()).toEqual([]);
    now += 1;
    const [m] = asm.expire();
    expect(m).toMatchObject({ partial: true, missing: [1], pnum: 2 });
    const d = decodeObservations(m!, PROFILE_AIR_QUALITY);
    expect(d.observations).toEqual([expect.objectContaining({ metric: 'pressure', value: 1018.5, partial: true })]);
  });
});
