import type { CpData } from './frame.js';
import type { Warning } from './reasons.js';

/**
 * Records without `Object.prototype` in their chain: any item name (`__proto__`, `constructor`) is an
 * ordinary own key, and unlike `Object.create(null)` they keep V8's fast hidden-class layout.
 */
function NullRecord(this: Record<string, unknown>): void {}
NullRecord.prototype = Object.create(null) as object;
/** A new prototype-free record. */
export function newRecord<V>(): Record<string, V> {
  return new (NullRecord as unknown as new () => Record<string, V>)();
}

/** Result of {@link parseCp}: the data area, or the position and cause of the first malformed item. */
export type CpResult = { ok: true; cp: CpData } | { ok: false; detail: string };

/**
 * Parses the inside of `CP=&&…&&` in `s[start..end)` (the `&&` excluded) in one left-to-right pass:
 * groups separated by `;`, items by `,`, each `name=value`; empty items (a trailing `;`) are skipped.
 * An item without `=`, with an empty name, or a factor item with an empty code or field is malformed.
 * Duplicate item names keep the last value and push `duplicate_item` on `warnings`.
 */
export function parseCp(s: string, start: number, end: number, warnings: Warning[]): CpResult {
  const fields = newRecord<string>();
  const factors = newRecord<Record<string, string>>();
  const factorOrder: string[] = [];
  let i = start;
  while (i < end) {
    // One item: [i, q) where q is the next ';' or ',' or end.
    let eq = -1;
    let hy = -1;
    let q = i;
    for (; q < end; q++) {
      const c = s.charCodeAt(q);
      if (c === 59 /* ; */ || c === 44 /* , */) break;
      if (c === 61 /* = */ && eq < 0) eq = q;
      else if (c === 45 /* - */ && hy < 0 && eq < 0) hy = q;
    }
    if (q > i) {
      if (eq < 0) return { ok: false, detail: `item without '=' at offset ${i}` };
      if (eq === i) return { ok: false, detail: `item with an empty name at offset ${i}` };
      const value = s.slice(eq + 1, q);
      if (hy < 0) {
        const name = s.slice(i, eq);
        if (fields[name] !== undefined) warnings.push('duplicate_item');
        fields[name] = value;
      } else {
        if (hy === i || hy === eq - 1) return { ok: false, detail: `factor item with an empty code or field at offset ${i}` };
        const code = s.slice(i, hy);
        const field = s.slice(hy + 1, eq);
        let f = factors[code];
        if (f === undefined) {
          f = newRecord<string>();
          factors[code] = f;
          factorOrder.push(code);
        } else if (f[field] !== undefined) warnings.push('duplicate_item');
        f[field] = value;
      }
    }
    i = q + 1;
  }
  return { ok: true, cp: { fields, factors, factorOrder } };
}
