// The CLI's library face, for the development tools (`@voc/tools`) that compose operator commands:
// the command framework and the commands the demo runs in sequence.
export * from './commands/types.js';
export * from './commands/args.js';
export * from './commands/run.js';
export * from './commands/context.js';
export { COMMANDS } from './app.js';
export { runDemoHotspots, taskBlock } from './commands/hotspots.js';
export { devicesDisableCommand, devicesEnableCommand, devicesRegisterCommand, devicesRotateCommand } from './commands/devices.js';
export * from './devices/credentials-file.js';
export * from './devices/device-file.js';
