#!/usr/bin/env node
import { VocError } from '@voc/domain';
import { COMMANDS } from './commands/index.js';
import { UsageError, type Command } from './commands/types.js';

/** Finds the command whose name words prefix `argv` (longest first). */
function resolve(argv: string[]): { cmd: Command; rest: string[] } | undefined {
  const sorted = [...COMMANDS].sort((a, b) => b.name.split(' ').length - a.name.split(' ').length);
  for (const cmd of sorted) {
    const words = cmd.name.split(' ');
    if (words.every((w, i) => argv[i] === w)) return { cmd, rest: argv.slice(words.length) };
  }
  return undefined;
}

function help(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return `usage: voc <command> [options]\n\n${COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`).join('\n')}\n\nvoc help <command> shows a command's options.\n`;
}

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    const target = argv[0] === 'help' && argv.length > 1 ? resolve(argv.slice(1)) : undefined;
    process.stdout.write(target ? `${target.cmd.usage}\n` : help());
    return 0;
  }
  const found = resolve(argv);
  if (!found) {
    process.stderr.write(`voc: unknown command "${argv.join(' ')}"\n\n${help()}`);
    return 2;
  }
  try {
    return await found.cmd.run(found.rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`voc ${found.cmd.name}: ${err.message}\n\n${found.cmd.usage}\n`);
      return 2;
    }
    if (err instanceof VocError) {
      process.stderr.write(`voc ${found.cmd.name}: ${err.message} (${err.code})\n`);
      return 1;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`voc: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
