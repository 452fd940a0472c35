import type { Command } from './commands/types.js';
import { setupCommand, migrateCommand } from './commands/setup.js';
import { DEVICE_COMMANDS } from './commands/devices.js';
import { HOTSPOT_COMMANDS } from './commands/hotspots.js';
import { TASK_COMMANDS } from './commands/tasks.js';
import { REGISTRY_COMMANDS } from './commands/facilities.js';
import { KEY_COMMANDS } from './commands/keys.js';

/** Every `voc` command. Add a command by importing it here. */
export const COMMANDS: readonly Command[] = [
  setupCommand,
  migrateCommand,
  ...DEVICE_COMMANDS,
  ...HOTSPOT_COMMANDS,
  ...TASK_COMMANDS,
  ...REGISTRY_COMMANDS,
  ...KEY_COMMANDS,
];
