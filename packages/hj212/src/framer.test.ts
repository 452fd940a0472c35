import { describe, expect, it } from 'vitest';
import { buildFrame, flagValue, type FrameFields } from './build.js';
import { resolveParseOptions } from './frame.js';
import { Hj212Framer, peekMn, type FramerEvent } from './framer.js';

function frame(i: number, extra: Partial<FrameFields> = {}): string {
  return buildFrame({
    qn: `2026120112${String(i).padStart(2, '0')}00000`,
    st: '51',
    cn: '2051',
    pw: '123456',
    mn: 'SIMFUME0000001',
    flag: flagValue({ version: 1, ackRequested: true }),
    fields: { DataTime: `2026120112${String(i).padStart(2, '0')}00` },
    factors: { a34041: { Avg: (i / 10).toFixed(3), Flag: 'N' } },
    ...extra,
  });
}

function summary(events: FramerEvent[]): string[] {
  return events.map((e) => (e.kind === 'frame' ? `frame ${e.frame.qn!.slice(10, 12)}` : `rejected ${e.reason}`));
}

function feedAll(f: Hj212Framer, chunks: (string | Buffer)[]): FramerEvent[] {
  return [...chunks.flatMap((c) => f.push(c)), ...f.end()];
}

describe('HJ 212 stream framer', () => {
  it('reassembles a frame split across reads, byte by byte', () => {
    const text = frame(1);
    const f = new Hj212Framer();
    const out: FramerEvent[] = [];
    for (let i = 0; i < text.length; i++) out.push(...f.push(Buffer.from(text[i]!, 'latin1')));
    expect(summary(out)).toEqual(['frame 01']);
    expect(f.bufferedBytes).toBe(0);
  });

  it('splits several frames in one read, in order, and gives each its exact bytes', () => {
    const texts = [frame(1), frame(2), frame(3)];
    const out = new Hj212Framer().push(Buffer.from(texts.join(''), 'latin1'));
    expect(summary(out)).toEqual(['frame 01', 'frame 02', 'frame 03']);
    expect(out.map((e) => (e.kind === 'frame' ? e.text : ''))).toEqual(texts);
  });

  it('reports garbage between frames with its raw bytes and keeps both frames', () => {
    const out = feedAll(new Hj212Framer(), [frame(1) + '\x01\x03\x00\x00\x00\x0a\xc5\xcd' + frame(2)]);
    expect(summary(out)).toEqual(['frame 01', 'rejected garbage', 'frame 02']);
    const g = out[1];
    expect(g?.kind === 'rejected' && [...g.raw]).toEqual([1, 3, 0, 0, 0, 10, 0xc5, 0xcd]);
  });

  it('resynchronises after a frame whose length says more than it has, without losing the next frame', () => {
    const broken = frame(1, {}).replace(/^##(\d{4})/, (_, d: string) => `##${String(Number(d) + 40).padStart(4, '0')}`);
    const out = feedAll(new Hj212Framer(), [broken.slice(0, 50), broken.slice(50) + frame(2).slice(0, 30), frame(2).slice(30)]);
    expect(summary(out)).toEqual(['rejected length_mismatch', 'frame 02']);
  });

  it('resynchronises after a frame whose length says less than it has (cut at its own CR LF)', () => {
    const broken = frame(1).replace(/^##(\d{4})/, (_, d: string) => `##${String(Number(d) - 30).padStart(4, '0')}`);
    const out = feedAll(new Hj212Framer(), [broken + frame(2)]);
    expect(summary(out)).toEqual(['rejected length_mismatch', 'frame 02']);
    const r = out[0];
    expect(r?.kind === 'rejected' && r.raw.toString('latin1')).toBe(broken);
  });

  it('rejects a bad CRC and keeps the frame after it', () => {
    const bad = frame(1).replace('0.100', '0.900');
    expect(summary(feedAll(new Hj212Framer(), [bad, frame(2)]))).toEqual(['rejected crc_mismatch', 'frame 02']);
  });

  it('rejects an oversized frame from its length field without buffering it, then resumes', () => {
    const f = new Hj212Framer();
    const huge = '##9000' + 'QN=1;'.repeat(400);
    const out = [...f.push(huge), ...f.push(frame(2))];
    // The first maxFrameBytes go out as the oversize rejection (truncated), the rest as garbage.
    expect(summary(out)).toEqual(['rejected oversize', 'rejected garbage', 'frame 02']);
    expect(out[0]).toMatchObject({ truncated: true });
    expect(out.slice(0, 2).reduce((n, e) => n + (e.kind === 'rejected' ? e.raw.length : 0), 0)).toBe(huge.length);
    expect(f.bufferedBytes).toBe(0);
  });

  it('stays within its bound on an endless stream without ##', () => {
    const f = new Hj212Framer();
    const out: FramerEvent[] = [];
    for (let i = 0; i < 200; i++) out.push(...f.push(Buffer.alloc(4096, 0x41)));
    expect(f.bufferedBytes).toBe(0);
    expect(out.every((e) => e.kind === 'rejected' && e.reason === 'garbage' && e.raw.length <= 1036)).toBe(true);
  });

  it('stays within its bound on a header that never completes', () => {
    const f = new Hj212Framer();
    f.push('##0500QN=');
    for (let i = 0; i < 100; i++) f.push('x'.repeat(100));
    expect(f.bufferedBytes).toBeLessThanOrEqual(1036 + 100);
  });

  it('a frame without CR LF: rejected on a strict device, framed on a device with missing_crlf', () => {
    const noCrlf = [frame(1).slice(0, -2), frame(2).slice(0, -2)];
    expect(summary(feedAll(new Hj212Framer(), noCrlf))).toEqual(['rejected bad_terminator', 'rejected bad_terminator']);
    const lenient = new Hj212Framer({ tolerances: ['missing_crlf'] });
    // Emitted as soon as the CRC is in, without waiting for the next frame.
    expect(summary(lenient.push(noCrlf[0]!))).toEqual(['frame 01']);
    expect(summary(lenient.push(noCrlf[1]!))).toEqual(['frame 02']);
  });

  it('skips CR LF between frames and reports a truncated frame at the end of the connection', () => {
    const f = new Hj212Framer();
    expect(summary([...f.push('\r\n' + frame(1) + '\r\n\r\n'), ...f.push(frame(2).slice(0, 40))])).toEqual(['frame 01']);
    const end = f.end();
    expect(summary(end)).toEqual(['rejected length_mismatch']);
  });

  it('applies each device its own settings by MN, from the first frame on a shared stream', () => {
    const lenientA = resolveParseOptions({ tolerances: ['missing_crlf', 'datatime_ms'] });
    const framer = new Hj212Framer({ tolerances: ['missing_crlf'], deviceOptions: (mn) => (mn === 'DEVA' ? lenientA : undefined) });
    const a = frame(1, { mn: 'DEVA', fields: { DataTime: '20261201120100000' } }).slice(0, -2);
    const b = frame(2, { mn: 'DEVB', fields: { DataTime: '20261201120200000' } });
    const bNoCrlf = frame(3, { mn: 'DEVB' }).slice(0, -2);
    expect(summary(feedAll(framer, [a + b + bNoCrlf + frame(4, { mn: 'DEVB' })]))).toEqual([
      'frame 01',
      'rejected bad_datatime',
      'rejected bad_terminator',
      'frame 04',
    ]);
  });

  it('waits for a strict device’s CR LF that comes in a later read, and refuses it only when other bytes follow', () => {
    const strict = resolveParseOptions({});
    const framer = new Hj212Framer({ tolerances: ['missing_crlf'], deviceOptions: () => strict });
    const text = frame(1);
    // Cut right after the CRC: nothing yet, the CR LF may be in the next TCP segment.
    expect(framer.push(text.slice(0, -2))).toEqual([]);
    expect(summary(framer.push(text.slice(-2)))).toEqual(['frame 01']);
    // A strict device that really omitted it: refused once the next frame shows it.
    expect(framer.push(frame(2).slice(0, -2))).toEqual([]);
    expect(summary([...framer.push(frame(3)), ...framer.end()])).toEqual(['rejected bad_terminator', 'frame 03']);
  });

  it('accepts a wrong length whose CRC is right on a device with length_mismatch, cut at its CR LF', () => {
    const text = frame(1).replace(/^##(\d{4})/, (_, d: string) => `##${String(Number(d) + 3).padStart(4, '0')}`);
    expect(summary(feedAll(new Hj212Framer(), [text + frame(2)]))).toEqual(['rejected length_mismatch', 'frame 02']);
    const out = feedAll(new Hj212Framer({ tolerances: ['length_mismatch'] }), [text + frame(2)]);
    expect(summary(out)).toEqual(['frame 01', 'frame 02']);
    expect(out[0]?.kind === 'frame' && out[0].frame.tolerances).toEqual(['length_mismatch']);
  });

  it('peeks the MN of a header without parsing it', () => {
    expect(peekMn(frame(1))).toBe('SIMFUME0000001');
    expect(peekMn('##0040ST=22;XMN=1;CP=&&MN=2&&')).toBeUndefined();
    expect(peekMn('##0040MN=ABC;CP=&&&&')).toBe('ABC');
  });
});
