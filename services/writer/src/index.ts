export * from '@voc/messaging';
export * from './writer.js';
export * from './deadletter-store.js';
export * from './kafka.js';
export * from './app.js';
