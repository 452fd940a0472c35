/** Fume compliance rules (DOMAIN.md §4) as pure functions, their settings with sources, opening hours. */
export * from './settings.js';
export * from './hours.js';
export * from './rules.js';
