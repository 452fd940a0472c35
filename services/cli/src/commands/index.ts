import type { Command } from './types.js';
import { setupCommand, migrateCommand } from './setup.js';

/** Every `voc` command. Add a command by importing it here. */
export const COMMANDS: readonly Command[] = [setupCommand, migrateCommand];
