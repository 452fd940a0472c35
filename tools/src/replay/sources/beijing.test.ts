import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ReplayItem } from '../types.js';
import { beijingItems, COMPASS_16, STANDARD_TO_REFERENCE } from './beijing.js';

const SHARED = fileURLToPath(new URL('../../../../../shared/data/', import.meta.url));
const DEMO = fileURLToPath(new URL('../../../../data/demo/', import.meta.url));
const FULL = existsSync(`${SHARED}beijing-multisite/stations.csv`);

async function collect(it: AsyncIterable<ReplayItem>): Promise<ReplayItem[]> {
  const out: ReplayItem[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Readings lacking each metric (= NA cells of its column). */
function missing(items: readonly ReplayItem[]): Record<string, number> {
  const metrics = ['pm25', 'pm10', 'so2', 'no2', 'co', 'o3', 'temp', 'pressure', 'dew_point', 'rain', 'wind_dir', 'wind_speed'];
  return Object.fromEntries(metrics.map((m) => [m, items.filter((i) => !i.values.some((v) => v.metric === m)).length]));
}

// NA counts per file, from beijing-multisite/SOURCE.md.
const EXPECTED_NA: Record<string, Record<string, number>> = {
  Guanyuan: {
    pm25: 616,
    pm10: 429,
    so2: 474,
    no2: 659,
    co: 1753,
    o3: 1173,
    temp: 20,
    pressure: 20,
    dew_point: 20,
    rain: 20,
    wind_dir: 81,
    wind_speed: 14,
  },
  Wanshouxigong: {
    pm25: 696,
    pm10: 484,
    so2: 669,
    no2: 754,
    co: 1297,
    o3: 1078,
    temp: 19,
    pressure: 19,
    dew_point: 19,
    rain: 19,
    wind_dir: 79,
    wind_speed: 13,
  },
  Dongsi: {
    pm25: 750,
    pm10: 553,
    so2: 663,
    no2: 1601,
    co: 3197,
    o3: 664,
    temp: 20,
    pressure: 20,
    dew_point: 20,
    rain: 20,
    wind_dir: 78,
    wind_speed: 14,
  },
  Tiantan: {
    pm25: 677,
    pm10: 597,
    so2: 1118,
    no2: 744,
    co: 1126,
    o3: 843,
    temp: 20,
    pressure: 20,
    dew_point: 20,
    rain: 20,
    wind_dir: 78,
    wind_speed: 14,
  },
};
const PM25_MAX: Record<string, number> = { Guanyuan: 680, Wanshouxigong: 999, Dongsi: 737, Tiantan: 821 };

describe.skipIf(!FULL)('Beijing multi-site source on the full files', () => {
  for (const station of Object.keys(EXPECTED_NA)) {
    it(`${station}: one reading per hourly row, NA left out (never zero), CST → UTC`, async () => {
      const items = await collect(beijingItems(SHARED, { stations: [station] }));
      expect(items).toHaveLength(35_064);
      expect(missing(items)).toEqual(EXPECTED_NA[station]);
      expect(items[0]!.deviceId).toBe(`bj-${station.toLowerCase()}`);
      expect(items[0]!.ts.toISOString()).toBe('2013-02-28T16:00:00.000Z');
      expect(items.at(-1)!.ts.toISOString()).toBe('2017-02-28T15:00:00.000Z');
      expect(items.every((it, i) => i === 0 || it.ts.getTime() - items[i - 1]!.ts.getTime() === 3_600_000)).toBe(true);
      expect(items.every((it) => it.values.every((v) => typeof v.value === 'number' && Number.isFinite(v.value)))).toBe(true);
      const pm25 = items.flatMap((i) => i.values.filter((v) => v.metric === 'pm25').map((v) => v.value));
      expect(Math.max(...pm25)).toBe(PM25_MAX[station]);
    }, 30_000);
  }

  it('merges the 8 stations in time order', async () => {
    let n = 0;
    let last = -Infinity;
    const devices = new Set<string>();
    let ordered = true;
    for await (const it of beijingItems(SHARED)) {
      if (it.ts.getTime() < last) ordered = false;
      last = it.ts.getTime();
      devices.add(it.deviceId);
      n++;
    }
    expect(ordered).toBe(true);
    expect(devices.size).toBe(8);
    expect(n).toBe(8 * 35_064);
  }, 60_000);
});

describe('Beijing multi-site source (demo slice)', () => {
  it('reads January 2017 (local) of the 8 stations', async () => {
    const items = await collect(beijingItems(DEMO));
    expect(items).toHaveLength(8 * 744);
    expect(items[0]!.ts.toISOString()).toBe('2016-12-31T16:00:00.000Z');
    expect(items.at(-1)!.ts.toISOString()).toBe('2017-01-31T15:00:00.000Z');
    expect(items.every((it) => it.values.every((v) => Number.isFinite(v.value)))).toBe(true);
  });

  it('maps every column with its unit; CO stays in µg/m³; gases move to the reference state', async () => {
    const first = (await collect(beijingItems(DEMO, { stations: ['Guanyuan'] })))[0]!;
    // Line 2 of the slice: 33649,2017,1,1,0,…; compare with the raw cells.
    const byMetric = Object.fromEntries(first.values.map((v) => [v.metric, v]));
    expect(Object.keys(byMetric).sort()).toEqual(
      ['co', 'dew_point', 'no2', 'o3', 'pm10', 'pm25', 'pressure', 'rain', 'so2', 'temp', 'wind_dir', 'wind_speed'].sort(),
    );
    expect(byMetric.pm25).toEqual({ metric: 'pm25', value: expect.any(Number), unit: 'µg/m³' });
    expect(byMetric.co!.unit).toBe('µg/m³');
    expect(byMetric.co!.ref).toBe('reference');
    const raw = (await collect(beijingItems(DEMO, { stations: ['Guanyuan'], gasesToReferenceState: false })))[0]!;
    const rawCo = raw.values.find((v) => v.metric === 'co')!;
    expect(rawCo.ref).toBe('standard');
    expect(byMetric.co!.value).toBeCloseTo(rawCo.value * STANDARD_TO_REFERENCE, 3);
    expect(raw.values.find((v) => v.metric === 'pm25')).toEqual(byMetric.pm25);
  });

  it('turns the 16-point compass into degrees from north', () => {
    expect(COMPASS_16.N).toBe(0);
    expect(COMPASS_16.E).toBe(90);
    expect(COMPASS_16.SSW).toBe(202.5);
    expect(COMPASS_16.NNW).toBe(337.5);
  });
});
