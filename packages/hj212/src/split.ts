import { newRecord } from './cp.js';
import type { CpData, Hj212Frame } from './frame.js';
import type { Tolerance } from './reasons.js';

/**
 * A whole message: one unsplit frame, or the parts of a split message (PNUM/PNO) merged in PNO order.
 * `partial` is true when parts were missing at the timeout (or at eviction/flush); `missing` lists them.
 */
export interface AssembledMessage {
  readonly key: string;
  readonly st: string;
  readonly cn: string;
  readonly mn: string;
  readonly qn: string | undefined;
  /** First part's header (PW, Flag, …) stands for the message. */
  readonly first: Hj212Frame;
  /** The frames received, in PNO order. */
  readonly parts: readonly Hj212Frame[];
  readonly pnum: number;
  readonly missing: readonly number[];
  readonly partial: boolean;
  /** Items of all parts; a later part's item of the same name wins. */
  readonly cp: CpData;
  /** `DataTime` of the first part that has one. */
  readonly dataTime: number | undefined;
  /** Union of the parts' tolerances. */
  readonly tolerances: readonly Tolerance[];
}

/** Reassembly settings. */
export interface SplitAssemblerOptions {
  /** Wait for the missing parts this long after the first part, in ms. Default 60,000 (an assumption: one minute-data interval). */
  readonly timeoutMs?: number;
  /** Most messages pending at once (per connection); the oldest is emitted partial beyond it. Default 64. */
  readonly maxPending?: number;
  /** Largest PNUM accepted into the buffer; larger ones are emitted at once, partial. Default 64. */
  readonly maxParts?: number;
  /** Clock in epoch ms (injectable for tests). Default `Date.now`. */
  readonly now?: () => number;
}

interface Pending {
  readonly key: string;
  readonly pnum: number;
  readonly parts: (Hj212Frame | undefined)[];
  received: number;
  readonly firstAt: number;
}

/** Key of a split message: MN, ST, CN and QN (the parts of one message share QN). */
export function splitKey(f: Hj212Frame): string {
  return `${f.mn}|${f.st}|${f.cn}|${f.qn ?? ''}|${f.pnum ?? 0}`;
}

function merge(key: string, pnum: number, parts: (Hj212Frame | undefined)[]): AssembledMessage {
  const got = parts.filter((p): p is Hj212Frame => p !== undefined);
  const first = got[0]!;
  const missing: number[] = [];
  for (let i = 0; i < pnum; i++) if (parts[i] === undefined) missing.push(i + 1);
  let cp = first.cp;
  if (got.length > 1) {
    const fields: Record<string, string> = newRecord<string>();
    const factors: Record<string, Record<string, string>> = newRecord<Record<string, string>>();
    const factorOrder: string[] = [];
    for (const p of got) {
      Object.assign(fields, p.cp.fields);
      for (const code of p.cp.factorOrder) {
        let f = factors[code];
        if (f === undefined) {
          f = newRecord<string>();
          factors[code] = f;
          factorOrder.push(code);
        }
        Object.assign(f, p.cp.factors[code]);
      }
    }
    cp = { fields, factors, factorOrder };
  }
  const tolerances = [...new Set(got.flatMap((p) => p.tolerances))];
  return {
    key,
    st: first.st,
    cn: first.cn,
    mn: first.mn,
    qn: first.qn,
    first,
    parts: got,
    pnum,
    missing,
    partial: missing.length > 0,
    cp,
    dataTime: got.find((p) => p.dataTime !== undefined)?.dataTime,
    tolerances,
  };
}

/**
 * Reassembles split messages (PNUM/PNO, SPEC-NOTES §2) for one connection. `offer` takes every
 * accepted frame and returns the messages it completes: an unsplit frame at once; a split message
 * when its last part arrives. A message whose parts do not all arrive within `timeoutMs` is returned
 * by `expire()` flagged `partial` (never dropped); `flush()` returns all pending ones (connection
 * closed). A duplicate part (same PNO, e.g. a re-send after a lost ack) replaces the earlier one.
 * Memory is bounded by `maxPending` × `maxParts` frames.
 */
export class SplitAssembler {
  private readonly pending = new Map<string, Pending>();
  private readonly timeoutMs: number;
  private readonly maxPending: number;
  private readonly maxParts: number;
  private readonly now: () => number;

  constructor(opts: SplitAssemblerOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.maxPending = opts.maxPending ?? 64;
    this.maxParts = opts.maxParts ?? 64;
    this.now = opts.now ?? Date.now;
  }

  /** Messages waiting for parts. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Offers an accepted frame; returns the messages completed (or evicted, partial) by it. */
  offer(frame: Hj212Frame): AssembledMessage[] {
    const out = this.expire();
    const pnum = frame.pnum;
    const pno = frame.pno;
    const key = splitKey(frame);
    if (pnum === undefined || pno === undefined || pnum === 1) {
      out.push(merge(key, 1, [frame]));
      return out;
    }
    if (pnum > this.maxParts) {
      const parts: (Hj212Frame | undefined)[] = [];
      parts[pno - 1] = frame;
      out.push(
        merge(
          key,
          pnum,
          Array.from({ length: pnum }, (_, i) => parts[i]),
        ),
      );
      return out;
    }
    let p = this.pending.get(key);
    if (p === undefined) {
      if (this.pending.size >= this.maxPending) {
        const oldest = this.pending.values().next().value;
        if (oldest !== undefined) {
          this.pending.delete(oldest.key);
          out.push(merge(oldest.key, oldest.pnum, oldest.parts));
        }
      }
      p = { key, pnum, parts: new Array<Hj212Frame | undefined>(pnum).fill(undefined), received: 0, firstAt: this.now() };
      this.pending.set(key, p);
    }
    if (p.parts[pno - 1] === undefined) p.received++;
    p.parts[pno - 1] = frame;
    if (p.received === p.pnum) {
      this.pending.delete(key);
      out.push(merge(key, p.pnum, p.parts));
    }
    return out;
  }

  /** Returns (and forgets) the messages whose timeout has passed, flagged partial. */
  expire(): AssembledMessage[] {
    const out: AssembledMessage[] = [];
    if (this.pending.size === 0) return out;
    const t = this.now();
    for (const p of this.pending.values()) {
      if (t - p.firstAt < this.timeoutMs) break; // insertion order = age order
      this.pending.delete(p.key);
      out.push(merge(p.key, p.pnum, p.parts));
    }
    return out;
  }

  /** Returns (and forgets) every pending message, flagged partial. */
  flush(): AssembledMessage[] {
    const out = [...this.pending.values()].map((p) => merge(p.key, p.pnum, p.parts));
    this.pending.clear();
    return out;
  }
}
