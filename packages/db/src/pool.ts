import type { Logger } from '@voc/domain';
import pg from 'pg';
import type { Config } from '@voc/config';
import { ERROR_CODES, VocError } from '@voc/domain';

/** A pg pool. Only this package imports `pg`; services receive repositories built on it. */
export type Pool = pg.Pool;
/** A checked-out client inside a transaction. */
export type Client = pg.PoolClient;

// Parse int8 (count(*), bigint) as JS number; all our bigints (H3 cells excepted, read as text) fit.
pg.types.setTypeParser(pg.types.builtins.INT8, (v: string) => Number(v));

/**
 * Creates a pool with `error` listeners on the pool (idle clients) and on every client it opens
 * (checked-out clients: pg-pool removes its own listener while a client is lent out, and a backend
 * terminated between two statements of a transaction would otherwise emit an unhandled `error` and
 * end the process). The statement in progress still rejects, with a transient error
 * ({@link isTransientDbError}); the broken client is discarded on release.
 * @param cfg `config.pg`
 * @param opts.statementTimeoutMs PostgreSQL `statement_timeout` of every statement on the pool's
 *   connections (the API's bound on any one query: `config.api.statementTimeoutMs`); default none
 */
export function createPool(cfg: Config['pg'], log: Logger, applicationName = 'voc', opts: { statementTimeoutMs?: number } = {}): Pool {
  const pool = new pg.Pool({
    host: cfg.host,
    port: cfg.port,
    user: cfg.user,
    password: cfg.password,
    database: cfg.database,
    max: cfg.poolMax,
    application_name: applicationName,
    connectionTimeoutMillis: 5000,
    ...(opts.statementTimeoutMs ? { statement_timeout: opts.statementTimeoutMs } : {}),
  });
  pool.on('error', (err) => log.error({ err }, 'idle PostgreSQL client error'));
  pool.on('connect', (client) => client.on('error', (err) => log.warn({ err }, 'PostgreSQL connection lost while in use')));
  return pool;
}

/**
 * Runs `fn` in one transaction on one checked-out client: commit on success, rollback on throw,
 * release in every case (node-postgres transactions guide).
 * @param begin the statement that opens the transaction, e.g. `begin isolation level repeatable read read only`
 */
export async function withTransaction<T>(pool: Pool, fn: (client: Client) => Promise<T>, begin = 'begin'): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(begin);
    const out = await fn(client);
    await client.query('commit');
    return out;
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** SQLSTATE classes that mean "the database is not reachable now": retry later. */
const TRANSIENT_SQLSTATE = /^(08|53|57P0|40001|40P01)/;
const TRANSIENT_NODE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * True when an error from pg means the database is unavailable or the transaction lost a race
 * (connection errors, SQLSTATE 08xxx, 53xxx, 57P0x, serialization failure, deadlock, and 55000 when it
 * says the database "is not currently accepting connections", as during `ALTER DATABASE …
 * ALLOW_CONNECTIONS false`), so the same statement may succeed later. Data errors (22xxx, 23xxx) are not transient.
 */
export function isTransientDbError(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  if (!e) return false;
  if (e.code && TRANSIENT_NODE.has(e.code)) return true;
  if (e.code && TRANSIENT_SQLSTATE.test(e.code)) return true;
  if (e.code === '55000' && /not currently accepting connections/i.test(e.message ?? '')) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(e.message ?? '');
}

/** True when a statement was cancelled by `statement_timeout` (SQLSTATE 57014, query_canceled). */
export function isStatementTimeout(err: unknown): boolean {
  return (err as { code?: string } | undefined)?.code === '57014';
}

/** Wraps a transient database error in a retryable {@link VocError}. */
export function unavailable(err: unknown): VocError {
  return new VocError(ERROR_CODES.database_unavailable, 'database unavailable', { retry: true, cause: err });
}
