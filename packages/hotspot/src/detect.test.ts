import { gridDisk, latLngToCell } from 'h3-js';
import { describe, expect, it } from 'vitest';
import type { CellStats } from './aggregate.js';
import type { CellHistory } from './detect.js';
import { evaluateCells } from './method.js';
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
const hist = (residual: number, median = 10): CellHistory => ({ residual, residualP90: residual, median, windows: 24, basis: 'recent' });

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
      'suspect',
      'van',
    ]);
  });
});
