import { commandKind, isDataFlag } from './codes.js';
import type { CpData } from './frame.js';
import { metricUnit, unitFactor, type FactorMapping, type FactorProfile, type ObservationMetric } from './profiles.js';
import type { Tolerance } from './reasons.js';

/** One decoded reading of an HJ 212 message, in the metric's canonical unit. */
export interface Hj212Observation {
  readonly metric: ObservationMetric;
  readonly value: number;
  /** Canonical unit of the metric (after converting from the device's unit). */
  readonly unit: string;
  /** ISO 8601 UTC, from `DataTime` in China Standard Time (UTC+8). */
  readonly observedAt: string;
  /** Factor code or bare item name as sent, and the value field read (`Rtd`, `Avg`, or `''` for a bare item). */
  readonly factor: string;
  readonly field: string;
  /** HJ 212 data flag (N/F/M/S/D/C/T/B, or a vendor letter as sent); `undefined` when the packet has none. */
  readonly flag: string | undefined;
  /** True when the flag came from a bare `Flag=` item of the data area rather than `code-Flag`. */
  readonly flagFromBareItem: boolean;
  /** Tolerances the frame(s) needed; a reading with any is to be flagged. */
  readonly tolerances: readonly Tolerance[];
  /** True when the message was a split message with missing parts. */
  readonly partial: boolean;
}

/** Findings while decoding (never fatal for the other factors of the message). */
export const DECODE_ISSUES = {
  /** A data command without `DataTime`: no observation can be dated. */
  missing_datatime: 'missing_datatime',
  /** The value is not a decimal number. */
  bad_value: 'bad_value',
  /** The mapped factor has none of the value fields the command uses. */
  no_value_field: 'no_value_field',
  /** A `-Flag` letter outside the standard's list. */
  unknown_flag: 'unknown_flag',
} as const;

/** A decode finding code. */
export type DecodeIssueCode = (typeof DECODE_ISSUES)[keyof typeof DECODE_ISSUES];

/** Result of {@link decodeObservations}. */
export interface DecodeResult {
  readonly observations: Hj212Observation[];
  /** Factor codes and bare items the profile does not map (kept, reported, never dropped silently). */
  readonly unmapped: string[];
  readonly issues: { readonly code: DecodeIssueCode; readonly factor: string; readonly detail: string }[];
  /** False for replies and requests (e.g. CN=9011): they carry no readings. */
  readonly isData: boolean;
}

/** What {@link decodeObservations} needs: an `AssembledMessage` or an `Hj212Frame` fits. */
export interface DecodableMessage {
  readonly cn: string;
  readonly cp: CpData;
  readonly dataTime: number | undefined;
  readonly tolerances: readonly Tolerance[];
  readonly partial?: boolean;
}

/** Decoding policy. */
export interface DecodeOptions {
  /** Attach a bare `Flag=X` item to factors without their own flag (SPEC-NOTES §2, `scada-0121-…`). Default true. */
  readonly attachBareFlag?: boolean;
}

/** Non-factor items of the standard that are not readings. */
const NON_READING_ITEMS = new Set([
  'DataTime',
  'Flag',
  'QnRtn',
  'ExeRtn',
  'SystemTime',
  'BeginTime',
  'EndTime',
  'RestartTime',
  'RtdInterval',
  'PolId',
  'OverTime',
  'ReCount',
]);

function defaultFields(cn: string): readonly string[] {
  if (cn === '2011') return ['Rtd'];
  if (cn === '2051' || cn === '2061' || cn === '2031') return ['Avg', 'Rtd'];
  if (cn === '2021') return ['RS'];
  return ['Rtd', 'Avg'];
}

function isDecimal(v: string): boolean {
  const n = v.length;
  let i = 0;
  if (n > 0 && (v.charCodeAt(0) === 45 || v.charCodeAt(0) === 43)) i = 1;
  let digits = 0;
  let dot = false;
  for (; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c === 46 && !dot) dot = true;
    else return false;
  }
  return digits > 0 && n <= 32;
}

/**
 * Maps a message's factors to observations through a device profile: value field by command (or the
 * mapping's `fields`), device unit converted to the metric's unit, `observedAt` from `DataTime`,
 * the factor's data flag, the frame's tolerances and the partial flag. Only the value field is
 * emitted (not `-Min`/`-Max`/`-Cou`). Unknown codes go to `unmapped`; replies give no observations.
 */
export function decodeObservations(msg: DecodableMessage, profile: FactorProfile, opts: DecodeOptions = {}): DecodeResult {
  const result: DecodeResult = { observations: [], unmapped: [], issues: [], isData: commandKind(msg.cn) === 'data' };
  if (!result.isData) return result;
  const { cp } = msg;
  const bareFlag = opts.attachBareFlag === false ? undefined : cp.fields.Flag;
  if (msg.dataTime === undefined) {
    if (cp.factorOrder.length > 0) result.issues.push({ code: 'missing_datatime', factor: '', detail: `CN=${msg.cn} without DataTime` });
    return result;
  }
  const observedAt = new Date(msg.dataTime).toISOString();
  const partial = msg.partial === true;
  const push = (m: FactorMapping, factor: string, field: string, raw: string, flag: string | undefined, fromBare: boolean): void => {
    if (!isDecimal(raw)) {
      result.issues.push({ code: 'bad_value', factor, detail: `${factor}${field ? '-' + field : ''}=${raw.slice(0, 32)}` });
      return;
    }
    const unit = metricUnit(m.metric);
    const k = unitFactor(m.unit, unit) ?? 1; // checked by defineProfile
    // Divide by an integer for down-scaling so 820 µg/m³ gives 0.82 mg/m³ exactly as printed.
    const x = Number(raw);
    const value = k >= 1 ? x * k : x / Math.round(1 / k);
    if (flag !== undefined && !isDataFlag(flag)) result.issues.push({ code: 'unknown_flag', factor, detail: `flag ${flag.slice(0, 8)}` });
    result.observations.push({
      metric: m.metric,
      value,
      unit,
      observedAt,
      factor,
      field,
      flag,
      flagFromBareItem: fromBare,
      tolerances: msg.tolerances,
      partial,
    });
  };
  for (const code of cp.factorOrder) {
    const items = cp.factors[code]!;
    const m = profile.factors[code];
    if (m === undefined) {
      result.unmapped.push(code);
      continue;
    }
    const field = (m.fields ?? defaultFields(msg.cn)).find((f) => items[f] !== undefined);
    if (field === undefined) {
      result.issues.push({ code: 'no_value_field', factor: code, detail: `none of ${(m.fields ?? defaultFields(msg.cn)).join('/')}` });
      continue;
    }
    const own = items.Flag;
    push(m, code, field, items[field]!, own ?? bareFlag, own === undefined && bareFlag !== undefined);
  }
  for (const name of Object.keys(cp.fields)) {
    if (NON_READING_ITEMS.has(name)) continue;
    const m = profile.items[name];
    if (m === undefined) result.unmapped.push(name);
    else push(m, name, '', cp.fields[name]!, bareFlag, bareFlag !== undefined);
  }
  return result;
}
