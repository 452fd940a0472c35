import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { loadConfig, type Config } from '@voc/config';
import { createApiKey, createProvisioning, type ApiRole } from '@voc/core';
import { createPool, createRepositories, type Pool, type Repositories } from '@voc/db';
import { silentLogger } from '@voc/domain/testing';
import { createAlertHub, type AlertHub } from '../alert-hub.js';
import { buildApp } from '../app.js';
import { redisRateLimiter, type RateLimiter } from '../ratelimit.js';

/** A test API on the real database (as role voc_api) and the project's Redis, and an admin pool to seed rows. */
export interface Harness {
  readonly app: FastifyInstance;
  readonly config: Config;
  readonly pool: Pool;
  readonly admin: Pool;
  readonly repos: Repositories;
  readonly redis: Redis;
  readonly hub: AlertHub;
  /** Creates a key of a role (optionally scoped) and returns it. */
  key(role: ApiRole, opts?: { streetOffices?: string[]; expiresAt?: string | null }): Promise<string>;
  close(): Promise<void>;
}

/** Builds a {@link Harness}; `rateLimiter` replaces the Redis limiter built from the settings. */
export async function harness(env: Record<string, string> = {}, rateLimiter?: (redis: Redis) => RateLimiter): Promise<Harness> {
  const config = loadConfig({ ...process.env, ...env }, { service: 'api' });
  const adminCfg = loadConfig({ ...process.env, ...env });
  const pool = createPool(config.pg, silentLogger, 'voc-api-test', { statementTimeoutMs: config.api.statementTimeoutMs });
  const admin = createPool(adminCfg.pg, silentLogger, 'voc-api-test-admin');
  const repos = createRepositories(pool);
  const redis = new Redis(config.redis.url, { username: config.redis.username, password: config.redis.password, maxRetriesPerRequest: 1 });
  const hub = createAlertHub();
  const app = await buildApp({
    config,
    log: silentLogger,
    repos,
    rateLimiter: rateLimiter ? rateLimiter(redis) : redisRateLimiter(redis, config.api.rateLimit, config.api.rateWindowS),
    alerts: hub,
    provisioning: createProvisioning({ registry: repos.devices }),
    ready: { db: async () => void (await pool.query('select 1')), redis: async () => void (await redis.ping()) },
  });
  return {
    app,
    config,
    pool,
    admin,
    repos,
    redis,
    hub,
    key: async (role, opts = {}) =>
      (
        await createApiKey(
          repos.apiKeys,
          { role, createdBy: 'test', streetOffices: opts.streetOffices, expiresAt: opts.expiresAt },
          Date.now(),
          1,
        )
      ).key,
    close: async () => {
      await app.close();
      redis.disconnect();
      await pool.end();
      await admin.end();
    },
  };
}
