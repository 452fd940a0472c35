/**
 * Declared opening hours of a restaurant, in local time (China Standard Time, UTC+8, no daylight
 * saving since 1991): `HH:MM-HH:MM[,HH:MM-HH:MM…]`. An interval whose end is not after its start runs
 * across midnight (`17:00-02:00` is open from 17:00 to 02:00 the next day); `00:00-24:00` is all day.
 */

/** Offset of China Standard Time from UTC, ms. */
export const CST_OFFSET_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;

/** One interval in minutes after local midnight: [start, end), end ≤ 1440; across midnight split in two. */
export interface OpenInterval {
  readonly startMin: number;
  readonly endMin: number;
}

/** Parsed opening hours: intervals of the local day, sorted, across-midnight ones split at 24:00. */
export interface OpeningHours {
  readonly text: string;
  readonly intervals: readonly OpenInterval[];
}

function minutes(hhmm: string): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(hhmm.trim());
  if (!m) return NaN;
  const h = Number(m[1]);
  const mi = Number(m[2]);
  if (h > 24 || mi > 59 || (h === 24 && mi !== 0)) return NaN;
  return h * 60 + mi;
}

/**
 * Parses opening hours.
 * @throws TypeError naming the bad interval (`"25:00-02:00" is not HH:MM-HH:MM`)
 */
export function parseOpeningHours(text: string): OpeningHours {
  const intervals: OpenInterval[] = [];
  for (const part of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [a, b, extra] = part.split('-');
    const s = minutes(a ?? '');
    const e = minutes(b ?? '');
    if (extra !== undefined || Number.isNaN(s) || Number.isNaN(e) || s === 1440)
      throw new TypeError(`opening hours "${part}" is not HH:MM-HH:MM (local time, e.g. 10:30-14:00 or 17:00-02:00)`);
    if (e > s) intervals.push({ startMin: s, endMin: e });
    else {
      // Across midnight (or a 24-hour day when e === s).
      intervals.push({ startMin: s, endMin: 1440 });
      if (e > 0) intervals.push({ startMin: 0, endMin: e });
    }
  }
  if (intervals.length === 0) throw new TypeError('opening hours are empty');
  intervals.sort((x, y) => x.startMin - y.startMin);
  return { text, intervals };
}

/** Minute of the local (CST) day of an epoch-ms instant, 0..1439. */
export function localMinuteOfDay(t: number): number {
  const local = (((t + CST_OFFSET_MS) % DAY_MS) + DAY_MS) % DAY_MS;
  return Math.floor(local / 60_000);
}

/** Whether the restaurant is declared open at instant `t` (epoch ms). */
export function isOpenAt(hours: OpeningHours, t: number): boolean {
  const m = localMinuteOfDay(t);
  return hours.intervals.some((i) => m >= i.startMin && m < i.endMin);
}
