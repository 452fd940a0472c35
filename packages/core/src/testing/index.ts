export * from './beijing.js';
export * from './fixtures.js';
