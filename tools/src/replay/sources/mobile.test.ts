import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ReplayItem } from '../types.js';
import { mobileItems, VAN_TRACK_START } from './mobile.js';

const SHARED = fileURLToPath(new URL('../../../../../shared/data/', import.meta.url));
const DEMO = fileURLToPath(new URL('../../../../data/demo/', import.meta.url));
const FULL = existsSync(`${SHARED}mobile/bangalore-mmaqshiny/joined_file.csv`);

async function collect(it: AsyncIterable<ReplayItem>): Promise<ReplayItem[]> {
  const out: ReplayItem[] = [];
  for await (const x of it) out.push(x);
  return out;
}
const values = (items: readonly ReplayItem[], metric: string) =>
  items.flatMap((i) => i.values.filter((v) => v.metric === metric).map((v) => v.value));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

for (const [label, dir, run] of [
  ['full file', SHARED, FULL],
  ['demo copy', DEMO, true],
] as const) {
  describe.skipIf(!run)(`mobile drive source (${label})`, () => {
    it('yields 3,000 one-second readings of van-01, IST → UTC', async () => {
      const items = await collect(mobileItems(dir));
      expect(items).toHaveLength(3000);
      expect(items[0]!.ts.toISOString()).toBe('2019-09-25T04:29:24.000Z'); // 09:59:24 IST, as the GPX's UTC
      expect(items.at(-1)!.ts.toISOString()).toBe('2019-09-25T05:19:23.000Z');
      expect(items.every((it, i) => i === 0 || it.ts.getTime() - items[i - 1]!.ts.getTime() === 1000)).toBe(true);
      expect(items.every((i) => i.deviceId === 'van-01' && i.kind === 'van' && i.gps?.fix === '3d')).toBe(true);
    });

    it('keeps the 120 negative raw black-carbon values', async () => {
      const bc = values(await collect(mobileItems(dir)), 'bc');
      expect(bc).toHaveLength(3000);
      expect(bc.filter((v) => v < 0)).toHaveLength(120);
      expect(Math.min(...bc)).toBe(-33.492);
    });

    it('turns the RH fraction into percent and leaves the 5 missing CO2 out', async () => {
      const items = await collect(mobileItems(dir));
      const rh = values(items, 'rh');
      expect(Math.min(...rh)).toBe(67.9);
      expect(Math.max(...rh)).toBe(71.9);
      expect(values(items, 'co2')).toHaveLength(2995);
      expect(items.every((i) => i.values.every((v) => Number.isFinite(v.value)))).toBe(true);
      const units = Object.fromEntries(items[0]!.values.map((v) => [v.metric, v.unit]));
      expect(units).toEqual({ pm25: 'µg/m³', bc: 'µg/m³', ufp: '#/cm³', co2: 'ppm', rh: '%' });
    });

    it('uses the humidity-corrected, reference-calibrated DustTrak PM2.5', async () => {
      const pm = values(await collect(mobileItems(dir)), 'pm25');
      // First row: raw 197, RHC 134.938002792266 (= RHC_Ref: identity calibration in this export).
      expect(pm[0]).toBe(134.938002792266);
      expect(Math.max(...pm)).toBeLessThan(1070);
    });

    it('translates the track into Xicheng keeping its shape, with plausible speed and heading', async () => {
      const items = await collect(mobileItems(dir));
      const lat = items.map((i) => i.gps!.lat);
      const lon = items.map((i) => i.gps!.lon);
      expect(items[0]!.gps).toMatchObject(VAN_TRACK_START);
      // Extent of the original track: lat 13.00569-13.10778 N, lon 77.62058-77.66903 E (SOURCE.md).
      expect(Math.max(...lat) - Math.min(...lat)).toBeCloseTo(13.107784465 - 13.0056896154, 6);
      expect(Math.max(...lon) - Math.min(...lon)).toBeCloseTo(77.6690268517 - 77.6205807924, 6);
      expect(Math.min(...lat)).toBeGreaterThan(39.86);
      expect(Math.max(...lat)).toBeLessThan(39.98);
      const speeds = items.map((i) => i.gps!.speedKmh!);
      expect(median(speeds)).toBeGreaterThan(5);
      expect(median(speeds)).toBeLessThan(60);
      expect(Math.max(...speeds)).toBeLessThan(120);
      expect(items.every((i) => i.gps!.headingDeg === undefined || (i.gps!.headingDeg >= 0 && i.gps!.headingDeg <= 360))).toBe(true);
      // Standing still (under 0.5 m in a second, e.g. at lights; the one repeated coordinate pair
      // among them) gives speed 0 and no heading.
      const standing = items.filter((i) => i.gps!.speedKmh === 0);
      expect(standing.length).toBeGreaterThan(0);
      expect(standing.every((i) => i.gps!.headingDeg === undefined)).toBe(true);
      const repeated = items.findIndex(
        (it, i) => i > 0 && it.gps!.lat === items[i - 1]!.gps!.lat && it.gps!.lon === items[i - 1]!.gps!.lon,
      );
      expect(items[repeated]!.gps!.speedKmh).toBe(0);
    });
  });
}
