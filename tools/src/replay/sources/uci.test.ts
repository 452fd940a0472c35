import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ReplayItem } from '../types.js';
import { UCI_DEFAULT_TIME_ZONE, uciItems, type UciStats } from './uci.js';

const SHARED = fileURLToPath(new URL('../../../../../shared/data/', import.meta.url));
const DEMO = fileURLToPath(new URL('../../../../data/demo/', import.meta.url));
const FULL = existsSync(`${SHARED}uci-air-quality/AirQualityUCI.csv`);

async function collect(it: AsyncIterable<ReplayItem>): Promise<ReplayItem[]> {
  const out: ReplayItem[] = [];
  for await (const x of it) out.push(x);
  return out;
}
const present = (items: readonly ReplayItem[], metric: string) => items.filter((i) => i.values.some((v) => v.metric === metric)).length;
const find = (items: readonly ReplayItem[], iso: string) => items.find((i) => i.ts.toISOString() === iso);

describe.skipIf(!FULL)('UCI Air Quality source on the full file', () => {
  it('reads 9,357 records, skips the 114 trailing empty ones, leaves -200 out', async () => {
    const stats: UciStats = { records: 0, emptyRecords: 0, recordsWithoutValues: 0 };
    const items = await collect(uciItems(SHARED, {}, stats));
    expect(stats).toEqual({ records: 9357, emptyRecords: 114, recordsWithoutValues: 31 });
    expect(items).toHaveLength(9357 - 31);
    // 9,357 records minus the -200 counts of uci-air-quality/SOURCE.md. CO(GT) has 1,592 cells
    // written `-200` and 91 more written `-200,0` (SOURCE.md counts only the first spelling).
    expect(present(items, 'co')).toBe(9357 - 1592 - 91);
    expect(present(items, 'nmhc')).toBe(9357 - 8443);
    expect(present(items, 'nox')).toBe(9357 - 1639);
    expect(present(items, 'no2')).toBe(9357 - 1642);
    for (const m of ['voc_index', 'benzene', 'temp', 'rh']) expect(present(items, m)).toBe(9357 - 366);
    expect(items.every((i) => i.values.every((v) => Number.isFinite(v.value) && v.value !== -200))).toBe(true);
    // Real negative temperatures (13 cells, e.g. -1.9 °C) are values, not missing.
    expect(items.flatMap((i) => i.values.filter((v) => v.metric === 'temp' && v.value < 0))).toHaveLength(13);
    expect(items.every((i) => i.deviceId === 'uci-mos-01' && i.kind === 'fixed')).toBe(true);
  });

  it('reads the file as UTC+1 all year by default: its clock has no daylight-saving change', async () => {
    const text = readFileSync(`${SHARED}uci-air-quality/AirQualityUCI.csv`, 'latin1');
    // The spring-forward night has a 02:00 row (a time that did not exist in Italy) and the
    // fall-back day has 24 rows, not 25: the logger never changed its clock.
    expect(text).toContain('\r\n28/03/2004;02.00.00;');
    expect(text.split('\r\n').filter((l) => l.startsWith('31/10/2004;'))).toHaveLength(24);
    const items = await collect(uciItems(SHARED));
    expect(UCI_DEFAULT_TIME_ZONE).toBe('+01:00');
    expect(items[0]!.ts.toISOString()).toBe('2004-03-10T17:00:00.000Z');
    expect(items.at(-1)!.ts.toISOString()).toBe('2005-04-04T13:00:00.000Z');
    // Strictly increasing whole hours, no two records on one instant.
    expect(items.every((it, i) => it.ts.getTime() % 3_600_000 === 0 && (i === 0 || it.ts > items[i - 1]!.ts))).toBe(true);
    // A summer and a winter row: 15/07/2004 12.00.00 and 15/01/2005 12.00.00 local.
    expect(find(items, '2004-07-15T11:00:00.000Z')).toBeDefined();
    expect(find(items, '2005-01-15T11:00:00.000Z')).toBeDefined();
  });

  it('can read the file as Europe/Rome (DST), where the spring 02:00 and 03:00 rows collide', async () => {
    const items = await collect(uciItems(SHARED, { timeZone: 'Europe/Rome' }));
    expect(find(items, '2004-07-15T10:00:00.000Z')).toBeDefined(); // 12:00 CEST
    expect(find(items, '2005-01-15T11:00:00.000Z')).toBeDefined(); // 12:00 CET
    const spring = items.filter((i) => i.ts.toISOString() === '2004-03-28T01:00:00.000Z');
    expect(spring).toHaveLength(2);
  });
});

describe('UCI Air Quality source (demo slice)', () => {
  it('reads April 2004 with decimal commas and the documented units', async () => {
    const items = await collect(uciItems(DEMO));
    expect(items).toHaveLength(720);
    expect(items[0]!.ts.toISOString()).toBe('2004-03-31T23:00:00.000Z'); // 01/04/2004 00.00.00 at UTC+1
    // 01/04/2004;00.00.00;1,6;1143;106;6,3;825;96;986;86;1477;978;12,0;61,6;0,8593;;
    expect(items[0]!.values).toEqual([
      { metric: 'voc_index', value: 825, unit: 'index' },
      { metric: 'nmhc', value: 106, unit: 'µg/m³', ref: 'reference' },
      { metric: 'benzene', value: 6.3, unit: 'µg/m³', ref: 'reference' },
      { metric: 'co', value: 1.6, unit: 'mg/m³', ref: 'reference' },
      { metric: 'nox', value: 96, unit: 'ppb' },
      { metric: 'no2', value: 86, unit: 'µg/m³', ref: 'reference' },
      { metric: 'temp', value: 12, unit: '°C' },
      { metric: 'rh', value: 61.6, unit: '%' },
    ]);
    expect(items.every((i) => i.values.every((v) => v.value !== -200))).toBe(true);
  });
});
