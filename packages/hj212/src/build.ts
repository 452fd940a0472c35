import { crcHj212, crcModbus, formatCrc, swapBytes16 } from './crc.js';

/** A value of a `CP` item: numbers are written with `String(n)` unless pre-formatted as text. */
export type CpValue = string | number;

/** Content of a frame to build. Header fields are written in the standard's order. */
export interface FrameFields {
  /** 17 digits; omitted for 2005-style frames. */
  readonly qn?: string;
  readonly st: string;
  readonly cn: string;
  readonly pw: string;
  readonly mn: string;
  /** Decimal Flag byte; omitted for 2005-style frames. Use `flagValue()` to compose. */
  readonly flag?: number;
  readonly pnum?: number;
  readonly pno?: number;
  /** Non-factor items in order (`DataTime`, `QnRtn`, …). */
  readonly fields?: Readonly<Record<string, CpValue>>;
  /** Factor groups in order: code → field → value, written `code-Field=value` joined by `,`. */
  readonly factors?: Readonly<Record<string, Readonly<Record<string, CpValue>>>>;
}

/** How to write the frame; the non-default choices exist to produce the deviations seen in the wild. */
export interface BuildOptions {
  /** Default `hj212`. */
  readonly crc?: 'hj212' | 'modbus' | 'modbus_swapped';
  /** Default false. */
  readonly lowercaseCrc?: boolean;
  /** Default true. */
  readonly crlf?: boolean;
  /** Writes this instead of the true length (tests of broken devices). */
  readonly declaredLength?: number;
}

/** Composes a `Flag` value from its bits (SPEC-NOTES §2): version bits 0 = 2005, 1 = 2017. */
export function flagValue(bits: { version?: number; ackRequested?: boolean; split?: boolean }): number {
  return ((bits.version ?? 1) << 2) | (bits.split ? 2 : 0) | (bits.ackRequested ? 1 : 0);
}

function pad4(v: number): string {
  return String(v).padStart(4, '0');
}

/** Builds the data segment (`QN=…;ST=…;…;CP=&&…&&`) of a frame. */
export function buildSegment(f: FrameFields): string {
  let seg = '';
  if (f.qn !== undefined) seg += `QN=${f.qn};`;
  seg += `ST=${f.st};CN=${f.cn};PW=${f.pw};MN=${f.mn};`;
  if (f.flag !== undefined) seg += `Flag=${f.flag};`;
  if (f.pnum !== undefined && f.pno !== undefined) seg += `PNUM=${pad4(f.pnum)};PNO=${pad4(f.pno)};`;
  const groups: string[] = [];
  if (f.fields) for (const [k, v] of Object.entries(f.fields)) groups.push(`${k}=${v}`);
  if (f.factors) {
    for (const [code, items] of Object.entries(f.factors)) {
      const parts: string[] = [];
      for (const [field, v] of Object.entries(items)) parts.push(`${code}-${field}=${v}`);
      groups.push(parts.join(','));
    }
  }
  return `${seg}CP=&&${groups.join(';')}&&`;
}

/**
 * Wraps a data segment into a frame: `##` + 4-digit length + segment + CRC + CR LF.
 * Throws `RangeError` when the segment exceeds 9999 bytes (the length field cannot say it).
 */
export function wrapSegment(segment: string, opts: BuildOptions = {}): string {
  if (segment.length > 9999) throw new RangeError(`data segment of ${segment.length} bytes cannot be framed (max 9999)`);
  const algo = opts.crc ?? 'hj212';
  const v = algo === 'hj212' ? crcHj212(segment) : algo === 'modbus' ? crcModbus(segment) : swapBytes16(crcModbus(segment));
  let crc = formatCrc(v);
  if (opts.lowercaseCrc) crc = crc.toLowerCase();
  return `##${pad4(opts.declaredLength ?? segment.length)}${segment}${crc}${opts.crlf === false ? '' : '\r\n'}`;
}

/** Builds a complete frame as a latin1 string; `Buffer.from(frame, 'latin1')` gives the bytes to send. */
export function buildFrame(f: FrameFields, opts: BuildOptions = {}): string {
  return wrapSegment(buildSegment(f), opts);
}
