import { gridDisk, latLngToCell } from 'h3-js';
import { describe, expect, it } from 'vitest';
import { aggregateCells, type CellStats, type GridReading } from './aggregate.js';
import { getisOrdGiStar } from './gistar.js';
import { evaluateCells, isEligible, MAD_SCALE, MEAN_AD_SCALE } from './method.js';
import { advance, INITIAL_STATE, step, type PersistenceState, type Transition } from './persistence.js';
import { DEFAULT_METHOD_SETTINGS as S } from './settings.js';

// A cell in Xicheng (Guanyuan station, stations.csv) at the default resolution 8, and its ring.
const CENTRE = latLngToCell(39.929, 116.339, 8);
const RING = gridDisk(CENTRE, 2).filter((c) => c !== CENTRE);

function stats(cell: string, median: number, over: Partial<CellStats> = {}): CellStats {
  return {
    cell,
    n: 12,
    nFixed: 12,
    devices: 1,
    vanPasses: 0,
    maxPassReadings: 0,
    mean: median,
    median,
    p90: median,
    max: median,
    min: median,
    ...over,
  };
}

/** A window of 19 cells (centre + 2 rings) with background medians 10 ± 1 and the centre at `centre`. */
function grid(centre: number, over: Partial<CellStats> = {}): CellStats[] {
  return [stats(CENTRE, centre, over), ...RING.map((c, i) => stats(c, 10 + ((i % 3) - 1)))];
}

describe('hotspot method (DOMAIN.md §6)', () => {
  it('flags exactly one cell when one cell stands out', () => {
    const r = evaluateCells(grid(40), S, 'tvoc');
    const high = r.cells.filter((c) => c.high);
    expect(high.map((c) => c.cell)).toEqual([CENTRE]);
    expect(r.district.baseline).toBe(10);
    expect(r.district.mad).toBe(1);
    expect(high[0]!.ratio).toBe(4);
    expect(high[0]!.robustZ).toBeCloseTo(30 / MAD_SCALE, 9);
    // the fixture's p90 and mean equal its median, so the upper-quantile and mean tests fire with the median one
    expect(high[0]!.reasons).toEqual(['relative', 'upper', 'mean']);
  });

  it('flags nothing in a uniform district', () => {
    const r = evaluateCells(grid(10), S, 'tvoc');
    expect(r.cells.filter((c) => c.high)).toEqual([]);
  });

  it('needs both the ratio and the robust z when a ratio gate is set', () => {
    const G = { ...S, ratio: 1.5, minExcessFactor: 0 };
    // ratio 1.4 < 1.5 although z = 4 / 1.4826 × … is large
    expect(evaluateCells(grid(14), G, 'tvoc').cells.some((c) => c.high)).toBe(false);
    // ratio met but z below 3: a spread-out district (medians 5…22, baseline 14, MAD 5)
    const noisy = [stats(CENTRE, 25), ...RING.map((c, i) => stats(c, 5 + i))];
    const r = evaluateCells(noisy, G, 'tvoc');
    expect(r.cells[0]!.ratio).toBeGreaterThanOrEqual(1.5);
    expect(r.cells[0]!.robustZ).toBeLessThan(3);
    expect(r.cells[0]!.high).toBe(false);
  });

  it('never flags an ineligible cell, however high', () => {
    const r = evaluateCells(grid(1000, { n: 5, nFixed: 5 }), S, 'tvoc');
    expect(r.cells[0]!.eligible).toBe(false);
    expect(r.cells[0]!.high).toBe(false);
    expect(r.cells[0]!.robustZ).toBeNull();
    expect(r.district.eligible).toBe(RING.length);
    // a threshold does not make it eligible either
    expect(evaluateCells(grid(1000, { n: 5, nFixed: 5 }), { ...S, thresholds: { tvoc: 1 } }, 'tvoc').cells[0]!.high).toBe(false);
  });

  it('makes a cell eligible by ≥ 6 fixed readings or ≥ 10 readings of one van pass', () => {
    expect(isEligible({ nFixed: 6, maxPassReadings: 0 }, S)).toBe(true);
    expect(isEligible({ nFixed: 5, maxPassReadings: 9 }, S)).toBe(false);
    expect(isEligible({ nFixed: 0, maxPassReadings: 10 }, S)).toBe(true);
  });

  it('flags a cell whose mean exceeds the absolute threshold of its metric only when it also stands out', () => {
    // Issue 10: an absolute threshold alone flagged every cell of a regional episode; it now needs the
    // cell to stand out from the district (excess ≥ the minimum and robust z ≥ 3) as well.
    const flat = grid(10).map((c, i) => (i === 3 ? { ...c, mean: 51 } : c));
    expect(evaluateCells(flat, { ...S, meanTest: false, thresholds: { benzene: 50 } }, 'benzene').cells.some((c) => c.high)).toBe(false);
    const cells = grid(10).map((c, i) => (i === 3 ? { ...c, mean: 51, median: 20 } : c));
    const r = evaluateCells(cells, { ...S, upperQuantile: false, meanTest: false, thresholds: { benzene: 50 } }, 'benzene');
    expect(r.cells.filter((c) => c.high).map((c) => [c.cell, c.reasons])).toEqual([[cells[3]!.cell, ['relative', 'absolute']]]);
    expect(
      evaluateCells(cells, { ...S, upperQuantile: false, meanTest: false, thresholds: { benzene: 50 } }, 'tvoc')
        .cells.filter((c) => c.high)
        .map((c) => c.reasons),
    ).toEqual([['relative']]);
  });

  it('falls back to the mean absolute deviation when MAD = 0 and gives z = 0 when every median is equal', () => {
    const flat = [stats(CENTRE, 100), ...RING.slice(0, 6).map((c) => stats(c, 10))];
    const r = evaluateCells(flat, S, 'tvoc');
    expect(r.district.mad).toBe(0);
    expect(r.district.scaleKind).toBe('mean_ad');
    // mean |m − 10| = 90 / 7
    expect(r.cells[0]!.robustZ).toBeCloseTo(90 / (MEAN_AD_SCALE * (90 / 7)), 9);
    expect(r.cells[0]!.high).toBe(true);
    const equal = evaluateCells(
      RING.map((c) => stats(c, 10)),
      S,
      'tvoc',
    );
    expect(equal.district.scaleKind).toBe('none');
    expect(equal.cells.every((c) => c.robustZ === 0 && !c.high)).toBe(true);
  });

  it('cannot flag a single eligible cell against itself', () => {
    const r = evaluateCells([stats(CENTRE, 500)], S, 'tvoc');
    expect(r.cells[0]!.robustZ).toBe(0);
    expect(r.cells[0]!.high).toBe(false);
  });
});

describe('Getis-Ord Gi*', () => {
  // Four cells on a line a-b-c-d with values 1, 2, 3, 10; neighbourhoods include the cell itself.
  // n = 4, x̄ = 4, S² = 114/4 − 16 = 12.5.
  // d: W = 2, Σx = 13 → (13 − 8) / (√12.5 · √((8 − 4)/3)) = 5 / 4.0824829 = 1.2247449 (= √1.5)
  // b: W = 3, Σx = 6 → (6 − 12) / (√12.5 · √((12 − 9)/3)) = −6 / 3.5355339 = −1.6970563
  const hood: Record<string, string[]> = { a: ['a', 'b'], b: ['a', 'b', 'c'], c: ['b', 'c', 'd'], d: ['c', 'd'] };
  const values = new Map([
    ['a', 1],
    ['b', 2],
    ['c', 3],
    ['d', 10],
  ]);

  it('matches a hand computation on a four-cell line', () => {
    const gi = getisOrdGiStar(values, (c) => hood[c]!);
    expect(gi.get('d')).toBeCloseTo(Math.sqrt(1.5), 9);
    expect(gi.get('b')).toBeCloseTo(-6 / Math.sqrt(12.5), 9);
  });

  it('is undefined when every value is equal or a neighbourhood holds every cell', () => {
    expect(
      getisOrdGiStar(
        new Map([
          ['a', 1],
          ['b', 1],
          ['c', 1],
        ]),
        (c) => hood[c]!,
      ).get('b'),
    ).toBeNull();
    expect(
      getisOrdGiStar(
        new Map([
          ['a', 1],
          ['b', 2],
          ['c', 3],
        ]),
        (c) => hood[c]!,
      ).get('b'),
    ).toBeNull();
  });

  it('is positive and largest at the centre of a hot ring-1 cluster on the H3 grid', () => {
    const hot = new Set(gridDisk(CENTRE, 1));
    const cells = gridDisk(CENTRE, 3).map((c) => stats(c, hot.has(c) ? 30 : 10));
    const r = evaluateCells(cells, S, 'tvoc');
    const centre = r.cells.find((c) => c.cell === CENTRE)!;
    expect(centre.giStar).toBeGreaterThan(1.96);
    expect(Math.max(...r.cells.map((c) => c.giStar ?? -Infinity))).toBe(centre.giStar);
  });
});

describe('persistence with hysteresis', () => {
  const W = 3_600_000;
  function run(flags: boolean[]): { transitions: Transition[]; state: PersistenceState } {
    let state = INITIAL_STATE;
    const transitions: Transition[] = [];
    flags.forEach((f, i) => {
      const r = step(state, f, i * W, S);
      transitions.push(r.transition);
      state = r.state;
    });
    return { transitions, state };
  }

  it('opens when high in 2 of the last 3 windows', () => {
    expect(run([true, false, true]).transitions).toEqual(['none', 'none', 'opened']);
    expect(run([true, true]).transitions).toEqual(['none', 'opened']);
    expect(run([true, false, false, true]).transitions).toEqual(['none', 'none', 'none', 'none']);
    expect(run([true]).transitions).toEqual(['none']);
  });

  it('records the window it opened in and keeps it while open', () => {
    const r = run([false, true, true, true, false]);
    expect(r.state.openedWindow).toBe(2 * W);
    expect(r.transitions).toEqual(['none', 'none', 'opened', 'continued', 'continued']);
  });

  it('clears after 3 consecutive windows that are not high-value, not before', () => {
    expect(run([true, true, false, false, false]).transitions).toEqual(['none', 'opened', 'continued', 'continued', 'cleared']);
    expect(run([true, true, false, false, true, false, false]).transitions).toEqual([
      'none',
      'opened',
      'continued',
      'continued',
      'continued',
      'continued',
      'continued',
    ]);
    expect(run([true, true, false, false, false]).state).toMatchObject({ status: 'none', openedWindow: null });
  });

  it('counts windows that were never evaluated as not high-value', () => {
    const open = run([true, true]).state;
    const r = advance(open, 2, false, 4 * W, W, S);
    expect(r.transitions.map((t) => [t.transition, t.window])).toEqual([
      ['continued', 2 * W],
      ['continued', 3 * W],
      ['cleared', 4 * W],
    ]);
    const far = advance(open, 1000, true, 2000 * W, W, S);
    expect(far.transitions.map((t) => t.transition)).toEqual(['continued', 'continued', 'cleared']);
    expect(far.state).toMatchObject({ status: 'none', history: 1 });
  });
});

describe('cell aggregation', () => {
  const base = { unit: 'µg/m³', qa: 'valid', mobile: false, speedKmh: null, gpsFix: null } as const;
  const cell12 = latLngToCell(39.929, 116.339, 12);
  const t0 = Date.UTC(2024, 0, 1);

  it('counts valid fixed readings and usable van readings only, and splits van passes on gaps', () => {
    const rows: GridReading[] = [
      ...[1, 2, 3, 4].map((v, i) => ({ ...base, deviceId: 'f1', time: t0 + i * 60_000, value: v, h3: cell12 })),
      { ...base, deviceId: 'f1', time: t0 + 300_000, value: 999, h3: cell12, qa: 'invalid' },
      // van: 3 usable, one too fast, one without fix, then a 2-minute gap and 2 more
      ...[10, 20, 30].map((v, i) => ({
        ...base,
        deviceId: 'v1',
        time: t0 + i * 1000,
        value: v,
        h3: cell12,
        mobile: true,
        speedKmh: 20,
        gpsFix: '3d',
      })),
      { ...base, deviceId: 'v1', time: t0 + 3000, value: 500, h3: cell12, mobile: true, speedKmh: 45, gpsFix: '3d' },
      { ...base, deviceId: 'v1', time: t0 + 4000, value: 500, h3: cell12, mobile: true, speedKmh: 10, gpsFix: 'none' },
      ...[40, 50].map((v, i) => ({
        ...base,
        deviceId: 'v1',
        time: t0 + 124_000 + i * 1000,
        value: v,
        h3: cell12,
        mobile: true,
        speedKmh: 5,
        gpsFix: 'dgps',
      })),
    ];
    const [c] = aggregateCells(rows, S);
    expect(c).toMatchObject({ n: 9, nFixed: 4, devices: 2, vanPasses: 2, maxPassReadings: 3, max: 50, min: 1 });
    expect(c!.mean).toBeCloseTo((1 + 2 + 3 + 4 + 10 + 20 + 30 + 40 + 50) / 9, 12);
    expect(c!.median).toBe(10);
    // type 7: index (9 − 1) × 0.9 = 7.2 → 40 + 0.2 × (50 − 40)
    expect(c!.p90).toBeCloseTo(42, 12);
  });

  it('refuses to aggregate a MOS index with a concentration', () => {
    const rows: GridReading[] = [
      { ...base, deviceId: 'a', time: t0, value: 1, h3: cell12 },
      { ...base, deviceId: 'b', time: t0, value: 250, h3: cell12, unit: 'index' },
    ];
    expect(() => aggregateCells(rows, S)).toThrow(/different units/);
  });
});
