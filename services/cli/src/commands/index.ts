import type { Command } from './types.js';
import { setupCommand, migrateCommand } from './setup.js';
import { DEVICE_COMMANDS } from './devices.js';
import { replayCommand } from './replay.js';
import { demoCommand } from './demo.js';
import { HOTSPOT_COMMANDS } from './hotspots.js';
import { TASK_COMMANDS } from './tasks.js';
import { REGISTRY_COMMANDS } from './facilities.js';

/** Every `voc` command. Add a command by importing it here. */
export const COMMANDS: readonly Command[] = [
  setupCommand,
  migrateCommand,
  ...DEVICE_COMMANDS,
  replayCommand,
  demoCommand,
  ...HOTSPOT_COMMANDS,
  ...TASK_COMMANDS,
  ...REGISTRY_COMMANDS,
];
