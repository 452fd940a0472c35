export * from './pool.js';
export * from './migrate.js';
export * from './devices.js';
export * from './readings.js';
export * from './deadletters.js';
export * from './h3.js';
export * from './sqlstate.js';
export * from './health.js';
export { pgExecutor } from './executor.js';
