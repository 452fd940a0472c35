#!/usr/bin/env node
import { COMMANDS } from './app.js';
import { runCommands } from './commands/run.js';

runCommands(COMMANDS, 'voc', process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`voc: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
