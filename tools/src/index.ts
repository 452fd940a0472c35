// What tests import from the development tools: the replay engine and its MQTT adapters, and the one service spawner.
export * from './spawn.js';
export { replay, type ReplayResult } from './replay/engine.js';
export { replayDeps } from './replay/adapters.js';
export type { ReplayItem } from './replay/types.js';
export { runFumeDemo, formatFumeDemo, type FumeDemoResult } from './hj212-sim/demo.js';
export { runSimulation, simFrame, type SimMonitor, type SimResult } from './hj212-sim/sim.js';
export { simFleet, registerFleet, type SimRestaurant } from './hj212-sim/fleet.js';
export { minuteValues, SCENARIOS, type Scenario } from './hj212-sim/scenarios.js';
