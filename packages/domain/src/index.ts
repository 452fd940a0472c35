export * from './errors.js';
export * from './units.js';
export * from './metrics.js';
export * from './convert.js';
export * from './devices.js';
export * from './topics.js';
export * from './payload.js';
export * from './messages.js';
