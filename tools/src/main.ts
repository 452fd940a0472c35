#!/usr/bin/env node
import { runCommands, type Command } from '@voc/cli';
import { demoCommand } from './demo/command.js';
import { replayCommand } from './replay/command.js';
import { hj212SimCommand } from './hj212-sim/command.js';
import { fumeDemoCommand } from './hj212-sim/demo.js';

/** Development tools beside the operator CLI: replay of the real-data sets and the end-to-end demo. */
const TOOL_COMMANDS: readonly Command[] = [replayCommand, demoCommand, hj212SimCommand, fumeDemoCommand];

runCommands(TOOL_COMMANDS, 'voc-tools', process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`voc-tools: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
