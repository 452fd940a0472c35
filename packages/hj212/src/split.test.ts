import { describe, expect, it } from 'vitest';
import { buildFrame, flagValue } from './build.js';
import type { Hj212Frame } from './frame.js';
import { parseFrame } from './parse.js';
import { SplitAssembler } from './split.js';

function part(pno: number, pnum: number, factors: Record<string, Record<string, string>>, qn = '20261201120000000'): Hj212Frame {
  const r = parseFrame(
    buildFrame({
      qn,
      st: '51',
      cn: '2051',
      pw: '123456',
      mn: 'SIMFUME0000001',
      flag: flagValue({ version: 1, split: true, ackRequested: true }),
      pnum,
      pno,
      fields: pno === 1 ? { DataTime: '20261201115900' } : {},
      factors,
    }),
  );
  if (!r.ok) throw new Error(r.reason);
  return r.frame;
}

describe('split-message reassembly', () => {
  it('passes an unsplit frame straight through', () => {
    const r = parseFrame(buildFrame({ st: '51', cn: '2051', pw: '1', mn: 'M', fields: { DataTime: '20261201115900' } }));
    if (!r.ok) throw new Error(r.reason);
    expect(new SplitAssembler().offer(r.frame)).toMatchObject([{ partial: false, pnum: 1, parts: [r.frame] }]);
  });

  it('merges parts arriving out of order into one message in PNO order', () => {
    const a = new SplitAssembler({ now: () => 0 });
    expect(a.offer(part(3, 3, { c: { Avg: '3' } }))).toEqual([]);
    expect(a.offer(part(1, 3, { a: { Avg: '1' } }))).toEqual([]);
    const [m] = a.offer(part(2, 3, { b: { Avg: '2' } }));
    expect(m).toMatchObject({ partial: false, missing: [], pnum: 3 });
    expect(m!.cp.factorOrder).toEqual(['a', 'b', 'c']);
    expect(new Date(m!.dataTime!).toISOString()).toBe('2026-12-01T03:59:00.000Z');
    expect(a.pendingCount).toBe(0);
  });

  it('emits an incomplete message flagged partial at the timeout (injected clock), not before', () => {
    let now = 0;
    const a = new SplitAssembler({ timeoutMs: 30_000, now: () => now });
    a.offer(part(1, 3, { a: { Avg: '1' } }));
    now = 29_999;
    expect(a.expire()).toEqual([]);
    now = 30_000;
    expect(a.expire()).toMatchObject([{ partial: true, missing: [2, 3] }]);
    expect(a.pendingCount).toBe(0);
  });

  it('counts a re-sent part once', () => {
    const a = new SplitAssembler();
    a.offer(part(1, 2, { a: { Avg: '1' } }));
    expect(a.offer(part(1, 2, { a: { Avg: '1' } }))).toEqual([]);
    expect(a.offer(part(2, 2, { b: { Avg: '2' } }))).toMatchObject([{ partial: false }]);
  });

  it('evicts the oldest message as partial beyond maxPending, and flushes the rest on close', () => {
    const a = new SplitAssembler({ maxPending: 2 });
    a.offer(part(1, 2, {}, '20261201120000001'));
    a.offer(part(1, 2, {}, '20261201120000002'));
    expect(a.offer(part(1, 2, {}, '20261201120000003'))).toMatchObject([{ qn: '20261201120000001', partial: true }]);
    expect(a.flush().map((m) => m.qn)).toEqual(['20261201120000002', '20261201120000003']);
  });
});
