export * from './types.js';
export * from './time.js';
export * from './position.js';
export * from './values.js';
export * from './normalize.js';
