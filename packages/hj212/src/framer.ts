import { STRICT, resolveParseOptions, type Hj212Frame, type ParseOptions, type ParseResult, type ResolvedParseOptions } from './frame.js';
import { parseFrame } from './parse.js';
import type { RejectReason } from './reasons.js';

/** One result of feeding the framer. */
export type FramerEvent =
  /** An accepted frame; `text` is its exact bytes as a latin1 string (`Buffer.from(text, 'latin1')`). */
  | { readonly kind: 'frame'; readonly frame: Hj212Frame; readonly text: string }
  /**
   * Bytes that are not an acceptable frame, for the dead-letter topic: a bad frame (its reason from
   * the codec) or `garbage` between frames. `truncated` when `raw` was cut at `maxFrameBytes`.
   */
  | {
      readonly kind: 'rejected';
      readonly reason: RejectReason;
      readonly detail: string;
      readonly raw: Buffer;
      readonly truncated: boolean;
    };

/** Framer settings: the device's codec settings plus the buffer bound. */
export interface FramerOptions extends ParseOptions {
  /**
   * Most bytes held for one frame (and the largest `raw` reported). Default and minimum:
   * `maxDataLength` + 12 (`##`, 4 length digits, CRC, CR LF).
   */
  readonly maxFrameBytes?: number;
  /**
   * Per-device codec settings, looked up by the frame's `MN` (see {@link peekMn}) before it is
   * parsed; `undefined` (unknown device) → strict settings (`STRICT`). Framing itself (where a frame ends: `missing_crlf`,
   * `maxDataLength`) uses the framer's settings, so set those to the most lenient any device on the
   * port may need; acceptance then follows each device's own settings. Return resolved options
   * (`resolveParseOptions`, cached per device) to keep the lookup cheap.
   */
  readonly deviceOptions?: (mn: string | undefined) => ParseOptions | ResolvedParseOptions | undefined;
}

/**
 * The `MN` of a frame's header without parsing it (first `MN=` item before `CP=&&`), or `undefined`.
 * Used to pick a device's settings before the frame is parsed; never trusted for anything else.
 */
export function peekMn(text: string): string | undefined {
  const cp = text.indexOf('CP=&&', 6);
  const stop = cp < 0 ? text.length : cp;
  let k = text.indexOf('MN=', 6);
  while (k >= 0 && k < stop) {
    if (k === 6 || text.charCodeAt(k - 1) === 59) {
      const semi = text.indexOf(';', k + 3);
      return text.slice(k + 3, semi < 0 || semi > stop ? stop : semi);
    }
    k = text.indexOf('MN=', k + 3);
  }
  return undefined;
}

/**
 * Stream framer for HJ 212 over TCP. Feed it each chunk read from the socket; it returns the frames
 * and rejections completed by that chunk, in stream order. It frames by the length field, holds a
 * frame split across reads, splits several frames in one read, skips CR/LF between frames, and after
 * garbage or a bad frame resynchronises on the next `##` (or the bad frame's own CR LF), so the good
 * frame that follows is kept. Memory is bounded: it never holds more than `maxFrameBytes` plus one chunk.
 * Never throws on any input.
 */
export class Hj212Framer {
  private buf = '';
  private opts: ResolvedParseOptions;
  private maxFrame: number;
  private deviceOptions: FramerOptions['deviceOptions'];

  constructor(options: FramerOptions = {}) {
    this.opts = resolveParseOptions(options);
    this.maxFrame = Math.max(options.maxFrameBytes ?? 0, this.opts.maxDataLength + 12);
    this.deviceOptions = options.deviceOptions;
  }

  /** Switches to a device's settings (e.g. once its MN is known); applies to frames not yet completed. */
  setOptions(options: FramerOptions): void {
    this.opts = resolveParseOptions(options);
    this.maxFrame = Math.max(options.maxFrameBytes ?? 0, this.opts.maxDataLength + 12);
    this.deviceOptions = options.deviceOptions;
  }

  /** Parses one delimited frame with its device's settings. */
  private parse(text: string): ParseResult {
    if (this.deviceOptions === undefined) return parseFrame(text, this.opts);
    return parseFrame(text, this.deviceOptions(peekMn(text)) ?? STRICT);
  }

  /** Bytes held waiting for the rest of a frame (for back-pressure and metrics). */
  get bufferedBytes(): number {
    return this.buf.length;
  }

  /** Feeds one chunk (a Buffer from the socket, or a latin1 string). */
  push(chunk: Buffer | string): FramerEvent[] {
    this.buf += typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    return this.run(false);
  }

  /** The connection ended: whatever is held is reported (as a frame if it parses, else rejected). */
  end(): FramerEvent[] {
    const out = this.run(true);
    this.buf = '';
    return out;
  }

  private run(final: boolean): FramerEvent[] {
    const s = this.buf;
    const n = s.length;
    const out: FramerEvent[] = [];
    let pos = 0;
    while (pos < n) {
      const c = s.charCodeAt(pos);
      if (c === 13 || c === 10) {
        pos++;
        continue;
      }
      if (c === 35 && pos + 1 < n && s.charCodeAt(pos + 1) === 35) {
        // In a run of '#' (a logger repeating its header, line noise) the header is the last two.
        let r = pos + 2;
        while (r < n && s.charCodeAt(r) === 35) r++;
        while (r - pos > 2) {
          const end = Math.min(r - 2, pos + this.maxFrame);
          this.rejected(out, 'garbage', `${end - pos} bytes outside any frame`, s.slice(pos, end), false);
          pos = end;
        }
        const next = this.frameAt(s, pos, final, out);
        if (next < 0) break;
        pos = next;
        continue;
      }
      // Garbage up to the next `##` (a lone trailing `#` may be the start of one).
      const q = s.indexOf('##', pos);
      let end = q >= 0 ? q : !final && s.charCodeAt(n - 1) === 35 ? n - 1 : n;
      if (end === pos) break; // only a lone '#' is left: wait
      if (end - pos > this.maxFrame) end = pos + this.maxFrame;
      this.rejected(out, 'garbage', `${end - pos} bytes outside any frame`, s.slice(pos, end), false);
      pos = end;
    }
    this.buf = pos >= n ? '' : s.slice(pos);
    return out;
  }

  /** Handles a frame starting at `p`; returns where to continue, or -1 to wait for more bytes. */
  private frameAt(s: string, p: number, final: boolean, out: FramerEvent[]): number {
    const n = s.length;
    if (n - p < 6) return final ? this.candidate(s, p, n, out) : -1;
    let declared = 0;
    for (let i = p + 2; i < p + 6; i++) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return this.broken(s, p, final, out);
      declared = declared * 10 + d;
    }
    if (declared > this.opts.maxDataLength) {
      const end = this.brokenEnd(s, p, final);
      if (end < 0) return -1;
      this.rejected(
        out,
        'oversize',
        `declared data length ${declared} > maximum ${this.opts.maxDataLength}`,
        s.slice(p, end),
        end - p >= this.maxFrame,
      );
      return end;
    }
    const e0 = p + 6 + declared + 4;
    // A `##` before the declared end means this frame is shorter than it says.
    const q = s.indexOf('##', p + 2);
    if (q >= 0 && q < e0 + 2) return this.broken(s, p, final, out);
    if (n >= e0 + 2 && s.charCodeAt(e0) === 13 && s.charCodeAt(e0 + 1) === 10) return this.candidate(s, p, e0 + 2, out);
    if (n >= e0 && this.opts.missingCrlf && (n === e0 || s.charCodeAt(e0) !== 13 || n >= e0 + 2)) {
      const text = s.slice(p, e0);
      const r = this.parse(text);
      if (r.ok) {
        out.push({ kind: 'frame', frame: r.frame, text });
        return e0;
      }
      // Delimited by its length and CRC, but this device may not omit CR LF. When the bytes end right
      // after the CRC its CR LF may still be on the way (another TCP segment): wait for it.
      if (r.reason === 'bad_terminator' && n === e0 && !final) return -1;
      if (r.reason === 'bad_terminator') {
        this.rejected(out, r.reason, r.detail, text, false);
        return e0;
      }
    }
    if (n >= e0 + 2) return this.broken(s, p, final, out);
    return final ? this.candidate(s, p, n, out) : -1;
  }

  /** A frame whose length field does not delimit it: cut at its own CR LF or the next `##`. */
  private broken(s: string, p: number, final: boolean, out: FramerEvent[]): number {
    const end = this.brokenEnd(s, p, final);
    return end < 0 ? -1 : this.candidate(s, p, end, out);
  }

  private brokenEnd(s: string, p: number, final: boolean): number {
    const n = s.length;
    const q = s.indexOf('##', p + 2);
    const r = s.indexOf('\r\n', p + 6);
    let end = -1;
    if (r >= 0 && (q < 0 || r < q)) end = r + 2;
    else if (q >= 0) end = q;
    if (end >= 0 && end - p <= this.maxFrame) return end;
    if (end >= 0 || n - p >= this.maxFrame) return p + this.maxFrame;
    return final ? n : -1;
  }

  private candidate(s: string, p: number, end: number, out: FramerEvent[]): number {
    const text = s.slice(p, end);
    const r = this.parse(text);
    if (r.ok) out.push({ kind: 'frame', frame: r.frame, text });
    else this.rejected(out, r.reason, r.detail, text, end - p >= this.maxFrame);
    return end;
  }

  private rejected(out: FramerEvent[], reason: RejectReason, detail: string, text: string, truncated: boolean): void {
    out.push({ kind: 'rejected', reason, detail, raw: Buffer.from(text, 'latin1'), truncated });
  }
}
