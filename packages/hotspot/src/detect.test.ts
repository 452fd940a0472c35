import { gridDisk, latLngToCell } from 'h3-js';
import { describe, expect, it } from 'vitest';
import type { CellStats } from './aggregate.js';
import type { CellHistory } from './detect.js';
import { evaluateCells } from './method.js';
import { pooledDispersion } from './aggregate.js';
import { DEFAULT_METHOD_SETTINGS as S } from './settings.js';

const CENTRE = latLngToCell(39.929, 116.339, 8);
const RING = gridDisk(CENTRE, 2).filter((c) => c !== CENTRE);

function stats(cell: string, median: number, over: Partial<CellStats> = {}): CellStats {
  return {
    cell,
    n: 60,
    nFixed: 60,
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
const district = (centre: number, over: Partial<CellStats> = {}, bg = 10): CellStats[] => [
  stats(CENTRE, centre, over),
  ...RING.map((c, i) => stats(c, bg + ((i % 3) - 1) * 0.1)),
];
const hist = (residual: number, median = 10): CellHistory => ({
  residual,
  residualP90: residual,
  residualMean: residual,
  median,
  windows: 24,
  basis: 'recent',
});

describe('detection tests (docs/hotspots.md)', () => {
  it('opens nothing on an excess below the instrument uncertainty: SO2 2.7 against 1.8 µg/m³', () => {
    // Issue 10: four cells, three equal medians, MAD 0; the fallback scale made z = 3.19.
    const four = [stats(RING[0]!, 1.8), stats(RING[1]!, 1.8), stats(RING[2]!, 1.8), stats(CENTRE, 2.7)];
    const r = evaluateCells(four, S, 'so2');
    expect(r.cells[3]!.robustZ!).toBeGreaterThan(3);
    expect(r.cells[3]!.high).toBe(false);
    expect(r.cells[3]!.tests!.find((t) => t.test === 'excess')).toMatchObject({ value: 0.9, threshold: 3, passed: false });
    // a device stating a finer uncertainty (0.2 µg/m³) is judged against it
    expect(
      evaluateCells(
        four.map((c) => ({ ...c, uncertainty: 0.2 })),
        S,
        'so2',
      ).cells[3]!.high,
    ).toBe(true);
  });

  it('judges a cell against its own history: a sensor that always reads high is no source', () => {
    const cells = district(25);
    expect(evaluateCells(cells, S, 'tvoc').cells[0]!.high).toBe(true);
    const own = new Map([[CENTRE, hist(14.5)]]);
    const r = evaluateCells(cells, S, 'tvoc', undefined, { temporal: own });
    expect(r.cells[0]!.spatialHigh).toBe(true);
    expect(r.cells[0]!.temporalExcess).toBeCloseTo(0.5, 9);
    expect(r.cells[0]!.high).toBe(false);
  });

  it('catches a source on for part of the window by its p90', () => {
    const cells = district(10.1, { p90: 30 });
    const r = evaluateCells(cells, S, 'tvoc');
    expect(r.cells[0]!.reasons).toEqual(['upper']);
    expect(evaluateCells(cells, { ...S, upperQuantile: false }, 'tvoc').cells[0]!.high).toBe(false);
  });

  it('marks a cell that stood out in 20 of the last 24 windows as sensor-suspect, never high-value', () => {
    const cells = district(25);
    const r = evaluateCells(cells, S, 'tvoc', undefined, { spatialHighCount: new Map([[CENTRE, 19]]) });
    expect(r.cells[0]!.suspect).toBe(true);
    expect(r.cells[0]!.high).toBe(false);
    expect(r.district.suspects).toBe(1);
    expect(evaluateCells(cells, S, 'tvoc', undefined, { spatialHighCount: new Map([[CENTRE, 18]]) }).cells[0]!.high).toBe(true);
  });

  it('records a regional window when most cells rose over their own history, and still opens nothing there', () => {
    const cells = district(60, {}, 60);
    const past = new Map(cells.map((c) => [c.cell, hist(0, 10)]));
    const r = evaluateCells(cells, S, 'pm25', undefined, { temporal: past });
    expect(r.district.regional).toBe(true);
    expect(r.district.risingFraction).toBe(1);
    expect(r.cells.some((c) => c.high)).toBe(false);
    expect(evaluateCells(cells, { ...S, thresholds: { pm25: 35 } }, 'pm25', undefined, { temporal: past }).cells.some((c) => c.high)).toBe(
      false,
    );
  });

  it('gives a confidence with its tests on every high-value cell', () => {
    const c = evaluateCells(district(40), S, 'tvoc', undefined, { temporal: new Map([[CENTRE, hist(0)]]) }).cells[0]!;
    expect(c.high).toBe(true);
    // z capped (1) × 0.35 + excess 30 ≥ 3 × 5 (1) × 0.35 + temporal passed × 0.2 + no van pass × 0
    expect(c.confidence).toBe(0.9);
    expect(c.tests!.map((t) => t.test)).toEqual([
      'spatial_z',
      'excess',
      'temporal',
      'upper_z',
      'upper_excess',
      'upper_temporal',
      'mean_z',
      'mean_excess',
      'mean_temporal',
      'suspect',
      'van',
    ]);
  });
});

describe('level-shift test (docs/hotspots.md)', () => {
  // tvoc: stated uncertainty 5 µg/m³; a cell 40 above a district at 10, with its own history at 0.
  const past = (dispersion: number | null) => new Map([[CENTRE, { ...hist(0), dispersion }]]);

  it('holds a cell whose readings all moved by the excess, with no extra dispersion (a calibration step)', () => {
    const c = evaluateCells(district(40, { dispersion: 5.2 }), S, 'tvoc', undefined, { temporal: past(5) }).cells[0]!;
    expect(c.high).toBe(false);
    expect(c.levelShift).toBe(true);
    expect(c.reasons).toEqual([]);
    // extra √(5.2² − 5²) = 1.43 < 0.25 × temporal excess 30 = 7.5
    expect(c.tests!.find((t) => t.test === 'plume_fluctuation')).toMatchObject({ value: 1.4283, threshold: 7.5, passed: false });
  });

  it('keeps a cell whose dispersion rose with its excess (a fluctuating plume)', () => {
    const c = evaluateCells(district(40, { dispersion: 12 }), S, 'tvoc', undefined, { temporal: past(5) }).cells[0]!;
    expect(c.high).toBe(true);
    expect(c.levelShift).toBe(false);
    expect(c.tests!.find((t) => t.test === 'plume_fluctuation')!.passed).toBe(true);
  });

  it('asks a small excess for more than the sampling noise of the dispersion', () => {
    // e = 7: (0.25 × 7)² = 3.06 is below 2 × 5² × √(2 / 58) = 9.285, the noise of a variance from 60 readings.
    const held = evaluateCells(district(17, { dispersion: 5.6 }), S, 'tvoc', undefined, { temporal: past(5) }).cells[0]!;
    expect(held.levelShift).toBe(true);
    expect(held.tests!.find((t) => t.test === 'plume_fluctuation')).toMatchObject({ threshold: 3.0471, passed: false });
    const kept = evaluateCells(district(17, { dispersion: 6.2 }), S, 'tvoc', undefined, { temporal: past(5) }).cells[0]!;
    expect(kept.levelShift).toBe(false);
    expect(kept.high).toBe(true);
  });

  it('takes the stated uncertainty as the usual dispersion without history, and a confirming van pass overrides it', () => {
    const noHist = evaluateCells(district(40, { dispersion: 5 }), S, 'tvoc').cells[0]!;
    expect(noHist.levelShift).toBe(true);
    const van = evaluateCells(district(40, { dispersion: 5, vanMedian: 45, vanPasses: 1 }), S, 'tvoc').cells[0]!;
    expect(van.high).toBe(true);
    expect(van.levelShift).toBe(false);
  });

  it('is off with plumeFluctuation 0 and unknown without a dispersion', () => {
    expect(evaluateCells(district(40, { dispersion: 5 }), { ...S, plumeFluctuation: 0 }, 'tvoc').cells[0]!.high).toBe(true);
    const c = evaluateCells(district(40), S, 'tvoc').cells[0]!;
    expect(c.high).toBe(true);
    expect(c.tests!.some((t) => t.test === 'plume_fluctuation')).toBe(false);
  });

  it('pools the residual variance about each device line, so offsets and trends between devices do not count', () => {
    const rows = [
      ...[0, 1, 2, 3].map((i) => ({ deviceId: 'a', time: i * 60_000, value: 10 + i * 2 + (i % 2 ? 1 : -1) })),
      ...[0, 1, 2, 3].map((i) => ({ deviceId: 'b', time: i * 60_000, value: 500 + (i % 2 ? 1 : -1) })),
    ];
    // Each device: syy 32 (a) and 4 (b) less sxy²/sxx = 720²/18000 and 120²/18000 → RSS 3.2 + 3.2, over 2 + 2 dof.
    expect(pooledDispersion(rows)).toBeCloseTo(Math.sqrt(6.4 / 4), 10);
    expect(pooledDispersion(rows.slice(0, 2))).toBeNull();
  });
});

describe('mean test (docs/hotspots.md)', () => {
  it('catches a plume that arrives in spikes by the mean, when the median and p90 stay at the background', () => {
    // 60 readings at 10 with 5 spikes of 130: mean 20, median and p90 10; spikes make the dispersion large.
    const cells = district(10, { mean: 20, max: 130, dispersion: 33 });
    const c = evaluateCells(cells, S, 'tvoc').cells[0]!;
    expect(c.reasons).toEqual(['mean']);
    expect(c.excessMean).toBeCloseTo(10, 1);
    expect(c.levelShift).toBe(false);
    expect(evaluateCells(cells, { ...S, meanTest: false }, 'tvoc').cells[0]!.high).toBe(false);
  });
});

describe('mean test on van-only cells', () => {
  it('does not run: a van pass mixes positions and times', () => {
    const c = evaluateCells(district(10, { mean: 20, nFixed: 0, maxPassReadings: 60, vanPasses: 1 }), S, 'tvoc').cells[0]!;
    expect(c.reasons).toEqual([]);
    expect(c.tests!.some((t) => t.test === 'mean_z')).toBe(false);
  });
});

describe('level-shift test and the reading spacing', () => {
  it('does not run on hourly averages: 6 readings of one device in a 6-hour window', () => {
    const hourly = { ...S, windowMinutes: 360 };
    const c = evaluateCells(district(40, { n: 6, nFixed: 6, dispersion: 5 }), hourly, 'tvoc').cells[0]!;
    expect(c.high).toBe(true);
    expect(c.levelShift).toBe(false);
    expect(c.tests!.some((t) => t.test === 'plume_fluctuation')).toBe(false);
  });
});
