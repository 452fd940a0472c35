export * from './ingest.js';
export * from './directory.js';
export * from './auth.js';
export * from './pipeline.js';
export * from './endpoint.js';
export * from './metrics.js';
export * from './app.js';
