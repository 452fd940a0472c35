import { describe, expect, it } from 'vitest';
import { cellToChildren, gridDisk, latLngToCell } from 'h3-js';
import { h3DescendantRange } from './h3.js';

describe('h3DescendantRange', () => {
  it('holds every resolution-12 descendant of a cell and none of its neighbours’', () => {
    for (const res of [7, 8, 9]) {
      const c = latLngToCell(39.91, 116.36, res);
      const [lo, hi] = h3DescendantRange(c, 12).map(BigInt) as [bigint, bigint];
      const inside = (k: string) => BigInt(`0x${k}`) >= lo && BigInt(`0x${k}`) <= hi;
      expect(cellToChildren(c, 12).every(inside)).toBe(true);
      for (const n of gridDisk(c, 1).filter((x) => x !== c)) expect(cellToChildren(n, 12).some(inside)).toBe(false);
    }
  });
});
