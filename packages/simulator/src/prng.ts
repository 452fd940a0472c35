/**
 * Seeded pseudo-random numbers. The simulator never calls `Math.random`: every random choice comes
 * from a {@link Rng} derived from the scenario seed and a stream name (a device id, `network`, …), so
 * the same seed gives the same output whatever order the streams are consumed in.
 *
 * Generator: mulberry32 (Tommy Ettinger, public domain; 32-bit state, period 2³²), seeded through the
 * cyrb53 string hash (bryc, public domain). Normal deviates: Box–Muller (Box & Muller 1958, *Ann. Math.
 * Statist.* 29:610). Plenty for simulation; not for cryptography.
 */

/** A seeded generator. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Integer uniform in [0, n). @throws RangeError when n is not a positive integer */
  int(n: number): number;
  /** Normal deviate with mean `mean` and standard deviation `sd`. */
  normal(mean?: number, sd?: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** One element of a non-empty list. @throws RangeError on an empty list */
  pick<T>(items: readonly T[]): T;
  /** A copy of the list in random order (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[];
}

/** cyrb53: a 53-bit hash of a string, as a non-negative integer. */
export function hashString(s: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < s.length; i += 1) {
    const ch = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/**
 * A generator for one named stream of a scenario.
 * @param seed the scenario seed (any safe integer)
 * @param stream the stream name; different names give independent sequences
 */
export function createRng(seed: number, stream: string): Rng {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  let a = hashString(`${seed}/${stream}`) >>> 0;
  let spare: number | null = null;
  const next = (): number => {
    a = (a + 0x6d2b79f5) | 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng: Rng = {
    next,
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    int(n) {
      if (!Number.isInteger(n) || n <= 0) throw new RangeError(`int(n) needs a positive integer, got ${n}`);
      return Math.floor(next() * n);
    },
    normal(mean = 0, sd = 1) {
      if (spare !== null) {
        const z = spare;
        spare = null;
        return mean + sd * z;
      }
      let u = next();
      while (u === 0) u = next();
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return mean + sd * r * Math.cos(2 * Math.PI * v);
    },
    chance: (p) => next() < p,
    pick(items) {
      if (items.length === 0) throw new RangeError('pick from an empty list');
      return items[Math.floor(next() * items.length)]!;
    },
    shuffle(items) {
      const out = [...items];
      for (let i = out.length - 1; i > 0; i -= 1) {
        const j = Math.floor(next() * (i + 1));
        [out[i], out[j]] = [out[j]!, out[i]!];
      }
      return out;
    },
  };
  return rng;
}
