export * from './ingest.js';
export * from './devices.js';
export * from './pipeline.js';
export * from './gateway.js';
export * from './mqtt.js';
