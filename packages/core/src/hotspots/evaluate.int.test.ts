import { randomUUID } from 'node:crypto';
import { cellToLatLng, latLngToCell } from 'h3-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, loadConfig } from '@voc/config';
import { bigintToH3, createPool, DeviceRepository, ReadingRepository, type Pool } from '@voc/db';
import { alertSchema, type ReadingMessage } from '@voc/domain';
import { buildReading } from '@voc/domain/testing';
import {
  aggregateCells,
  cellCentre,
  DEFAULT_METHOD_SETTINGS,
  DEFAULT_TRACE_SETTINGS,
  type GridReading,
  type MethodSettings,
} from '@voc/hotspot';
import { EvaluationRepository, FacilityRepository, JurisdictionRepository, ScheduleRepository, TaskRepository } from '@voc/db';
import { deleteHotspotRows } from '@voc/db/testing';
import { getTask, listTasks, transitionTask } from '../tasks/service.js';
import { centreCell12, diskCells, fixedReading, vanReading } from '../testing/fixtures.js';
import { evaluateWindow } from './evaluate.js';
import type { EvaluationDeps } from './ports.js';

// Known-answer tests of the hotspot evaluation against the real PostgreSQL (db voc_test). Each test
// owns a device-id prefix and a ten-day range in 2031 that no other test uses, and deletes its rows.

const cfg = loadConfig();
const log = createLogger('hotspot-test', cfg.logLevel);
const H = 3_600_000;
const CENTRE = latLngToCell(39.929, 116.339, 8); // Guanyuan station, Xicheng (stations.csv)
const CELLS = diskCells(CENTRE, 2); // 19 cells: the centre and two rings
let pool: Pool;
let readings: ReadingRepository;
let devices: DeviceRepository;
let testNo = 0;
let base = 0;
let prefix = '';

beforeAll(() => {
  pool = createPool(cfg.pg, log, 'voc-hotspot-test');
  readings = new ReadingRepository(pool);
  devices = new DeviceRepository(pool);
});

afterAll(async () => {
  await pool?.end();
});

/** A fresh range and prefix for each test. */
function begin(): void {
  testNo += 1;
  base = Date.UTC(2031, 0, 1) + testNo * 10 * 24 * H;
  prefix = `t${randomUUID().slice(0, 8)}-`;
}

afterEach(async () => {
  await deleteHotspotRows(pool, base - 24 * H, base + 10 * 24 * H);
  await pool.query(`delete from readings where device_id like $1`, [`${prefix}%`]);
  await pool.query(`delete from sensor_checks where device_id like $1`, [`${prefix}%`]);
  await pool.query(`delete from devices where id like $1`, [`${prefix}%`]);
  await pool.query(`delete from facilities where id like $1`, [`${prefix}%`]);
  await pool.query(`delete from jurisdictions where id like $1`, [`${prefix}%`]);
});

/**
 * The readings below plant a steady excess (every centre reading moved by the same amount), which the
 * level-shift test takes for a sensor offset; these tests are about persistence and the hotspot
 * lifecycle, so they run without it (plumeFluctuation 0) unless a test asks for it.
 */
function deps(over: Partial<MethodSettings> = {}, marginMs = 0): EvaluationDeps {
  return {
    store: new EvaluationRepository(pool),
    method: { ...DEFAULT_METHOD_SETTINGS, plumeFluctuation: 0, ...over },
    trace: DEFAULT_TRACE_SETTINGS,
    watermarkMarginMs: marginMs,
    log,
  };
}

const dev = (i: number) => `${prefix}f${String(i).padStart(2, '0')}`;

/** Registers one fixed device at the centre of each of the 19 cells. */
async function registerGrid(): Promise<void> {
  await devices.upsert(CELLS.map((c, i) => ({ id: dev(i), kind: 'fixed' as const, lat: cellToLatLng(c)[0], lon: cellToLatLng(c)[1] })));
}

/**
 * Twelve pm25 readings (every 5 min) per device in window `w` (an index from `base`): background
 * cells 9, 10 or 11 µg/m³; the centre cell `centre` (null: the centre device sends nothing).
 * @param centreCount readings of the centre device (default 12)
 */
function windowReadings(w: number, centre: number | null, centreCount = 12): ReadingMessage[] {
  const out: ReadingMessage[] = [];
  CELLS.forEach((c, i) => {
    const n = i === 0 ? (centre === null ? 0 : centreCount) : 12;
    for (let k = 0; k < n; k += 1) {
      const v = i === 0 ? centre! + (k % 3) * 0.5 : 10 + ((i % 3) - 1) + (k % 3) * 0.1;
      out.push(fixedReading(dev(i), centreCell12(c), base + w * H + k * 300_000, 'pm25', v));
    }
  });
  return out;
}

async function evaluate(w: number, d = deps(), trigger: 'backfill' | 'late_data' | 'manual' = 'manual') {
  return evaluateWindow(d, { metric: 'pm25', windowStart: base + w * H, jobId: null, trigger });
}

async function hotspots() {
  const { rows } = await pool.query<{
    id: number;
    cell: string;
    opened_window: Date;
    cleared_window: Date | null;
    state: string;
    task_id: number | null;
  }>(
    `select id, cell::text as cell, opened_window, cleared_window, state, task_id from hotspots where metric = 'pm25' and opened_window >= $1 and opened_window < $2 order by id`,
    [new Date(base).toISOString(), new Date(base + 10 * 24 * H).toISOString()],
  );
  return rows.map((r) => ({ ...r, cell: bigintToH3(r.cell) }));
}

async function outbox(): Promise<{ type: string; alertId: string }[]> {
  const { rows } = await pool.query<{ payload: unknown }>(
    `select payload from alert_outbox where (payload->>'windowStart')::timestamptz >= $1 and (payload->>'windowStart')::timestamptz < $2 order by id`,
    [new Date(base).toISOString(), new Date(base + 10 * 24 * H).toISOString()],
  );
  return rows.map((r) => alertSchema.parse(r.payload));
}

describe('hotspot evaluation (DOMAIN.md §6) on PostgreSQL', () => {
  it('opens exactly one hotspot and one task for one elevated cell, with polygon, statistics, devices, peaks, wind, street office and ranked candidates', async () => {
    begin();
    await registerGrid();
    const [clat, clon] = cellToLatLng(CENTRE);
    // A weather device one cell east reporting a north wind (from 0°, 3 m/s).
    await devices.upsert([{ id: `${prefix}wx`, kind: 'fixed', lat: clat, lon: clon + 0.01 }]);
    const wx = latLngToCell(clat, clon + 0.01, 12);
    const wind: ReadingMessage[] = [];
    for (let k = 0; k < 24; k += 1) {
      const values = [
        { metric: 'wind_dir', value: 0, raw: { value: 0, unit: 'deg' } },
        { metric: 'wind_speed', value: 3 },
      ] as const;
      wind.push(buildReading(`${prefix}wx`, base + k * 300_000, values, { h3: wx }));
    }
    await readings.insertBatch(wind);
    await new FacilityRepository(pool).upsertFacilities([
      // Both restaurants: since issue 10 the facility type counts for the metric (PM2.5: a restaurant 0.8,
      // an auto repair shop 0.2), so with one category the wind alone decides, as this test intends.
      { id: `${prefix}north`, category: 'restaurant', name: 'Upwind kitchen', lat: clat + 0.003, lon: clon, fumeDeviceIds: [] },
      {
        id: `${prefix}south`,
        category: 'restaurant',
        name: 'Downwind kitchen',
        lat: clat - 0.002,
        lon: clon,
        fumeDeviceIds: [`${prefix}fume1`],
      },
    ]);
    await new JurisdictionRepository(pool).upsertJurisdictions([
      {
        id: `${prefix}office`,
        name: 'Test street office',
        properties: {},
        geometry: {
          type: 'Polygon',
          coordinates: [
            [
              [clon - 0.05, clat - 0.05],
              [clon + 0.05, clat - 0.05],
              [clon + 0.05, clat + 0.05],
              [clon - 0.05, clat + 0.05],
              [clon - 0.05, clat - 0.05],
            ],
          ],
        },
      },
    ]);
    await readings.insertBatch([...windowReadings(0, 40), ...windowReadings(1, 41)]);

    const w0 = await evaluate(0);
    expect(w0.district).toMatchObject({ cells: 19, eligible: 19, high: 1, baseline: expect.closeTo(10.1, 6) });
    expect(w0.opened).toEqual([]);
    const w1 = await evaluate(1);
    expect(w1.opened).toHaveLength(1);
    expect(w1.opened[0]).toMatchObject({ cell: CENTRE, openedWindow: base + H });
    expect(w1.tasksOpened).toHaveLength(1);

    const hs = await hotspots();
    expect(hs).toHaveLength(1);
    expect(hs[0]).toMatchObject({ cell: CENTRE, state: 'open', task_id: w1.tasksOpened[0] });
    const tasks = await listTasks(new TaskRepository(pool), { metric: 'pm25', states: ['open'] });
    const mine = tasks.filter((t) => t.id === w1.tasksOpened[0]);
    expect(mine).toHaveLength(1);

    const task = await getTask(new TaskRepository(pool), w1.tasksOpened[0]!);
    expect(task).toMatchObject({ state: 'open', cell: CENTRE, streetOffice: { id: `${prefix}office`, name: 'Test street office' } });
    expect(task.lat).toBeCloseTo(cellCentre(CENTRE).lat, 9);
    expect((task.cellPolygon as { type: string; coordinates: number[][][] }).type).toBe('Polygon');
    expect((task.cellPolygon as { coordinates: number[][][] }).coordinates[0]).toHaveLength(7);
    expect(task.statistics).toMatchObject({
      n: 12,
      devices: 1,
      median: 41.5,
      ratio: expect.any(Number),
      robustZ: expect.any(Number),
      // the p90 stands out with the median (upper-quantile test, issue 10), and the task states its confidence
      reasons: ['relative', 'upper', 'mean'],
      excess: expect.any(Number),
      confidence: expect.any(Number),
    });
    expect((task.topDevices as { deviceId: string }[])[0]!.deviceId).toBe(dev(0));
    expect((task.peakReadings as { value: number; lat: number }[])[0]).toMatchObject({ value: 42, lat: expect.closeTo(clat, 6) });
    expect(task.wind).toMatchObject({ deviceId: `${prefix}wx`, dirDeg: expect.closeTo(0, 6), speedMs: 3 });
    // Scored candidates (issue 10): the upwind facility is fully upwind of the highest reading, the
    // downwind one not at all; each score is explained.
    const candidates = task.candidates as { facilityId: string; plumeScore: number; explanation: string }[];
    expect(candidates.map((c) => c.facilityId)).toEqual([`${prefix}north`, `${prefix}south`]);
    expect(candidates[0]!.plumeScore).toBeCloseTo(1, 3);
    expect(candidates[1]!.plumeScore).toBeLessThan(0.01);
    expect(candidates[0]!.explanation).toContain('upwind in 100 %');
    expect(task.evidence.map((e) => [e.role, e.windowStart])).toEqual([
      ['lead_in', new Date(base).toISOString()],
      ['opened', new Date(base + H).toISOString()],
    ]);
    expect(task.events.map((e) => e.kind)).toEqual(['opened']);
    expect((await outbox()).map((a) => a.type)).toEqual(['hotspot_opened', 'task_opened']);
  });

  it('opens a hotspot when the cell is high-value in 2 of the last 3 windows, not in 1 of 3', async () => {
    begin();
    await registerGrid();
    // high, clean, clean, high: never 2 of 3
    await readings.insertBatch([...windowReadings(0, 40), ...windowReadings(1, 10), ...windowReadings(2, 10), ...windowReadings(3, 40)]);
    for (let w = 0; w < 4; w += 1) await evaluate(w);
    expect(await hotspots()).toEqual([]);
    // then clean, high: windows 3, 4, 5 = high, clean, high → opens in window 5
    await readings.insertBatch([...windowReadings(4, 10), ...windowReadings(5, 40)]);
    expect((await evaluate(4)).opened).toEqual([]);
    const w5 = await evaluate(5);
    expect(w5.opened.map((o) => [o.cell, o.openedWindow])).toEqual([[CENTRE, base + 5 * H]]);
    expect(await hotspots()).toHaveLength(1);
  });

  it('takes a steady excess without plume fluctuations for a sensor offset: no hotspot, a check-sensor task in 2 of 3 windows', async () => {
    begin();
    await registerGrid();
    await readings.insertBatch([0, 1, 2].flatMap((w) => windowReadings(w, 40)));
    const d = deps({ plumeFluctuation: DEFAULT_METHOD_SETTINGS.plumeFluctuation });
    const checks: number[][] = [];
    for (let w = 0; w < 3; w += 1) checks.push((await evaluate(w, d)).sensorChecksOpened ?? []);
    expect(await hotspots()).toEqual([]);
    expect(checks[0]).toEqual([]);
    expect(checks[1]).toHaveLength(1);
    expect(checks[2]).toEqual([]); // the open check is extended, not duplicated
    const { rows } = await pool.query<{ device_id: string; reason: string; last_window: Date }>(
      `select device_id, reason, last_window from sensor_checks where id = $1`,
      [checks[1]![0]],
    );
    expect(rows[0]).toMatchObject({ device_id: dev(0), reason: 'level_shift', last_window: new Date(base + 2 * H) });
    const stats = await pool.query<{ level_shift: boolean; high: boolean; dispersion: number }>(
      `select level_shift, high, dispersion from hotspot_cell_stats where metric = 'pm25' and window_start = $1 and cell = $2::bigint`,
      [new Date(base).toISOString(), BigInt('0x' + CENTRE).toString()],
    );
    expect(stats.rows[0]).toMatchObject({ level_shift: true, high: false });
    expect(stats.rows[0]!.dispersion).toBeLessThan(1);
  });

  it('clears after 3 consecutive clean windows, and notes it on the task that stays open', async () => {
    begin();
    await registerGrid();
    const values = [40, 40, 10, 10, 40, 10, 10, 10];
    await readings.insertBatch(values.flatMap((v, w) => windowReadings(w, v)));
    const cleared: number[] = [];
    for (let w = 0; w < values.length; w += 1) cleared.push((await evaluate(w)).cleared.length);
    // opened in window 1; windows 2-3 clean, 4 high again (streak reset), 5-7 clean → cleared in 7
    expect(cleared).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    const [h] = await hotspots();
    expect(h).toMatchObject({ state: 'cleared', opened_window: new Date(base + H), cleared_window: new Date(base + 7 * H) });
    const task = await getTask(new TaskRepository(pool), h!.task_id!);
    expect(task.state).toBe('open');
    expect(task.events.map((e) => e.kind)).toEqual([
      'opened',
      'evidence',
      'evidence',
      'evidence',
      'evidence',
      'evidence',
      'hotspot_cleared',
    ]);
    expect(task.events.at(-1)!.windowStart).toBe(new Date(base + 7 * H).toISOString());
    expect((await outbox()).map((a) => a.type)).toEqual(['hotspot_opened', 'task_opened', 'hotspot_cleared']);
  });

  it('never flags an ineligible cell, however high', async () => {
    begin();
    await registerGrid();
    // 5 readings per window in the centre cell (< 6), at 100× the background, for 4 windows
    await readings.insertBatch([0, 1, 2, 3].flatMap((w) => windowReadings(w, 1000, 5)));
    for (let w = 0; w < 4; w += 1) {
      const o = await evaluate(w);
      expect(o.district).toMatchObject({ cells: 19, eligible: 18, high: 0 });
    }
    expect(await hotspots()).toEqual([]);
    const { rows } = await pool.query(
      `select eligible, high, robust_z from hotspot_cell_stats where metric = 'pm25' and window_start = $1 and cell = $2::int8`,
      [new Date(base).toISOString(), BigInt(`0x${CENTRE}`).toString()],
    );
    expect(rows).toEqual([{ eligible: false, high: false, robust_z: null }]);
  });

  it('opens nothing new when the same window is evaluated again', async () => {
    begin();
    await registerGrid();
    await readings.insertBatch([...windowReadings(0, 40), ...windowReadings(1, 40)]);
    await evaluate(0);
    const first = await evaluate(1);
    expect(first.opened).toHaveLength(1);
    const before = { hotspots: await hotspots(), alerts: await outbox() };
    const again = await evaluate(1);
    expect(again.opened).toEqual([]);
    expect(again.tasksOpened).toEqual([]);
    expect(await evaluate(0)).toMatchObject({ opened: [], cleared: [], withdrawn: [] });
    expect(await hotspots()).toEqual(before.hotspots);
    expect(await outbox()).toEqual(before.alerts);
    const { rows } = await pool.query<{ version: number }>(
      `select version from hotspot_evaluations where metric = 'pm25' and window_start = $1`,
      [new Date(base + H).toISOString()],
    );
    expect(rows[0]!.version).toBe(2);
  });

  it('skips a job id that already committed', async () => {
    begin();
    await registerGrid();
    await readings.insertBatch(windowReadings(0, 40));
    const jobId = `eval/pm25/8/${prefix}`;
    const a = await evaluateWindow(deps(), { metric: 'pm25', windowStart: base, jobId, trigger: 'schedule' });
    const b = await evaluateWindow(deps(), { metric: 'pm25', windowStart: base, jobId, trigger: 'schedule' });
    expect([a.skipped, b.skipped]).toEqual([false, true]);
  });

  it('re-evaluates a closed window when late readings arrive, and opens the hotspot they reveal', async () => {
    begin();
    await registerGrid();
    // window 0 high; window 1 without the centre device; window 2 clean → no hotspot
    await readings.insertBatch([...windowReadings(0, 40), ...windowReadings(1, null), ...windowReadings(2, 10)]);
    for (let w = 0; w < 3; w += 1) await evaluate(w);
    expect(await hotspots()).toEqual([]);
    const schedule = new ScheduleRepository(pool);
    const series = { metric: 'pm25', resolution: 8, windowMinutes: 60 };
    const scanFrom = await schedule.now();
    expect(await schedule.lateWindows(series, base, base + 3 * H, scanFrom - 1000)).toEqual([]);
    // the centre device's readings of window 1 arrive late, elevated
    await readings.insertBatch(windowReadings(1, 40).filter((r) => r.deviceId === dev(0)));
    expect(await schedule.lateWindows(series, base, base + 3 * H, scanFrom - 1000)).toEqual([{ window: base + H, version: 1 }]);
    const re = await evaluate(1, deps(), 'late_data');
    expect(re.opened.map((o) => [o.cell, o.openedWindow])).toEqual([[CENTRE, base + H]]);
    expect(re.windowsWritten).toBe(2); // window 1 and the later window 2, where the hotspot continues
    const [h] = await hotspots();
    expect(h).toMatchObject({ state: 'open', opened_window: new Date(base + H) });
    expect(await schedule.lateWindows(series, base, base + 3 * H, scanFrom - 1000)).toEqual([]);
  });

  it('withdraws a hotspot a re-evaluation no longer supports, keeping one task for the cell', async () => {
    begin();
    await registerGrid();
    // high, (centre missing), high → opens in window 2
    await readings.insertBatch([...windowReadings(0, 40), ...windowReadings(1, null), ...windowReadings(2, 40)]);
    for (let w = 0; w < 3; w += 1) await evaluate(w);
    const [late] = await hotspots();
    expect(late).toMatchObject({ opened_window: new Date(base + 2 * H), state: 'open' });
    // late readings make window 1 high: the hotspot opened in window 1 instead
    await readings.insertBatch(windowReadings(1, 40).filter((r) => r.deviceId === dev(0)));
    const re = await evaluate(1, deps(), 'late_data');
    expect(re.opened.map((o) => o.openedWindow)).toEqual([base + H]);
    expect(re.withdrawn.map((o) => o.openedWindow)).toEqual([base + 2 * H]);
    const hs = await hotspots();
    expect(hs.map((h) => [h.opened_window.getTime(), h.state])).toEqual([
      [base + 2 * H, 'withdrawn'],
      [base + H, 'open'],
    ]);
    expect(hs[1]!.task_id).toBe(hs[0]!.task_id);
    const task = await getTask(new TaskRepository(pool), hs[0]!.task_id!);
    expect(task.events.map((e) => e.kind)).toEqual(['opened', 'hotspot_joined', 'hotspot_withdrawn', 'evidence']);
    expect((await outbox()).map((a) => a.type)).toEqual(['hotspot_opened', 'task_opened', 'hotspot_opened', 'hotspot_withdrawn']);
  });

  it('keeps the rollup equal to a recomputation from raw rows after late readings arrive, vans included', async () => {
    begin();
    await registerGrid();
    const [clat, clon] = cellToLatLng(CENTRE);
    // a van crossing the centre cell: 20 s at 20 km/h, 5 s at 50 km/h (not usable), 10 s without fix, a 2-min gap, 15 s more
    const van: ReadingMessage[] = [];
    const vanId = `${prefix}van`;
    for (let k = 0; k < 50; k += 1) {
      const t = base + 600_000 + (k < 35 ? k * 1000 : 120_000 + k * 1000);
      const speed = k >= 20 && k < 25 ? 50 : 20;
      const fix = k >= 25 && k < 35 ? 'none' : '3d';
      van.push(vanReading(vanId, clat + k * 0.00002, clon, t, 'pm25', 30 + (k % 7), speed, fix));
    }
    await readings.insertBatch([...windowReadings(0, 20), ...van]);
    await evaluate(0);
    // late: more readings of the background devices and of the van inside the window
    const late = windowReadings(0, 20).map((r) => ({
      ...r,
      time: new Date(Date.parse(r.time) + 150_000).toISOString(),
      values: r.values.map((v) => ({ ...v, value: v.value + 1 })),
    }));
    await readings.insertBatch([...late, vanReading(vanId, clat, clon, base + 3_000_000, 'pm25', 99, 10, 'dgps')]);
    // this time with the rollup split over two connections sharing the evaluation's snapshot
    await evaluate(0, { ...deps(), store: new EvaluationRepository(pool, { connections: 2, workMem: '64MB' }) }, 'late_data');

    const raw = await pool.query<{
      device_id: string;
      time: Date;
      value: number;
      unit: string;
      qa: string;
      h3: string;
      lat: number | null;
      speed_kmh: number | null;
      gps_fix: string | null;
    }>(
      `select device_id, time, value, unit, qa, h3::text as h3, lat, speed_kmh, gps_fix from readings where metric = 'pm25' and device_id like $1 and time >= $2 and time < $3`,
      [`${prefix}%`, new Date(base).toISOString(), new Date(base + H).toISOString()],
    );
    const rows: GridReading[] = raw.rows.map((r) => ({
      deviceId: r.device_id,
      time: r.time.getTime(),
      value: r.value,
      unit: r.unit,
      qa: r.qa,
      h3: bigintToH3(r.h3),
      mobile: r.lat !== null,
      speedKmh: r.speed_kmh,
      gpsFix: r.gps_fix,
    }));
    const expected = aggregateCells(rows, DEFAULT_METHOD_SETTINGS);
    const stored = await pool.query<{
      cell: string;
      n: number;
      n_fixed: number;
      devices: number;
      van_passes: number;
      max_pass_n: number;
      mean: number;
      median: number;
      p90: number;
      max: number;
      min: number;
      dispersion: number | null;
    }>(
      `select cell::text as cell, n, n_fixed, devices, van_passes, max_pass_n, mean, median, p90, max, min, dispersion from hotspot_cell_stats where metric = 'pm25' and window_start = $1 order by cell`,
      [new Date(base).toISOString()],
    );
    const got = stored.rows.map((r) => ({ ...r, cell: bigintToH3(r.cell) })).sort((a, b) => (a.cell < b.cell ? -1 : 1));
    expect(got).toHaveLength(expected.length);
    expected.forEach((e, i) => {
      const g = got[i]!;
      expect(g).toMatchObject({
        cell: e.cell,
        n: e.n,
        n_fixed: e.nFixed,
        devices: e.devices,
        van_passes: e.vanPasses,
        max_pass_n: e.maxPassReadings,
      });
      for (const k of ['mean', 'median', 'p90', 'max', 'min'] as const) expect(g[k]).toBeCloseTo(e[k], 9);
      // Within-window dispersion (pooled residual s.d. about each fixed device's line), same in SQL and TS.
      if (e.dispersion === null || e.dispersion === undefined) expect(g.dispersion).toBeNull();
      else expect(g.dispersion!).toBeCloseTo(e.dispersion, 6);
    });
    expect(expected.some((e) => typeof e.dispersion === 'number')).toBe(true);
    const centre = expected.find((e) => e.cell === CENTRE)!;
    // 12 + 12 fixed; van: 20 usable, 15 after a 2-min gap, 1 late 40 min later = 3 passes, longest 20
    expect(centre).toMatchObject({ nFixed: 24, vanPasses: 3, maxPassReadings: 20, devices: 2 });
  });

  it('never mixes a MOS index with concentrations', async () => {
    begin();
    await registerGrid();
    const idx = windowReadings(0, 20).map((r) => ({
      ...r,
      values: [
        { metric: 'voc_index', value: 250, unit: 'index', rawValue: 250, rawUnit: '', refState: 'none' as const, qa: 'valid' as const },
      ],
    }));
    const tvoc = windowReadings(0, 20).map((r) => ({
      ...r,
      values: r.values.map((v) => ({ ...v, metric: 'tvoc', refState: 'reference' as const })),
    }));
    // a stray row of tvoc in another unit is never aggregated with the canonical ones
    const stray = {
      ...tvoc[0]!,
      time: new Date(base + 3_500_000).toISOString(),
      values: [{ ...tvoc[0]!.values[0]!, unit: 'ppb', value: 5000 }],
    };
    await readings.insertBatch([...idx, ...tvoc, stray]);
    const a = await evaluateWindow(deps(), { metric: 'tvoc', windowStart: base, jobId: null, trigger: 'manual' });
    const b = await evaluateWindow(deps(), { metric: 'voc_index', windowStart: base, jobId: null, trigger: 'manual' });
    expect(a.district?.cells).toBe(19);
    const { rows } = await pool.query<{ metric: string; n: number; max: number }>(
      `select metric, sum(n)::int as n, max(max) as max from hotspot_cell_stats where window_start = $1 and metric in ('tvoc', 'voc_index') group by metric order by metric`,
      [new Date(base).toISOString()],
    );
    expect(rows).toEqual([
      { metric: 'tvoc', n: 19 * 12, max: 21 },
      { metric: 'voc_index', n: 19 * 12, max: 250 },
    ]);
    expect(b.district?.baseline).toBe(250);
  });

  it('moves a task along its lifecycle, records who, when and why, and refuses invalid transitions', async () => {
    begin();
    await registerGrid();
    await readings.insertBatch([...windowReadings(0, 40), ...windowReadings(1, 40)]);
    await evaluate(0);
    const [taskId] = (await evaluate(1)).tasksOpened;
    const store = new TaskRepository(pool);
    await expect(transitionTask(store, taskId!, 'in_progress', { actor: 'team-a' })).rejects.toMatchObject({
      code: 'VOC_ERR_INVALID_TRANSITION',
    });
    await transitionTask(store, taskId!, 'acknowledged', { actor: 'team-a', note: 'on our way' });
    await transitionTask(store, taskId!, 'in_progress', { actor: 'team-a' });
    await expect(transitionTask(store, taskId!, 'resolved', { actor: 'team-a' })).rejects.toMatchObject({
      code: 'VOC_ERR_INVALID_REQUEST',
    });
    await expect(transitionTask(store, taskId!, 'resolved', { actor: '  ', finding: 'no_source_found' })).rejects.toMatchObject({
      code: 'VOC_ERR_INVALID_REQUEST',
    });
    const done = await transitionTask(store, taskId!, 'resolved', {
      actor: 'team-b',
      finding: 'source_found_and_handled',
      note: 'spray booth without filter',
    });
    expect(done).toMatchObject({ state: 'resolved', finding: 'source_found_and_handled' });
    await expect(transitionTask(store, taskId!, 'dismissed', { actor: 'team-a' })).rejects.toMatchObject({
      code: 'VOC_ERR_INVALID_TRANSITION',
    });
    await expect(transitionTask(store, 999_999_999, 'acknowledged', { actor: 'x' })).rejects.toMatchObject({ code: 'VOC_ERR_NOT_FOUND' });
    const transitions = done.events.filter((e) => e.kind === 'transition').map((e) => [e.fromState, e.toState, e.actor, e.note]);
    expect(transitions).toEqual([
      ['open', 'acknowledged', 'team-a', 'on our way'],
      ['acknowledged', 'in_progress', 'team-a', null],
      ['in_progress', 'resolved', 'team-b', 'spray booth without filter'],
    ]);
    // with the task closed, a new hotspot of the cell opens a new task
    await readings.insertBatch([2, 3, 4].flatMap((w) => windowReadings(w, 10)));
    await readings.insertBatch([5, 6].flatMap((w) => windowReadings(w, 40)));
    const opened: number[] = [];
    for (let w = 2; w < 7; w += 1) opened.push(...(await evaluate(w)).tasksOpened);
    expect(opened).toHaveLength(1);
    expect(opened[0]).not.toBe(taskId);
  });
});
