export * from './kafka.js';
export * from './records.js';
