import { crcHj212, crcModbus, readCrcHex, swapBytes16 } from './crc.js';
import { isKnownCommand, isKnownSystem } from './codes.js';
import { newRecord, parseCp } from './cp.js';
import {
  STANDARD_MAX_DATA_LENGTH,
  resolveParseOptions,
  type FlagInfo,
  type Hj212Frame,
  type ParseOptions,
  type ParseResult,
  type ResolvedParseOptions,
} from './frame.js';
import type { RejectReason, Tolerance, Warning } from './reasons.js';
import { parseHj212Time } from './time.js';

/** Time items of `CP` validated as HJ 212 times (SPEC-NOTES §2). */
const TIME_ITEMS = ['DataTime', 'SystemTime', 'BeginTime', 'EndTime', 'RestartTime'] as const;

function reject(reason: RejectReason, detail: string): ParseResult {
  return { ok: false, reason, detail };
}

function isDigits(s: string, min: number, max: number): boolean {
  const n = s.length;
  if (n < min || n > max) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function isPrintable(s: string, min: number, max: number): boolean {
  const n = s.length;
  if (n < min || n > max) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c <= 32 || c >= 127 || c === 38 /* & */) return false;
  }
  return true;
}

function decodeFlag(value: number): FlagInfo {
  const versionBits = value >>> 2;
  return {
    value,
    versionBits,
    version: versionBits === 0 ? 'hj212-2005' : versionBits === 1 ? 'hj212-2017' : 'unknown',
    ackRequested: (value & 1) === 1,
    split: (value & 2) === 2,
  };
}

/**
 * Parses one complete HJ 212 frame (`##` + 4-digit length + data segment + CRC + CR LF) under a
 * device's settings. Input is a Buffer or a latin1 string (one char per byte); lengths and CRC are
 * on bytes. Never throws on any input: every failure is a rejection with a stable reason code
 * (`REJECT_REASONS`) and a detail. Linear in the input length; no regular expressions.
 *
 * Checks, in order: header, length digits, oversize, terminator, length, CRC format, CRC, header
 * fields, `CP`, time items. A tolerance is recorded in `frame.tolerances` only when it was needed.
 */
export function parseFrame(input: Buffer | string, options: ParseOptions | ResolvedParseOptions = {}): ParseResult {
  const o = resolveParseOptions(options);
  const s = typeof input === 'string' ? input : input.toString('latin1');
  return parseLatin1(s, o);
}

function parseLatin1(s: string, o: ResolvedParseOptions): ParseResult {
  const n = s.length;
  if (n < 2 || s.charCodeAt(0) !== 35 || s.charCodeAt(1) !== 35) return reject('bad_header', 'frame does not start with ##');
  if (n < 6) return reject('truncated', `frame of ${n} bytes ends inside the length field`);
  let declared = 0;
  for (let i = 2; i < 6; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return reject('bad_length', 'the 4 characters after ## are not decimal digits');
    declared = declared * 10 + c;
  }
  if (declared > o.maxDataLength) return reject('oversize', `declared data length ${declared} > maximum ${o.maxDataLength}`);
  const tolerances: Tolerance[] = [];
  const warnings: Warning[] = [];

  const hasCrlf = n >= 2 && s.charCodeAt(n - 2) === 13 && s.charCodeAt(n - 1) === 10;
  const bodyEnd = hasCrlf ? n - 2 : n;
  const actual = bodyEnd - 6 - 4;
  if (!hasCrlf) {
    if (actual === declared && !o.missingCrlf) return reject('bad_terminator', 'no CR LF after the CRC');
  }
  if (actual < 0) return reject('truncated', `frame of ${n} bytes has no room for a CRC`);
  if (actual !== declared && !o.lengthMismatch) return reject('length_mismatch', `declared data length ${declared}, actual ${actual}`);
  if (actual > o.maxDataLength) return reject('oversize', `data length ${actual} > maximum ${o.maxDataLength}`);

  const segStart = 6;
  const segEnd = 6 + actual;
  const lowerOut = { lower: false };
  const crcValue = readCrcHex(s, segEnd, lowerOut);
  if (crcValue < 0) return reject('bad_crc_format', 'CRC field is not 4 hex digits');
  if (lowerOut.lower && !o.lowercaseCrc) return reject('bad_crc_format', 'CRC in lower-case hex (device not allowed lowercase_crc)');
  let crcAlgorithm: Hj212Frame['crcAlgorithm'] = 'hj212';
  if (crcHj212(s, segStart, segEnd) !== crcValue) {
    const m = o.crcModbus || o.crcModbusSwapped ? crcModbus(s, segStart, segEnd) : -1;
    if (o.crcModbus && m === crcValue) {
      crcAlgorithm = 'modbus';
      tolerances.push('crc_modbus');
    } else if (o.crcModbusSwapped && swapBytes16(m) === crcValue) {
      crcAlgorithm = 'modbus_swapped';
      tolerances.push('crc_modbus_swapped');
    } else if (actual !== declared) {
      return reject('length_mismatch', `declared data length ${declared}, actual ${actual}, and the CRC does not match either`);
    } else {
      return reject('crc_mismatch', `CRC ${s.slice(segEnd, segEnd + 4)} does not match the data segment`);
    }
  }
  if (lowerOut.lower) tolerances.push('lowercase_crc');
  if (!hasCrlf) tolerances.push('missing_crlf');
  if (actual !== declared) tolerances.push('length_mismatch');
  if (actual > STANDARD_MAX_DATA_LENGTH) tolerances.push('oversize');
  for (let i = segStart; i < segEnd; i++) {
    if (s.charCodeAt(i) > 127) {
      warnings.push('non_ascii');
      break;
    }
  }
  return parseSegment(s, segStart, segEnd, declared, crcAlgorithm, tolerances, warnings, o);
}

function parseSegment(
  s: string,
  segStart: number,
  segEnd: number,
  declared: number,
  crcAlgorithm: Hj212Frame['crcAlgorithm'],
  tolerances: Tolerance[],
  warnings: Warning[],
  o: ResolvedParseOptions,
): ParseResult {
  let qn: string | undefined;
  let st: string | undefined;
  let cn: string | undefined;
  let pw: string | undefined;
  let mn: string | undefined;
  let flagText: string | undefined;
  let pnumText: string | undefined;
  let pnoText: string | undefined;
  const extraFields: Record<string, string> = newRecord<string>();
  let cpStart = -1;
  let i = segStart;
  while (i < segEnd) {
    let eq = i;
    while (eq < segEnd && s.charCodeAt(eq) !== 61 && s.charCodeAt(eq) !== 59) eq++;
    if (eq >= segEnd || s.charCodeAt(eq) !== 61) return reject('bad_field', `header item without '=' at offset ${i - segStart}`);
    const key = s.slice(i, eq);
    if (key === 'CP') {
      cpStart = eq + 1;
      break;
    }
    let semi = eq + 1;
    while (semi < segEnd && s.charCodeAt(semi) !== 59) semi++;
    const value = s.slice(eq + 1, semi);
    let dup = false;
    switch (key) {
      case 'QN':
        dup = qn !== undefined;
        qn = value;
        break;
      case 'ST':
        dup = st !== undefined;
        st = value;
        break;
      case 'CN':
        dup = cn !== undefined;
        cn = value;
        break;
      case 'PW':
        dup = pw !== undefined;
        pw = value;
        break;
      case 'MN':
        dup = mn !== undefined;
        mn = value;
        break;
      case 'Flag':
        dup = flagText !== undefined;
        flagText = value;
        break;
      case 'PNUM':
        dup = pnumText !== undefined;
        pnumText = value;
        break;
      case 'PNO':
        dup = pnoText !== undefined;
        pnoText = value;
        break;
      default:
        if (key.length === 0) return reject('bad_field', `header item with an empty name at offset ${i - segStart}`);
        dup = extraFields[key] !== undefined;
        extraFields[key] = value;
        warnings.push('unknown_header_field');
    }
    if (dup) return reject('duplicate_field', `header field ${key} occurs twice`);
    i = semi + 1;
  }
  if (cpStart < 0) return reject('missing_field', 'no CP=&&…&& data area');
  if (st === undefined) return reject('missing_field', 'ST absent');
  if (cn === undefined) return reject('missing_field', 'CN absent');
  if (pw === undefined) return reject('missing_field', 'PW absent');
  if (mn === undefined) return reject('missing_field', 'MN absent');
  if (qn !== undefined && !isDigits(qn, 17, 17)) return reject('bad_field', 'QN is not 17 digits');
  if (!isPrintable(st, 1, 3)) return reject('bad_field', 'ST is not 1-3 printable characters');
  if (!isDigits(cn, 4, 4)) return reject('bad_field', 'CN is not 4 digits');
  if (!isPrintable(pw, 1, 32)) return reject('bad_field', 'PW is not 1-32 printable characters');
  if (!isPrintable(mn, 1, 24)) return reject('bad_field', 'MN is not 1-24 printable characters');
  if (!isKnownCommand(cn)) {
    if (!o.unknownCommand) return reject('unknown_command', `CN=${cn} is not in the 2005/2017 command lists`);
    tolerances.push('unknown_command');
  }
  if (!isKnownSystem(st)) warnings.push('unknown_system');
  let flag: FlagInfo | undefined;
  if (flagText !== undefined) {
    if (!isDigits(flagText, 1, 3) || Number(flagText) > 255) return reject('bad_field', 'Flag is not a number 0-255');
    flag = decodeFlag(Number(flagText));
    if (flag.version === 'unknown') warnings.push('unknown_flag_version');
  }
  let pnum: number | undefined;
  let pno: number | undefined;
  if (pnumText !== undefined || pnoText !== undefined) {
    if (pnumText === undefined || pnoText === undefined) return reject('missing_field', 'PNUM and PNO must come together');
    if (!isDigits(pnumText, 1, 4) || !isDigits(pnoText, 1, 4)) return reject('bad_field', 'PNUM/PNO are not 1-4 digits');
    pnum = Number(pnumText);
    pno = Number(pnoText);
    if (pnum < 1 || pno < 1 || pno > pnum) return reject('bad_split', `PNO ${pno} outside 1..PNUM ${pnum}`);
    if (flag === undefined || !flag.split) warnings.push('split_without_flag');
  } else if (flag?.split) warnings.push('split_flag_without_pnum');

  // CP=&& … && closes the segment.
  if (segEnd - cpStart < 4 || s.charCodeAt(cpStart) !== 38 || s.charCodeAt(cpStart + 1) !== 38)
    return reject('malformed_cp', 'CP does not open with &&');
  if (s.charCodeAt(segEnd - 1) !== 38 || s.charCodeAt(segEnd - 2) !== 38)
    return reject('malformed_cp', 'CP is not closed by && before the CRC');
  const cpRes = parseCp(s, cpStart + 2, segEnd - 2, warnings);
  if (!cpRes.ok) return reject('malformed_cp', cpRes.detail);
  const cp = cpRes.cp;
  let dataTime: number | undefined;
  for (const name of TIME_ITEMS) {
    const v = cp.fields[name];
    if (v === undefined) continue;
    if (v.length === 17 && !o.datatimeMs) return reject('bad_datatime', `${name} has 17 digits (device not allowed datatime_ms)`);
    const t = parseHj212Time(v);
    if (Number.isNaN(t)) return reject('bad_datatime', `${name}=${v.slice(0, 20)} is not a valid YYYYMMDDhhmmss time`);
    if (v.length === 17 && !tolerances.includes('datatime_ms')) tolerances.push('datatime_ms');
    if (name === 'DataTime') dataTime = t;
  }
  return {
    ok: true,
    frame: {
      declaredLength: declared,
      segment: s.slice(segStart, segEnd),
      crc: s.slice(segEnd, segEnd + 4),
      crcAlgorithm,
      qn,
      st,
      cn,
      pw,
      mn,
      flag,
      pnum,
      pno,
      cp,
      dataTime,
      extraFields,
      tolerances,
      warnings,
    },
  };
}
