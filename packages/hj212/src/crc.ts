/**
 * CRC routines over latin1 strings (one char = one byte) or byte ranges.
 *
 * HJ 212 (Appendix A of HJ 212-2017; same routine in HJ 212-2025): register starts at 0xFFFF; for each
 * byte, the register is shifted right by 8 and the byte XORed in; then 8 times: shift right by one and
 * XOR 0xA001 when the bit shifted out was 1. Check value: "123456789" → 0x2F80 (SPEC-NOTES §4).
 * CRC-16/MODBUS (same polynomial, no preliminary shift) gives 0x4B37 on the same input.
 */

/**
 * Byte table of the reflected 0xA001 polynomial: `T[x]` is `x` after 8 shift/XOR steps. In the HJ 212
 * routine the register after `(r >>> 8) ^ byte` fits in 8 bits, so one step is `T[(r >>> 8) ^ byte]`
 * (which is also why its low byte takes only 8 values, SPEC-NOTES §4).
 */
const T = new Uint16Array(256);
for (let x = 0; x < 256; x++) {
  let r = x;
  for (let k = 0; k < 8; k++) r = r & 1 ? (r >>> 1) ^ 0xa001 : r >>> 1;
  T[x] = r;
}

/** HJ 212 CRC16 of `s[start..end)`, chars taken as bytes (latin1). Returns 0..0xFFFF. */
export function crcHj212(s: string, start = 0, end = s.length): number {
  let r = 0xffff;
  for (let i = start; i < end; i++) r = T[(r >>> 8) ^ (s.charCodeAt(i) & 0xff)]!;
  return r;
}

/** CRC-16/MODBUS of `s[start..end)`, chars taken as bytes (latin1). Returns 0..0xFFFF, high byte first. */
export function crcModbus(s: string, start = 0, end = s.length): number {
  let r = 0xffff;
  for (let i = start; i < end; i++) r = (r >>> 8) ^ T[(r ^ s.charCodeAt(i)) & 0xff]!;
  return r;
}

/** Swaps the two bytes of a 16-bit value (Modbus CRCs printed low byte first). */
export function swapBytes16(v: number): number {
  return ((v & 0xff) << 8) | (v >>> 8);
}

const HEX = '0123456789ABCDEF';

/** Formats a 16-bit CRC as 4 upper-case hex digits, as the standard's examples print it. */
export function formatCrc(v: number): string {
  return HEX[(v >>> 12) & 15]! + HEX[(v >>> 8) & 15]! + HEX[(v >>> 4) & 15]! + HEX[v & 15]!;
}

/**
 * Reads 4 hex digits at `s[at..at+4)`. Returns the value, or -1 when a char is not hex; `lower` is set
 * when any digit is a lower-case letter (a per-device tolerance, SPEC-NOTES §4).
 */
export function readCrcHex(s: string, at: number, out: { lower: boolean }): number {
  let v = 0;
  out.lower = false;
  for (let i = at; i < at + 4; i++) {
    const c = s.charCodeAt(i);
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 65 && c <= 70) d = c - 55;
    else if (c >= 97 && c <= 102) {
      d = c - 87;
      out.lower = true;
    } else return -1;
    v = (v << 4) | d;
  }
  return v;
}
