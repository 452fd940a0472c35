import type { MethodSettings } from './settings.js';

/**
 * Persistence state of one cell after a window (DOMAIN.md §6, hysteresis).
 * - `history`: bit mask of the high-value flags of the last `openN` windows, bit 0 = the latest.
 * - `cleanStreak`: consecutive windows that were not high-value while open.
 * - `openedWindow`: start (epoch ms) of the window in which the current hotspot opened; it identifies
 *   the hotspot together with metric, resolution, window length and cell. Null when not open.
 */
export interface PersistenceState {
  readonly status: 'none' | 'open';
  readonly history: number;
  readonly cleanStreak: number;
  readonly openedWindow: number | null;
}

/** What happened to the cell's hotspot in a window. */
export type Transition = 'none' | 'opened' | 'continued' | 'cleared';

/** State of a cell that has never been high-value. */
export const INITIAL_STATE: PersistenceState = Object.freeze({ status: 'none', history: 0, cleanStreak: 0, openedWindow: null });

type PersistenceSettings = Pick<MethodSettings, 'openK' | 'openN' | 'clearN'>;

function popcount(x: number): number {
  let c = 0;
  for (let v = x; v !== 0; v &= v - 1) c += 1;
  return c;
}

/** True when the state carries no information (not open, no high-value window in the history): it need not be stored. */
export function isTrivial(s: PersistenceState): boolean {
  return s.status === 'none' && s.history === 0;
}

/**
 * One step of the hysteresis state machine, a pure function of the previous state and this window's flag.
 * - not open: the window's flag enters the history; if the cell is high-value now and in ≥ openK of the
 *   last openN windows (this one included), the hotspot opens in this window;
 * - open: a high-value window resets the clean streak (continued); a window that is not high-value
 *   extends it, and at clearN the hotspot clears in this window.
 * A window in which the cell is ineligible or has no data is not high-value.
 * @param windowStart start of this window (epoch ms), recorded as `openedWindow` on opening
 * @throws RangeError when openN is outside 1–30 or openK outside 1–openN
 */
export function step(
  prev: PersistenceState,
  high: boolean,
  windowStart: number,
  s: PersistenceSettings,
): { state: PersistenceState; transition: Transition } {
  if (s.openN < 1 || s.openN > 30 || s.openK < 1 || s.openK > s.openN)
    throw new RangeError(`persistence needs 1 ≤ openK ≤ openN ≤ 30, got ${s.openK} of ${s.openN}`);
  const mask = (1 << s.openN) - 1;
  const history = ((prev.history << 1) | (high ? 1 : 0)) & mask;
  if (prev.status === 'open') {
    const cleanStreak = high ? 0 : prev.cleanStreak + 1;
    if (cleanStreak >= s.clearN) return { state: { status: 'none', history, cleanStreak: 0, openedWindow: null }, transition: 'cleared' };
    return { state: { status: 'open', history, cleanStreak, openedWindow: prev.openedWindow }, transition: 'continued' };
  }
  if (high && popcount(history) >= s.openK)
    return { state: { status: 'open', history, cleanStreak: 0, openedWindow: windowStart }, transition: 'opened' };
  return { state: { status: 'none', history, cleanStreak: 0, openedWindow: null }, transition: 'none' };
}

/** A transition in a given window. */
export interface TimedTransition {
  readonly window: number;
  readonly transition: Transition;
  /** The hotspot concerned (its opening window), for `opened`, `continued` and `cleared`. */
  readonly openedWindow: number | null;
}

/**
 * Advances a cell's state over `missed` windows that were never evaluated (each counted as not
 * high-value) and then over this window. After max(openN, clearN) missed windows every state is
 * trivial, so longer gaps cost no more.
 * @param windowStart start of this window; the missed windows are the ones just before it
 * @param windowLenMs window length
 * @returns the new state and the transitions other than `none`, in window order
 */
export function advance(
  prev: PersistenceState,
  missed: number,
  high: boolean,
  windowStart: number,
  windowLenMs: number,
  s: PersistenceSettings,
): { state: PersistenceState; transitions: TimedTransition[] } {
  const transitions: TimedTransition[] = [];
  let state = prev;
  /** Steps `state` over window `w`, keeping the transition (a cleared one names the hotspot it ends). */
  const stepOver = (isHigh: boolean, w: number): void => {
    const r = step(state, isHigh, w, s);
    if (r.transition !== 'none')
      transitions.push({
        window: w,
        transition: r.transition,
        openedWindow: r.transition === 'cleared' ? state.openedWindow : r.state.openedWindow,
      });
    state = r.state;
  };
  const cap = Math.max(s.openN, s.clearN);
  const steps = Math.min(Math.max(0, missed), cap);
  for (let i = steps; i >= 1; i -= 1) {
    if (isTrivial(state)) break;
    stepOver(false, windowStart - i * windowLenMs);
  }
  if (missed > cap) state = { ...state, history: 0 };
  stepOver(high, windowStart);
  return { state, transitions };
}

/** Equality of two states (used to stop re-running persistence once a re-evaluation no longer changes anything). */
export function sameState(a: PersistenceState, b: PersistenceState): boolean {
  return a.status === b.status && a.history === b.history && a.cleanStreak === b.cleanStreak && a.openedWindow === b.openedWindow;
}
