export * from './kafka.js';
export * from './records.js';
export * from './mosquitto.js';
export * from './chunks.js';
export * from './acls.js';
