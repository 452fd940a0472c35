/**
 * H3 cells travel as 15-hex-digit strings (h3-js) and are stored as bigint (they fit: the top bit of
 * an H3 index is 0). These convert between the two without precision loss.
 */
export function h3ToBigint(cell: string): string {
  return BigInt(`0x${cell}`).toString();
}

/** Inverse of {@link h3ToBigint}: a bigint (as number-string or bigint) to the h3-js hex string. */
export function bigintToH3(v: string | bigint): string {
  return BigInt(v).toString(16);
}

/**
 * The bigint range holding every descendant at resolution `childRes` of an H3 cell (H3 index bit
 * layout: resolution in bits 52–55, one 3-bit digit per resolution 1–15 from bit 42 down, unused
 * digits 7): descendants have the cell's digits, then digits 0–6 down to `childRes`, then 7s. The
 * range also spans some indexes that are not valid cells, which storage never holds.
 * @returns [lowest, highest] as bigint number-strings, for `h3 between $lo and $hi`
 */
export function h3DescendantRange(cell: string, childRes: number): [string, string] {
  const v = BigInt(`0x${cell}`);
  const res = Number((v >> 52n) & 0xfn);
  let lo = (v & ~(0xfn << 52n)) | (BigInt(childRes) << 52n);
  let hi = lo;
  for (let r = res + 1; r <= childRes; r++) {
    const shift = BigInt((15 - r) * 3);
    lo &= ~(7n << shift);
    hi = (hi & ~(7n << shift)) | (6n << shift);
  }
  return [lo.toString(), hi.toString()];
}
