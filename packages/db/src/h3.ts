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
