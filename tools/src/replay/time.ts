/**
 * Local wall-clock time → UTC instant.
 *
 * A time zone is either a fixed UTC offset (`+08:00`, `+05:30`, `+01:00`) or an IANA zone name
 * (`Europe/Rome`) resolved with `Intl.DateTimeFormat`, which applies daylight-saving time.
 */

/** A local time as written in a data file (month 1-12). */
export interface LocalTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute?: number;
  readonly second?: number;
}

const OFFSET_RE = /^([+-])(\d{2}):(\d{2})$/;

/** True when `zone` is a fixed offset `±HH:MM` or an IANA zone this runtime knows. */
export function isTimeZone(zone: string): boolean {
  if (OFFSET_RE.test(zone)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Offset of `±HH:MM` in minutes, or undefined when `zone` is not a fixed offset. */
function fixedOffsetMinutes(zone: string): number | undefined {
  const m = OFFSET_RE.exec(zone);
  if (!m) return undefined;
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  return m[1] === '-' ? -minutes : minutes;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** UTC offset (minutes, east positive) of an IANA zone at instant `t` (epoch ms). */
export function zoneOffsetMinutes(zone: string, t: number): number {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(new Date(t))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const wall = Date.UTC(p.year ?? 0, (p.month ?? 1) - 1, p.day ?? 1, p.hour ?? 0, p.minute ?? 0, p.second ?? 0);
  return Math.round((wall - Math.floor(t / 1000) * 1000) / 60000);
}

/**
 * Converts a local wall-clock time to a UTC instant.
 *
 * For an IANA zone the ambiguities of daylight-saving changes are resolved like Temporal's
 * `disambiguation: 'compatible'` (and like `java.time`): a time repeated when clocks go back takes the
 * earlier instant (the summer-time one); a time skipped when clocks go forward (02:30 on the last
 * Sunday of March in Europe/Rome) is read with the offset before the change, i.e. shifted forward by
 * the gap (02:30 → 03:30 CEST = 01:30Z).
 *
 * @param local the wall-clock fields
 * @param zone `±HH:MM` or an IANA zone name
 * @throws RangeError for an unknown zone
 */
export function localToUtc(local: LocalTime, zone: string): Date {
  const wall = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute ?? 0, local.second ?? 0);
  const fixed = fixedOffsetMinutes(zone);
  if (fixed !== undefined) return new Date(wall - fixed * 60000);
  // Offsets in force a day before and a day after bracket any single transition.
  const before = zoneOffsetMinutes(zone, wall - 86_400_000);
  const after = zoneOffsetMinutes(zone, wall + 86_400_000);
  const candidates = [...new Set([before, after])]
    .map((o) => wall - o * 60000)
    .filter((t) => wall - zoneOffsetMinutes(zone, t) * 60000 === t)
    .sort((a, b) => a - b);
  const first = candidates[0];
  return new Date(first ?? wall - before * 60000);
}
