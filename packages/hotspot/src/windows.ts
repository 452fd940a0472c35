import { ERROR_CODES, VocError } from '@voc/domain';

/**
 * Time windows of the hotspot grid: half-open intervals [start, start + length) aligned to multiples
 * of the window length since the Unix epoch (UTC). Times are epoch milliseconds.
 */
export interface Window {
  readonly start: number;
  readonly end: number;
}

/** Window length in milliseconds. @throws VocError invalid_request when minutes is not a positive integer */
export function windowMs(minutes: number): number {
  if (!Number.isInteger(minutes) || minutes <= 0)
    throw new VocError(ERROR_CODES.invalid_request, `window length must be a positive whole number of minutes, got ${minutes}`);
  return minutes * 60_000;
}

/** The window that contains time `t` (epoch ms). */
export function windowOf(t: number, minutes: number): Window {
  const len = windowMs(minutes);
  const start = Math.floor(t / len) * len;
  return { start, end: start + len };
}

/**
 * Window starts from the window containing `from` up to the last window that starts before `to`, in order.
 * @param from epoch ms (inclusive)
 * @param to epoch ms (exclusive)
 */
export function windowStarts(from: number, to: number, minutes: number): number[] {
  const len = windowMs(minutes);
  const out: number[] = [];
  for (let s = windowOf(from, minutes).start; s < to; s += len) out.push(s);
  return out;
}

/**
 * Windows that are closed for evaluation at `now`: their end plus the allowed lateness is ≤ now.
 * @returns start of the first window that is not yet due (every window before it is due)
 */
export function firstWindowNotDue(now: number, minutes: number, latenessMs: number): number {
  return windowOf(now - latenessMs, minutes).start;
}

/** Job-id time format; defined with the job catalogue. */
export { compactIso } from '@voc/domain';
