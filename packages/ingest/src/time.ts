import { DEFAULT_EARLIEST_TIME_MS, reject, type Outcome, type TimeLimits } from './types.js';

/** Human duration: `412.0 s`, `2.5 h`, `8.2 days`. */
export function formatDuration(ms: number): string {
  const s = Math.abs(ms) / 1000;
  if (s < 120) return `${s.toFixed(1)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  if (s < 172800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86400).toFixed(1)} days`;
}

/**
 * Device time against receive time: refused as `timestamp_in_future` beyond `maxClockSkewMs` ahead (or
 * when it is not a representable date), as `timestamp_too_old` beyond `allowedLatenessMs` behind or
 * before the plausibility floor `earliestTimeMs` (default {@link DEFAULT_EARLIEST_TIME_MS}), whichever
 * the lateness allows.
 * @param ts ISO 8601 with offset, epoch ms, or a Date
 * @param path where the time sits in the message, for the detail (`readings[2].ts`)
 */
export function checkTime(ts: string | number | Date, receivedAt: Date, s: TimeLimits, path: string): Outcome<Date> {
  const shown =
    ts instanceof Date
      ? `"${Number.isNaN(ts.getTime()) ? 'Invalid Date' : ts.toISOString()}"`
      : typeof ts === 'string'
        ? `"${ts}"`
        : `${ts} (epoch ms)`;
  const t = ts instanceof Date ? ts.getTime() : typeof ts === 'string' ? Date.parse(ts) : ts;
  const when = new Date(t);
  if (Number.isNaN(when.getTime())) {
    return reject(
      'timestamp_in_future',
      `${path} ${shown} is beyond the last representable date; the allowed clock skew is ${formatDuration(s.maxClockSkewMs)}`,
    );
  }
  const ahead = t - receivedAt.getTime();
  if (ahead > s.maxClockSkewMs) {
    return reject(
      'timestamp_in_future',
      `${path} ${shown} is ${formatDuration(ahead)} after the receive time ${receivedAt.toISOString()}; the allowed clock skew (VOC_MAX_CLOCK_SKEW_MS) is ${formatDuration(s.maxClockSkewMs)}`,
    );
  }
  const floor = s.earliestTimeMs ?? DEFAULT_EARLIEST_TIME_MS;
  if (t < floor) {
    return reject(
      'timestamp_too_old',
      `${path} ${shown} is before ${new Date(floor).toISOString()}, the earliest plausible reading time (VOC_EARLIEST_READING_TIME): a device clock that was reset, not a reading from before the network existed`,
    );
  }
  if (-ahead > s.allowedLatenessMs) {
    return reject(
      'timestamp_too_old',
      `${path} ${shown} is ${formatDuration(-ahead)} before the receive time ${receivedAt.toISOString()}; the allowed lateness (VOC_ALLOWED_LATENESS_MS) is ${formatDuration(s.allowedLatenessMs)}`,
    );
  }
  return { ok: true, value: when };
}
