export * from './batching.js';
export * from './writer.js';
export * from './deadletter-store.js';
export * from './kafka.js';
export * from './service.js';
