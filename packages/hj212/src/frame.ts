import type { RejectReason, Tolerance, Warning } from './reasons.js';

/** Protocol generation read from the `Flag` version bits (SPEC-NOTES §2): 0 → 2005, 1 → 2017. */
export type ProtocolVersion = 'hj212-2005' | 'hj212-2017' | 'unknown';

/** The decoded `Flag` byte: bits V5…V0 (version), D (split), A (response wanted). */
export interface FlagInfo {
  /** The decimal `Flag` value as sent (0–255). */
  readonly value: number;
  /** Bits 7…2. */
  readonly versionBits: number;
  /** `hj212-2005` for 0, `hj212-2017` for 1, else `unknown` (HJ 212-2025 keeps the 2017 framing). */
  readonly version: ProtocolVersion;
  /** Bit 0 (A): the sender wants a response. */
  readonly ackRequested: boolean;
  /** Bit 1 (D): the packet carries `PNUM`/`PNO`. */
  readonly split: boolean;
}

/**
 * The `CP=&&…&&` data area. Items without a hyphen (`DataTime`, `QnRtn`, a bare `Flag`, vendor
 * `FANSTATUS`) are in `fields`; `code-Field=value` items are in `factors[code][Field]`, split on the
 * FIRST hyphen (`a21026-i22004-Info=1` → code `a21026`, field `i22004-Info`). Values are strings exactly
 * as sent. Both records have no prototype, so any item name is safe as a key.
 */
export interface CpData {
  readonly fields: Readonly<Record<string, string>>;
  readonly factors: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Factor codes in order of first appearance. */
  readonly factorOrder: readonly string[];
}

/** A frame that passed the codec under the device's settings. */
export interface Hj212Frame {
  /** Declared data length (the 4 digits after `##`). */
  readonly declaredLength: number;
  /** The data segment (from after the length field to the closing `&&`), latin1. */
  readonly segment: string;
  /** The CRC field as sent (4 hex digits). */
  readonly crc: string;
  /** Which CRC routine matched. */
  readonly crcAlgorithm: 'hj212' | 'modbus' | 'modbus_swapped';
  readonly qn: string | undefined;
  readonly st: string;
  readonly cn: string;
  readonly pw: string;
  readonly mn: string;
  /** `undefined` when the packet has no `Flag` (2005-style header). */
  readonly flag: FlagInfo | undefined;
  /** Total parts and this part's number when the frame is part of a split message. */
  readonly pnum: number | undefined;
  readonly pno: number | undefined;
  readonly cp: CpData;
  /** `DataTime` as epoch milliseconds UTC (from China Standard Time), `undefined` when absent. */
  readonly dataTime: number | undefined;
  /** Header keys outside the standard's list, kept as sent. */
  readonly extraFields: Readonly<Record<string, string>>;
  /** Tolerances this frame needed to pass; empty under strict settings. */
  readonly tolerances: readonly Tolerance[];
  readonly warnings: readonly Warning[];
}

/** Why a frame was rejected. */
export interface Hj212Rejection {
  readonly reason: RejectReason;
  /** Human-readable detail: which field, declared vs actual, … (never contains `PW`). */
  readonly detail: string;
}

/** Outcome of {@link parseFrame}; never throws on any input. */
export type ParseResult = { readonly ok: true; readonly frame: Hj212Frame } | ({ readonly ok: false } & Hj212Rejection);

/** Per-device codec settings. Everything is strict by default. */
export interface ParseOptions {
  /** Deviations this device is allowed (see `TOLERANCES`). Default none. */
  readonly tolerances?: Iterable<Tolerance>;
  /**
   * Largest data segment accepted, in bytes. Default 1024 (HJ 212-2017 §6: longer segments must be
   * split with PNUM/PNO); a larger value admits such frames, flagged with the `oversize` tolerance. Max 9999.
   */
  readonly maxDataLength?: number;
}

/** {@link ParseOptions} compiled to flags; build once per device with `resolveParseOptions`. */
export interface ResolvedParseOptions {
  readonly resolved: true;
  readonly lowercaseCrc: boolean;
  readonly datatimeMs: boolean;
  readonly crcModbus: boolean;
  readonly crcModbusSwapped: boolean;
  readonly missingCrlf: boolean;
  readonly lengthMismatch: boolean;
  readonly unknownCommand: boolean;
  readonly maxDataLength: number;
}

/** The standard's maximum data segment length (HJ 212-2017: 0–1024 characters). */
export const STANDARD_MAX_DATA_LENGTH = 1024;

/** Compiles per-device settings once; `parseFrame` accepts either form. */
export function resolveParseOptions(opts: ParseOptions | ResolvedParseOptions = {}): ResolvedParseOptions {
  if ('resolved' in opts) return opts;
  const t = new Set(opts.tolerances ?? []);
  const max = opts.maxDataLength ?? STANDARD_MAX_DATA_LENGTH;
  if (!Number.isInteger(max) || max < 0 || max > 9999) throw new RangeError(`maxDataLength must be an integer in 0..9999, got ${max}`);
  return Object.freeze({
    resolved: true,
    lowercaseCrc: t.has('lowercase_crc'),
    datatimeMs: t.has('datatime_ms'),
    crcModbus: t.has('crc_modbus'),
    crcModbusSwapped: t.has('crc_modbus_swapped'),
    missingCrlf: t.has('missing_crlf'),
    lengthMismatch: t.has('length_mismatch'),
    unknownCommand: t.has('unknown_command'),
    maxDataLength: max,
  });
}

/** Strict settings (no tolerance, 1024-byte segments). */
export const STRICT: ResolvedParseOptions = resolveParseOptions({});
