import { describe, expect, it } from 'vitest';
import { crcHj212, crcModbus, formatCrc, readCrcHex, swapBytes16 } from './crc.js';

describe('HJ 212 CRC16', () => {
  it('gives the check values of SPEC-NOTES §4: 2F80 for "123456789" (Modbus gives 4B37)', () => {
    expect(formatCrc(crcHj212('123456789'))).toBe('2F80');
    expect(formatCrc(crcModbus('123456789'))).toBe('4B37');
  });

  it('has a low byte in {00,01,40,41,80,81,C0,C1} only, as the notes observed', () => {
    const lows = new Set<number>();
    let x = 12345;
    for (let k = 0; k < 5000; k++) {
      let s = '';
      const len = (x % 40) + 1;
      for (let i = 0; i < len; i++) {
        x = (x * 1103515245 + 12345) >>> 0; // fixed-seed LCG: deterministic input
        s += String.fromCharCode(32 + (x % 95));
      }
      lows.add(crcHj212(s) & 0xff);
    }
    expect([...lows].sort((a, b) => a - b)).toEqual([0x00, 0x01, 0x40, 0x41, 0x80, 0x81, 0xc0, 0xc1]);
  });

  it('covers only a range of the data segment when asked', () => {
    expect(crcHj212('xx123456789yy', 2, 11)).toBe(0x2f80);
  });

  it('reads hex in either case and says when it was lower case', () => {
    const out = { lower: false };
    expect(readCrcHex('b541', 0, out)).toBe(0xb541);
    expect(out.lower).toBe(true);
    expect(readCrcHex('B541', 0, out)).toBe(0xb541);
    expect(out.lower).toBe(false);
    expect(readCrcHex('B54G', 0, out)).toBe(-1);
    expect(swapBytes16(0x1234)).toBe(0x3412);
  });
});
