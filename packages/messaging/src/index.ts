export * from './kafka.js';
export * from './records.js';
export * from './chunks.js';
export * from './alerts.js';
export * from './batching.js';
export * from './acls.js';
