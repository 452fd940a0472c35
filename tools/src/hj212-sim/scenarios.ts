/**
 * What a simulated fume monitor measures, minute by minute, in each scenario. Pure and seeded: the
 * same scenario, seed and minute give the same values (tests and the demo are reproducible). Values
 * are SIMULATED; the normal levels are placed below the DB11/1488-2018 limits and the "exceedance"
 * levels around the pre-treatment means measured in 41 Beijing restaurants (SPEC-NOTES §7: 1.93 fume,
 * 6.6 particulate, 10.9 NMHC mg/m³).
 */

/** Scenarios of the simulator. */
export const SCENARIOS = ['normal', 'exceedance', 'purifier_off', 'low_current', 'offline', 'flat_line', 'drop', 'twin'] as const;
/** One of {@link SCENARIOS}. */
export type Scenario = (typeof SCENARIOS)[number];

/** One minute of a monitor: emission (mg/m³), fan and purifier states (0/1) and currents (A); null = sends nothing. */
export interface MinuteValues {
  readonly oilFume: number;
  readonly pm: number;
  readonly nmhc: number;
  readonly fan: 0 | 1;
  readonly purifier: 0 | 1;
  readonly fanCurrentA: number;
  readonly purifierCurrentA: number;
}

/** Rated purifier current of every simulated monitor, A (registered with `--rated-current`). */
export const SIM_RATED_PURIFIER_CURRENT_A = 2.0;

/** mulberry32: a small seeded PRNG (uniform in [0, 1)). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * Values of minute `i` (0-based, of `minutes`) for a monitor in `scenario` with `seed`. `twin`
 * monitors that share a seed send identical values (the "identical readings across two restaurants"
 * tamper pattern); `offline` sends for the first sixth of the run and then nothing.
 */
export function minuteValues(scenario: Scenario, seed: number, i: number, minutes: number): MinuteValues | null {
  const r = rng(seed * 100_003 + i);
  const noise = (lo: number, hi: number) => round3(lo + (hi - lo) * r());
  const normal: MinuteValues = {
    oilFume: noise(0.25, 0.65),
    pm: noise(1.2, 2.4),
    nmhc: noise(2.5, 4.5),
    fan: 1,
    purifier: 1,
    fanCurrentA: noise(3.0, 3.4),
    purifierCurrentA: noise(1.7, 1.95),
  };
  switch (scenario) {
    case 'normal':
    case 'twin':
      return normal;
    case 'exceedance':
      return { ...normal, oilFume: noise(1.6, 2.3), pm: noise(5.5, 7.5), nmhc: noise(9.5, 12.0) };
    case 'purifier_off':
      return { ...normal, purifier: 0, purifierCurrentA: noise(0.0, 0.08), oilFume: noise(1.2, 1.9) };
    case 'low_current':
      return { ...normal, purifierCurrentA: noise(0.5, 0.7) };
    case 'offline':
      return i < Math.ceil(minutes / 6) ? normal : null;
    case 'flat_line':
      return { ...normal, oilFume: 0.42 };
    case 'drop':
      // The purifier is switched off for the second half, and the reported fume falls instead of rising.
      return i < minutes / 2 ? normal : { ...normal, purifier: 0, purifierCurrentA: 0.02, oilFume: noise(0.02, 0.08) };
  }
}
