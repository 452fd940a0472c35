import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './types.js';

/**
 * Parses a command's arguments with `node:util` `parseArgs` (strict: unknown options are refused).
 * Option values come back as `string | boolean | undefined`.
 * @param options the option table
 * @param positionals exact number of positional arguments expected
 * @throws UsageError for an unknown option, a missing value or a wrong number of positionals
 */
export function commandArgs(argv: string[], options: NonNullable<ParseArgsConfig['options']>, positionals = 0) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (parsed.positionals.length !== positionals)
    throw new UsageError(`expected ${positionals} argument${positionals === 1 ? '' : 's'}, got ${parsed.positionals.length}`);
  const values: Record<string, string | boolean | undefined> = {};
  for (const [k, v] of Object.entries(parsed.values)) values[k] = Array.isArray(v) ? v.at(-1) : v;
  return { values, positionals: parsed.positionals };
}

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

/**
 * Parses a time option: an ISO 8601 date (UTC midnight) or date-time with an offset (`Z`, `+08:00`).
 * @returns undefined when the option is absent
 * @throws UsageError for anything else (a local time without offset is ambiguous)
 */
export function isoTimeOption(name: string, v: string | boolean | undefined): Date | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !ISO.test(v) || Number.isNaN(Date.parse(v))) {
    throw new UsageError(
      `--${name}: "${String(v)}" is not an ISO 8601 date or date-time with offset (e.g. 2017-01-01 or 2017-01-01T00:00:00+08:00)`,
    );
  }
  return new Date(v);
}
