import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gridDisk, latLngToCell } from 'h3-js';
import { h3ToBigint, ReadingRepository } from '@voc/db';
import { buildReading } from '@voc/domain/testing';
import { harness, type Harness } from './testing/harness.js';

/** A report entry as the tests read it. */
interface Entry {
  period: { start: string; end: string };
  streetOffice: { id: string; name: string };
  metric: string;
  unit: string;
  mean: number | null;
  hoursWithData: number;
  exceedanceHours: number | null;
  threshold: { value: number; source: string } | null;
  hotspotsOpened: number;
  tasks: { opened: number; resolved: number; overdue: number; medianHoursToResolve: number | null };
  rank: number;
}

const RUN = `r${Date.now().toString(36)}`;
const A = `${RUN}-a`;
const B = `${RUN}-b`;
const T0 = Date.parse('2026-09-01T00:00:00Z');
const H = 3_600_000;
const square = (lon0: number) => ({
  type: 'Polygon',
  coordinates: [
    [
      [lon0, 39.9],
      [lon0 + 0.01, 39.9],
      [lon0 + 0.01, 39.91],
      [lon0, 39.91],
      [lon0, 39.9],
    ],
  ],
});
const HOME = latLngToCell(39.905, 116.305, 8);
const CELLS = [HOME, ...gridDisk(HOME, 1).filter((c) => c !== HOME)];

let h: Harness;
let analyst: string;
let scoped: string;
const q = `datetime_from=2026-09-01T00:00:00Z&datetime_to=2026-09-01T06:00:00Z&metric=tvoc&street_office=${A},${B}`;

/** Inserts a hotspot and (unless withdrawn) its task; times are ms since epoch. */
async function hotspotWithTask(
  cell: string,
  opened: number,
  o: { office?: string; created?: number; closed?: number; withdrawn?: boolean },
) {
  const hs = await h.admin.query<{ id: number }>(
    `insert into hotspots (metric, resolution, window_minutes, cell, opened_window, state, last_window)
     values ('tvoc', 8, 15, $1, $2, $3, $2) returning id`,
    [h3ToBigint(cell), new Date(opened), o.withdrawn ? 'withdrawn' : 'open'],
  );
  const hid = hs.rows[0]!.id;
  const resolved = o.closed !== undefined;
  const t = await h.admin.query<{ id: number }>(
    `insert into tasks (metric, resolution, window_minutes, cell, hotspot_id, state, finding, opened_window, last_window, lat, lon,
                        cell_polygon, street_office_id, street_office_name, statistics, created_at, closed_at)
     values ('tvoc', 8, 15, $1, $2, $3, $4, $5, $5, 39.905, 116.305, '{}', $6, $6, '{}', $7, $8) returning id`,
    [
      h3ToBigint(cell),
      hid,
      resolved ? 'resolved' : o.withdrawn ? 'dismissed' : 'open',
      resolved ? 'source_found_and_handled' : null,
      new Date(opened),
      o.office ?? A,
      new Date(o.created ?? opened),
      resolved ? new Date(o.closed!) : o.withdrawn ? new Date(opened) : null,
    ],
  );
  await h.admin.query(`update hotspots set task_id = $1 where id = $2`, [t.rows[0]!.id, hid]);
}

beforeAll(async () => {
  h = await harness({ VOC_REPORT_THRESHOLDS: 'tvoc=200', VOC_REPORT_TASK_DUE_HOURS: '72' });
  analyst = await h.key('analyst');
  for (const [id, lon] of [
    [A, 116.3],
    [B, 116.31],
  ] as const)
    await h.admin.query(`insert into jurisdictions (id, name, geometry) values ($1, $2, $3)`, [
      id,
      `Office ${id}`,
      JSON.stringify(square(lon)),
    ]);
  scoped = await h.key('enforcement', { streetOffices: [A] }); // the office must exist
  await h.admin.query(
    `insert into devices (id, kind, lat, lon) values ($1, 'fixed', 39.905, 116.305), ($2, 'fixed', 39.905, 116.315), ($3, 'van', null, null)`,
    [`${A}-d`, `${B}-d`, `${RUN}-van`],
  );
  const msgs = [];
  // Office A: 300 µg/m³ for three hours, then 50 (mean of hourly means 175, 3 h above 200); office B: 100 throughout.
  for (let m = 0; m < 360; m += 10) {
    msgs.push(
      buildReading(`${A}-d`, T0 + m * 60_000, [{ metric: 'tvoc', value: m < 180 ? 300 : 50 }], { h3: latLngToCell(39.905, 116.305, 12) }),
    );
    msgs.push(buildReading(`${B}-d`, T0 + m * 60_000, [{ metric: 'tvoc', value: 100 }], { h3: latLngToCell(39.905, 116.315, 12) }));
  }
  await new ReadingRepository(h.admin).insertBatch(msgs);
  // Office A: one task resolved after 2 h, one still open (overdue by now), one withdrawn hotspot (not counted).
  await hotspotWithTask(CELLS[0]!, T0 + H, { created: T0 + H + 300_000, closed: T0 + 3 * H + 300_000 });
  await hotspotWithTask(CELLS[1]!, T0 + 2 * H, { created: T0 + 2 * H + 300_000 });
  await hotspotWithTask(CELLS[2]!, T0 + 2 * H, { withdrawn: true });
});

afterAll(async () => {
  await h.admin.query(`update hotspots set task_id = null where task_id in (select id from tasks where street_office_id = $1)`, [A]);
  await h.admin
    .query(`delete from hotspots where id in (select hotspot_id from tasks where street_office_id = $1)`, [A])
    .catch(() => undefined);
  await h.admin.query(`delete from tasks where street_office_id = $1`, [A]);
  await h.admin.query(`delete from hotspots where task_id is null and metric = 'tvoc' and opened_window between $1 and $2`, [
    new Date(T0),
    new Date(T0 + 6 * H),
  ]);
  await h.admin.query(`delete from readings where device_id = any($1)`, [[`${A}-d`, `${B}-d`]]);
  await h.admin.query(`delete from devices where id = any($1)`, [[`${A}-d`, `${B}-d`, `${RUN}-van`]]);
  await h.admin.query(`delete from jurisdictions where id = any($1)`, [[A, B]]);
  await h.close();
});

describe('street-office report', () => {
  it('gives mean, exceedance hours with the threshold source, hotspots, tasks and rank per office', async () => {
    const res = await h.app.inject({ url: `/v1/reports/street-offices?${q}`, headers: { 'x-api-key': analyst } });
    expect(res.statusCode, res.body).toBe(200);
    const rows = res.json<{ results: Entry[] }>().results;
    expect(rows.map((r) => [r.streetOffice.id, r.rank])).toEqual([
      [A, 1],
      [B, 2],
    ]);
    const [a, b] = rows as [Entry, Entry];
    expect(a).toMatchObject({
      metric: 'tvoc',
      unit: 'µg/m³',
      mean: 175,
      hoursWithData: 6,
      exceedanceHours: 3,
      threshold: { value: 200, source: 'setting VOC_REPORT_THRESHOLDS' },
      hotspotsOpened: 2,
      tasks: { opened: 3, resolved: 1, overdue: 1, medianHoursToResolve: 2 },
    });
    expect(b).toMatchObject({
      mean: 100,
      hoursWithData: 6,
      exceedanceHours: 0,
      hotspotsOpened: 0,
      tasks: { opened: 0, resolved: 0, overdue: 0 },
    });
    expect(b.tasks.medianHoursToResolve).toBeNull();
  });

  it('splits by day in the report time zone and answers CSV', async () => {
    const day = await h.app.inject({ url: `/v1/reports/street-offices?${q}&period=day`, headers: { 'x-api-key': analyst } });
    const rows = day.json<{ results: Entry[] }>().results;
    // 00:00-06:00 UTC is 08:00-14:00 in Beijing: one calendar day, clipped to the range.
    expect(rows.map((r) => r.period)).toEqual([
      { start: '2026-09-01T00:00:00.000Z', end: '2026-09-01T06:00:00.000Z' },
      { start: '2026-09-01T00:00:00.000Z', end: '2026-09-01T06:00:00.000Z' },
    ]);
    const csv = await h.app.inject({ url: `/v1/reports/street-offices?${q}&format=csv`, headers: { 'x-api-key': analyst } });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    const lines = csv.body.trim().split('\n');
    expect(lines[0]).toMatch(/^period_start,period_end,metric,rank,street_office_id/);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain(`,1,${A},`);
  });

  it('limits a scoped key to its street offices and names bad parameters', async () => {
    const own = await h.app.inject({
      url: `/v1/reports/street-offices?datetime_from=2026-09-01T00:00:00Z&datetime_to=2026-09-01T06:00:00Z&metric=tvoc`,
      headers: { 'x-api-key': scoped },
    });
    expect(own.json<{ results: Entry[] }>().results.map((r) => r.streetOffice.id)).toEqual([A]);
    const other = await h.app.inject({ url: `/v1/reports/street-offices?${q}`, headers: { 'x-api-key': scoped } });
    expect(other.statusCode).toBe(403);
    for (const [param, url] of [
      ['metric', `/v1/reports/street-offices?${q.replace('metric=tvoc', 'metric=nope')}`],
      ['street_office', `/v1/reports/street-offices?${q.replace(`street_office=${A},${B}`, 'street_office=nowhere')}`],
      ['datetime_to', `/v1/reports/street-offices?${q.replace('2026-09-01T06:00:00Z', '2026-12-01T06:00:00Z')}`],
      ['period', `/v1/reports/street-offices?${q}&period=year`],
    ]) {
      const res = await h.app.inject({ url, headers: { 'x-api-key': analyst } });
      expect(res.statusCode, url).toBe(400);
      expect(res.json<{ detail: string }>().detail, url).toContain(param);
    }
  });

  it('shows the readings behind a task: its cell, its windows', async () => {
    const { rows } = await h.admin.query<{ id: number }>(`select id from tasks where street_office_id = $1 and state = 'resolved'`, [A]);
    const res = await h.app.inject({ url: `/v1/tasks/${rows[0]!.id}`, headers: { 'x-api-key': scoped } });
    expect(res.statusCode, res.body).toBe(200);
    const r = res.json<{
      readings: { window: { from: string; to: string }; truncated: boolean; results: { deviceId: string; value: number; time: string }[] };
    }>().readings;
    expect(r.window).toEqual({ from: '2026-09-01T01:00:00.000Z', to: '2026-09-01T01:15:00.000Z' });
    expect(r.truncated).toBe(false);
    expect(r.results.map((x) => [x.deviceId, x.value, x.time])).toEqual([
      [`${A}-d`, 300, '2026-09-01T01:00:00.000Z'],
      [`${A}-d`, 300, '2026-09-01T01:10:00.000Z'],
    ]);
  });
});
