export * from './ingest.js';
export * from './devices.js';
export * from './pipeline.js';
export * from './app.js';
export * from './mqtt.js';
