// What tests import from the development tools: the replay engine and its MQTT adapters, and the one service spawner.
export * from './spawn.js';
export { replay, type ReplayResult } from './replay/engine.js';
export { replayDeps } from './replay/adapters.js';
export type { ReplayItem } from './replay/types.js';
