export { buildApp, type AppDeps } from './app.js';
export { createAlertHub, type AlertHub } from './alert-hub.js';
export { redisRateLimiter, type RateLimiter } from './ratelimit.js';
export { PERMISSIONS, ROLE_PERMISSIONS, type Permission } from './permissions.js';
export { startAlertConsumer } from './alert-consumer.js';
