/**
 * HJ 212 time items: `YYYYMMDDhhmmss` (14 digits, the standard) or `YYYYMMDDhhmmsszzz` (17 digits,
 * common in the wild; a per-device tolerance). Times are China Standard Time (UTC+8) without a zone
 * (SPEC-NOTES §2, §8.5).
 */

/** Offset of China Standard Time from UTC, in milliseconds (UTC+8, no daylight saving since 1991). */
export const CST_OFFSET_MS = 8 * 3600_000;

function digits(s: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/**
 * Parses a 14- or 17-digit HJ 212 time in China Standard Time to epoch milliseconds (UTC).
 * Returns `NaN` when the text is not a valid calendar time (month 13, 31 April, hour 24, …).
 */
export function parseHj212Time(s: string): number {
  const n = s.length;
  if (n !== 14 && n !== 17) return NaN;
  const y = digits(s, 0, 4);
  const mo = digits(s, 4, 2);
  const d = digits(s, 6, 2);
  const h = digits(s, 8, 2);
  const mi = digits(s, 10, 2);
  const se = digits(s, 12, 2);
  const ms = n === 17 ? digits(s, 14, 3) : 0;
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59 || ms < 0) return NaN;
  if (d > daysInMonth(y, mo)) return NaN;
  return Date.UTC(y, mo - 1, d, h, mi, se, ms) - CST_OFFSET_MS;
}

function pad(v: number, n: number): string {
  return String(v).padStart(n, '0');
}

/** Formats epoch milliseconds as 14-digit China Standard Time `YYYYMMDDhhmmss` (DataTime, SystemTime). */
export function formatHj212Time(epochMs: number): string {
  const t = new Date(epochMs + CST_OFFSET_MS);
  return (
    pad(t.getUTCFullYear(), 4) +
    pad(t.getUTCMonth() + 1, 2) +
    pad(t.getUTCDate(), 2) +
    pad(t.getUTCHours(), 2) +
    pad(t.getUTCMinutes(), 2) +
    pad(t.getUTCSeconds(), 2)
  );
}

/** Formats epoch milliseconds as a 17-digit `QN` (China Standard Time with milliseconds). */
export function formatQn(epochMs: number): string {
  return formatHj212Time(epochMs) + pad(new Date(epochMs).getUTCMilliseconds(), 3);
}
