import { VocError } from '@voc/domain';
import { UsageError, type Command } from './types.js';

/** Finds the command whose name words prefix `argv` (longest first). */
function resolve(commands: readonly Command[], argv: string[]): { cmd: Command; rest: string[] } | undefined {
  const sorted = [...commands].sort((a, b) => b.name.split(' ').length - a.name.split(' ').length);
  for (const cmd of sorted) {
    const words = cmd.name.split(' ');
    if (words.every((w, i) => argv[i] === w)) return { cmd, rest: argv.slice(words.length) };
  }
  return undefined;
}

function help(commands: readonly Command[], prog: string): string {
  const w = Math.max(...commands.map((c) => c.name.length));
  return `usage: ${prog} <command> [options]\n\n${commands.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`).join('\n')}\n\n${prog} help <command> shows a command's options.\n`;
}

/**
 * Runs the command `argv` names among `commands` (longest name first), printing help, usage errors
 * (exit 2) and `VocError`s (exit 1) as `<prog> <command>: message (code)`.
 * @param prog the program name in messages (`voc`)
 * @returns the exit code
 */
export async function runCommands(commands: readonly Command[], prog: string, argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    const target = argv[0] === 'help' && argv.length > 1 ? resolve(commands, argv.slice(1)) : undefined;
    process.stdout.write(target ? `${target.cmd.usage}\n` : help(commands, prog));
    return 0;
  }
  const found = resolve(commands, argv);
  if (!found) {
    process.stderr.write(`${prog}: unknown command "${argv.join(' ')}"\n\n${help(commands, prog)}`);
    return 2;
  }
  try {
    return await found.cmd.run(found.rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${prog} ${found.cmd.name}: ${err.message}\n\n${found.cmd.usage}\n`);
      return 2;
    }
    if (err instanceof VocError) {
      process.stderr.write(`${prog} ${found.cmd.name}: ${err.message} (${err.code})\n`);
      return 1;
    }
    // PostgreSQL 42P01 undefined_table: the database exists but the schema was never migrated.
    if ((err as { code?: unknown } | null)?.code === '42P01') {
      const db = process.env.PGDATABASE ?? 'voc';
      process.stderr.write(
        `${prog} ${found.cmd.name}: database "${db}" is not migrated (${(err as Error).message}); run \`npm run stack:up\` (or \`voc setup\`) with PGDATABASE=${db}, or point PGDATABASE at a migrated database such as the demo's voc_demo\n`,
      );
      return 1;
    }
    throw err;
  }
}
