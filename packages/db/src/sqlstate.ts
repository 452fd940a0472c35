/**
 * SQLSTATEs meaning "this data can never be stored as it is" (PostgreSQL Appendix A):
 * class 22 data exception (value out of range, invalid text such as a NUL byte, bad date), class 23
 * integrity constraint violation (not null, check, foreign key, a unique key other than one an
 * `on conflict` clause handles), and 54000 program_limit_exceeded, which an insert raises for a value
 * too large for an index (e.g. "index row size 5768 exceeds btree version 4 maximum 2704").
 */
const DATA_SQLSTATE = /^(22|23|54000$)/;

/**
 * True when an error from pg says the statement's data is refused (SQLSTATE 22xxx, 23xxx or 54000):
 * the same statement will fail again however often it is retried, so the offending input must be
 * isolated and dead-lettered. Connection problems are {@link isTransientDbError} instead; anything
 * else (missing table, permission) is neither, and callers should treat it as an outage to fix, not
 * as bad data.
 */
export function isDataDbError(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && DATA_SQLSTATE.test(code);
}
