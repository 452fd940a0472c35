import { describe, expect, it } from 'vitest';
import type { Background, Conditions } from './background.js';
import { ConcentrationField, type PlumeWeather } from './field.js';
import { DEFAULT_MEANDER_TIMESCALE_S, MEANDER_COMPONENTS, meanderProcess, SIGMA_THETA_DEG, sigmaThetaDeg } from './meander.js';
import type { PlantedSource } from './network.js';
import { briggsSigmas, MIN_INSTANTANEOUS_SPREAD, plumeConcentration } from './plume.js';

const SEED = 20161201;
const T0 = Date.UTC(2016, 11, 26, 1); // 09:00 CST
const T = DEFAULT_MEANDER_TIMESCALE_S;

/** Samples of g every `stepS` seconds over `spanS` seconds from T0. */
function series(seed: number, id: string, spanS: number, stepS: number): number[] {
  const p = meanderProcess(seed, id);
  const out: number[] = [];
  for (let s = 0; s < spanS; s += stepS) out.push(p.at(T0 + s * 1000));
  return out;
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function variance(xs: readonly number[]): number {
  const m = mean(xs);
  return xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length;
}

/** Sample autocorrelation at a lag of `lag` samples. */
function autocorrelation(xs: readonly number[], lag: number): number {
  const m = mean(xs);
  let num = 0;
  for (let i = 0; i + lag < xs.length; i += 1) num += (xs[i]! - m) * (xs[i + lag]! - m);
  return num / (xs.length - lag) / variance(xs);
}

describe('meander process', () => {
  it('has mean ≈ 0, variance ≈ 1 and a Gaussian-like spread over a long span', () => {
    // 30 days every 30 s: 8640 time scales, so the time statistics of one realisation are those of its
    // 32 components (sampling error of the time average ≈ √(2T/span) ≈ 0.015).
    for (const id of ['sim-src-01', 'sim-src-02', 'sim-src-03']) {
      const g = series(SEED, id, 30 * 86_400, 30);
      expect(Math.abs(mean(g)), id).toBeLessThan(0.1);
      expect(variance(g), id).toBeGreaterThan(0.85);
      expect(variance(g), id).toBeLessThan(1.15);
      // Normal: 68.3 % within one s.d., 95.4 % within two.
      expect(g.filter((x) => Math.abs(x) < 1).length / g.length, id).toBeCloseTo(0.683, 1);
      expect(g.filter((x) => Math.abs(x) < 2).length / g.length, id).toBeCloseTo(0.954, 1);
    }
  });

  it('decorrelates as exp(−τ/T): lag-T autocorrelation ≈ 1/e', () => {
    // One realisation's lag-τ autocorrelation is the mean of cos(ωₖτ) over its 32 components: e⁻¹ ± 0.12
    // (s.d.) at τ = T; over 16 sources ± 0.03. Loose: each within 0.35 of e⁻¹ (3 s.d.), the mean within 0.1.
    const ids = Array.from({ length: 16 }, (_, i) => `sim-src-${String(i + 1).padStart(2, '0')}`);
    const step = 30;
    const lag = T / step;
    const all = ids.map((id) => series(SEED, id, 10 * 86_400, step));
    const atT = all.map((g) => autocorrelation(g, lag));
    for (const r of atT) expect(Math.abs(r - Math.exp(-1))).toBeLessThan(0.35);
    expect(Math.abs(mean(atT) - Math.exp(-1))).toBeLessThan(0.1);
    // The shape too: half and twice the time scale.
    expect(Math.abs(mean(all.map((g) => autocorrelation(g, lag / 2))) - Math.exp(-0.5))).toBeLessThan(0.1);
    expect(Math.abs(mean(all.map((g) => autocorrelation(g, lag * 2))) - Math.exp(-2))).toBeLessThan(0.1);
  });

  it('is a pure function of t: the same seed and source give the same values in any order', () => {
    const times = Array.from({ length: 500 }, (_, i) => T0 + i * 37_000 + (i % 7) * 1000);
    const a = meanderProcess(SEED, 'sim-src-01');
    const b = meanderProcess(SEED, 'sim-src-01');
    const forward = times.map((t) => a.at(t));
    const backward = [...times]
      .reverse()
      .map((t) => b.at(t))
      .reverse();
    expect(backward).toEqual(forward);
    // Asking again (memoised or not) changes nothing.
    expect(times.map((t) => a.at(t))).toEqual(forward);
    expect(times.map((t) => b.at(t))).toEqual(forward);
  });

  it('gives another process for another source or seed', () => {
    const times = Array.from({ length: 200 }, (_, i) => T0 + i * 60_000);
    const a = meanderProcess(SEED, 'sim-src-01');
    const b = meanderProcess(SEED, 'sim-src-02');
    const c = meanderProcess(SEED + 1, 'sim-src-01');
    const ga = times.map((t) => a.at(t));
    const gb = times.map((t) => b.at(t));
    const gc = times.map((t) => c.at(t));
    // Independent processes: their correlation over 200 minutes (≈ 40 time scales) is far from 1.
    const corr = (x: number[], y: number[]) => {
      const mx = mean(x);
      const my = mean(y);
      let s = 0;
      for (let i = 0; i < x.length; i += 1) s += (x[i]! - mx) * (y[i]! - my);
      return s / x.length / Math.sqrt(variance(x) * variance(y));
    };
    expect(Math.abs(corr(ga, gb))).toBeLessThan(0.7);
    expect(Math.abs(corr(ga, gc))).toBeLessThan(0.7);
    expect(gb).not.toEqual(ga);
    expect(gc).not.toEqual(ga);
  });

  it('is bounded by √(2N) and refuses a non-positive time scale', () => {
    const g = series(SEED, 'sim-src-01', 86_400, 60);
    expect(Math.max(...g.map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(2 * MEANDER_COMPONENTS));
    expect(() => meanderProcess(SEED, 'x', 0)).toThrow(RangeError);
    expect(() => meanderProcess(SEED, 'x', Number.NaN)).toThrow(RangeError);
  });
});

describe('wind direction spread σθ', () => {
  it('takes the EPA (2000) Table 6-8 midpoints and geometric means for intermediate classes', () => {
    expect(SIGMA_THETA_DEG).toEqual({ A: 25, B: 20, C: 15, D: 10, E: 5.65, F: 2.9 });
    expect(sigmaThetaDeg('D')).toBe(10);
    expect(sigmaThetaDeg('A-B')).toBeCloseTo(Math.sqrt(500), 12);
    expect(sigmaThetaDeg('B-C')).toBeCloseTo(Math.sqrt(300), 12);
    expect(sigmaThetaDeg('C-D')).toBeCloseTo(Math.sqrt(150), 12);
  });
});

describe('meandering plume', () => {
  // One ground-level-ish source at the origin, a receptor 50 m downwind of a steady west wind (3 m/s,
  // class D, urban), sampled every 60 s for an hour: the street sensor 30-100 m from a facility.
  const WIND: Conditions = { pm25: 50, pm10: 80, coMgM3: 1, windFromDeg: 270, windSpeed: 3, temp: 0, pressure: 1020 };
  const WEATHER: PlumeWeather = { conditions: WIND, stability: 'D' };
  const SOURCE: PlantedSource = {
    id: 'sim-src-01',
    facilityId: 'sim-fac-001',
    category: 'printer',
    lat: 39.91,
    lon: 116.36,
    xy: { x: 0, y: 0 },
    heightM: 5,
    emissions: [{ species: 'toluene', rateGs: 0.05 }],
    schedule: 'usual',
    onPeriods: [{ start: T0 - 86_400_000, end: T0 + 3 * 86_400_000 }],
  };
  const RECEPTOR = { x: 50, y: 0 };
  // excessAt reads the weather it is given; the background is never asked.
  const NO_BACKGROUND = {} as Background;
  const opts = { terrain: 'urban' as const, receptorHeightM: 3, centre: { lat: 39.91, lon: 116.36 } };
  const steady = plumeConcentration(0.05, 3, 50, 0, 3, 5, 'D', { terrain: 'urban' }) * 1e6;

  function hourly(field: ConcentrationField, start: number, hours = 1): number[] {
    const out: number[] = [];
    for (let t = start; t < start + hours * 3_600_000; t += 60_000) out.push(field.excessAt(RECEPTOR, t, WEATHER).toluene);
    return out;
  }

  it('fluctuates near the source while its hourly mean stays near the steady plume', () => {
    const field = new ConcentrationField(NO_BACKGROUND, [SOURCE], { ...opts, meander: { seed: SEED } });
    const c = hourly(field, T0);
    const m = mean(c);
    const cv = Math.sqrt(variance(c)) / m;
    expect(cv).toBeGreaterThanOrEqual(0.3);
    expect(m).toBeGreaterThan(steady / 2);
    expect(m).toBeLessThan(steady * 2);
    // Partly intermittent: some minutes nearly clean air, some well above the steady plume.
    expect(c.filter((x) => x < 0.1 * steady).length).toBeGreaterThan(0);
    expect(Math.max(...c)).toBeGreaterThan(1.5 * steady);
  });

  it('averages over two days to the steady plume spread by the meander (Gifford)', () => {
    // At 50 m in urban D the meander (50 m · sin 10° = 8.7 m) exceeds σy (7.9 m), so the instantaneous
    // spread takes its floor 0.3 σy and the mean plume is Gaussian with √((0.3 σy)² + σm²): on the axis
    // steady · σy / that. One hour holds only ≈ 6 independent meanders; 48 h ≈ 300, so ± ≈ 10 %.
    const field = new ConcentrationField(NO_BACKGROUND, [SOURCE], { ...opts, meander: { seed: SEED } });
    const m = mean(hourly(field, T0, 48));
    const { sy } = briggsSigmas(50, 'D', 'urban');
    const sm = 50 * Math.sin((10 * Math.PI) / 180);
    const expected = (steady * sy) / Math.sqrt((MIN_INSTANTANEOUS_SPREAD * sy) ** 2 + sm * sm);
    expect(m / expected).toBeGreaterThan(0.75);
    expect(m / expected).toBeLessThan(1.25);
  });

  it('reproduces the steady plume exactly without meander', () => {
    const field = new ConcentrationField(NO_BACKGROUND, [SOURCE], opts);
    const c = hourly(field, T0);
    for (const x of c) expect(x).toBe(steady);
  });

  it('splits σy into meander and instantaneous spread, with a floor', () => {
    const { sy, sz } = briggsSigmas(100, 'D', 'urban');
    const base = plumeConcentration(1, 2, 100, 0, 0, 0, 'D', { terrain: 'urban' });
    // σm = 0: unchanged; σm = 0.6 σy: σy,i = 0.8 σy, centreline × 1/0.8.
    expect(plumeConcentration(1, 2, 100, 0, 0, 0, 'D', { terrain: 'urban' }, 0)).toBe(base);
    expect(plumeConcentration(1, 2, 100, 0, 0, 0, 'D', { terrain: 'urban' }, 0.6 * sy)).toBeCloseTo(base / 0.8, 12);
    // σm ≥ σy: floor 0.3 σy.
    expect(plumeConcentration(1, 2, 100, 0, 0, 0, 'D', { terrain: 'urban' }, 2 * sy)).toBeCloseTo(base / 0.3, 12);
    expect(base).toBeCloseTo(1 / (Math.PI * 2 * sy * sz), 12);
    expect(() => plumeConcentration(1, 2, 100, 0, 0, 0, 'D', { terrain: 'urban' }, -1)).toThrow(RangeError);
  });
});
