import type { Command } from './types.js';
import { setupCommand, migrateCommand } from './setup.js';
import { DEVICE_COMMANDS } from './devices.js';
import { HOTSPOT_COMMANDS } from './hotspots.js';
import { TASK_COMMANDS } from './tasks.js';
import { REGISTRY_COMMANDS } from './facilities.js';

/** Every `voc` command. Add a command by importing it here. */
export const COMMANDS: readonly Command[] = [
  setupCommand,
  migrateCommand,
  ...DEVICE_COMMANDS,
  ...HOTSPOT_COMMANDS,
  ...TASK_COMMANDS,
  ...REGISTRY_COMMANDS,
];
