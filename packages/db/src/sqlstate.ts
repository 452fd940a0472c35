/**
 * SQLSTATE classes meaning "this data can never be stored as it is" (PostgreSQL Appendix A):
 * 22 data exception (value out of range, invalid text such as a NUL byte, bad date), 23 integrity
 * constraint violation (not null, check, foreign key, a unique key other than one an
 * `on conflict` clause handles).
 */
const DATA_SQLSTATE = /^(22|23)/;

/**
 * True when an error from pg says the statement's data is refused (SQLSTATE 22xxx or 23xxx): the same
 * statement will fail again however often it is retried, so the offending input must be isolated and
 * dead-lettered. Connection problems are {@link isTransientDbError} instead; anything else (missing
 * table, permission) is neither, and callers should treat it as an outage to fix, not as bad data.
 */
export function isDataDbError(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && DATA_SQLSTATE.test(code);
}
