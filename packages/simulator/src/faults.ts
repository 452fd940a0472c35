/**
 * Faults injected into simulated sensors, recorded in the ground truth (times epoch ms, values in the
 * channel's canonical unit). Ordinary noise (the channel's σ) and a small random loss of readings are
 * not faults; these are:
 * - `bias`: a constant offset added from `from` on (a miscalibrated sensor reads high everywhere, all
 *   the time, whatever the wind: DOMAIN.md §8);
 * - `drift`: an offset growing linearly, `perDay` per day from `from` (ageing of a PID lamp or MOS film);
 * - `stuck`: the output frozen at its last value over [from, to) (a hung firmware);
 * - `outage`: no readings at all over [from, to) (power or network loss).
 */
export type SensorFault =
  | { readonly kind: 'bias'; readonly metric: string; readonly offset: number; readonly from: number }
  | { readonly kind: 'drift'; readonly metric: string; readonly perDay: number; readonly from: number }
  | { readonly kind: 'stuck'; readonly metric: string; readonly from: number; readonly to: number }
  | { readonly kind: 'outage'; readonly from: number; readonly to: number };

/** The fault kinds that make a sensor report wrong values (an outage only loses readings). */
export const VALUE_FAULT_KINDS = ['bias', 'drift', 'stuck'] as const;

/** Offset a bias or drift adds to `metric` at time t. */
export function faultOffset(faults: readonly SensorFault[], metric: string, t: number): number {
  let off = 0;
  for (const f of faults) {
    if (f.kind === 'bias' && f.metric === metric && t >= f.from) off += f.offset;
    else if (f.kind === 'drift' && f.metric === metric && t >= f.from) off += (f.perDay * (t - f.from)) / 86_400_000;
  }
  return off;
}

/** True when `metric` is stuck at t. */
export function isStuck(faults: readonly SensorFault[], metric: string, t: number): boolean {
  return faults.some((f) => f.kind === 'stuck' && f.metric === metric && t >= f.from && t < f.to);
}

/** True when the sensor sends nothing at t. */
export function inOutage(faults: readonly SensorFault[], t: number): boolean {
  return faults.some((f) => f.kind === 'outage' && t >= f.from && t < f.to);
}
