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
