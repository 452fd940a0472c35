import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DEFAULT_METHOD_SETTINGS } from '@voc/hotspot';
import { usableReadingSql } from './usable.js';

/**
 * What the migration runner needs from a database: plain PostgreSQL through `pg`, or PGlite in tests.
 * `exec` runs several statements without parameters; `query` runs one with parameters.
 */
export interface SqlExecutor {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
  exec(sql: string): Promise<unknown>;
}

/** Folder of the numbered SQL migrations (`migrations/` at the repository root). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations/', import.meta.url));

/** Values substituted for `{{name}}` in `.timescale.sql` migrations (PostgreSQL interval literals). */
export interface TimescaleSettings {
  compressAfter: string;
  retention: string;
}

/** Outcome of {@link migrate}. */
export interface MigrationResult {
  applied: string[];
  timescale: boolean;
}

/**
 * Applies pending migrations in file-name order, each in its own transaction, recording them in
 * `schema_migrations`. `NNN_name.sql` always runs; `NNN_name.timescale.sql` runs right after it only
 * when the `timescaledb` extension is available (hypertables, continuous aggregates, compression and
 * retention policies). A lock (`pg_advisory_xact_lock`) keeps concurrent runners from racing.
 * @param opts.timescale force the TimescaleDB path on or off (default: detect)
 * @param opts.vanMaxSpeedKmh van speed limit of the `{{usable_reading}}` rule in migrations (`VOC_HOTSPOT_VAN_MAX_SPEED_KMH`; default the method's)
 */
export async function migrate(
  db: SqlExecutor,
  opts: { dir?: string; timescale?: boolean; settings?: TimescaleSettings; vanMaxSpeedKmh?: number } = {},
): Promise<MigrationResult> {
  const dir = opts.dir ?? MIGRATIONS_DIR;
  const settings = opts.settings ?? { compressAfter: '7 days', retention: '400 days' };
  await db.exec(`create table if not exists schema_migrations (name text primary key, applied_at timestamptz not null default now())`);
  const timescale =
    opts.timescale ??
    (await db.query<{ ok: number }>(`select 1 as ok from pg_available_extensions where name = 'timescaledb'`)).rows.length > 0;
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const base = files.filter((f) => !f.endsWith('.timescale.sql'));
  const done = new Set((await db.query<{ name: string }>('select name from schema_migrations')).rows.map((r) => r.name));
  const applied: string[] = [];
  for (const file of base) {
    const ts = file.replace(/\.sql$/, '.timescale.sql');
    const steps = [file, ...(timescale && files.includes(ts) ? [ts] : [])];
    for (const step of steps) {
      if (done.has(step)) continue;
      let sql = await readFile(`${dir}/${step}`, 'utf8');
      sql = sql
        .replaceAll('{{compress_after}}', settings.compressAfter)
        .replaceAll('{{retention}}', settings.retention)
        .replaceAll('{{usable_reading}}', usableReadingSql('', String(opts.vanMaxSpeedKmh ?? DEFAULT_METHOD_SETTINGS.vanMaxSpeedKmh)));
      await db.exec('begin');
      try {
        await db.query(`select pg_advisory_xact_lock(7206105)`);
        const again = await db.query('select 1 from schema_migrations where name = $1', [step]);
        if (again.rows.length === 0) {
          await db.exec(sql);
          await db.query('insert into schema_migrations (name) values ($1)', [step]);
          applied.push(step);
        }
        await db.exec('commit');
      } catch (err) {
        await db.exec('rollback');
        throw new Error(`migration ${step} failed: ${(err as Error).message}`, { cause: err });
      }
    }
  }
  return { applied, timescale };
}
