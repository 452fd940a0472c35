export * from './app.js';
export * from './auth.js';
export * from './connection.js';
export * from './metrics.js';
export * from './producer.js';
export * from './records.js';
