import fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Config } from '@voc/config';
import { authenticate, type Principal, type Provisioning } from '@voc/core';
import { isStatementTimeout, type Repositories } from '@voc/db';
import { ERRORS, VocError, type Logger } from '@voc/domain';
import type { AlertHub } from './alert-hub.js';
import { createApiMetrics, type ApiMetrics } from './metrics.js';
import { allows, type RoutePermission } from './permissions.js';
import { frameworkError, installErrorHandler, problemOf, sendProblem } from './problem.js';
import type { RateLimiter } from './ratelimit.js';
import { adminRoutes } from './routes/admin.js';
import { cellRoutes } from './routes/cells.js';
import { enforcementRoutes } from './routes/enforcement.js';
import { operationsRoutes } from './routes/operations.js';
import { reportRoutes } from './routes/reports.js';
import { seriesRoutes } from './routes/series.js';
import { aggregateRoutes } from './routes/aggregates.js';
import { systemRoutes } from './routes/system.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The permission the route needs (permissions.ts); every route declares one. */
    permission?: RoutePermission;
  }
  interface FastifyInstance {
    /** Every route with its method and declared permission (the route × role matrix test reads it). */
    routePermissions: { method: string; url: string; permission: RoutePermission }[];
  }
  interface FastifyRequest {
    /** The caller's key, set by the auth hook on every non-public route. */
    principal?: Principal;
  }
}

/** What {@link buildApp} composes; `main.ts` builds the real ones, tests their own. */
export interface AppDeps {
  readonly config: Config;
  readonly log: Logger;
  readonly repos: Repositories;
  readonly rateLimiter: RateLimiter;
  /** Readiness checks by dependency name (`db`, `kafka`, `redis`): each resolves when it answers. */
  readonly ready: Readonly<Record<string, () => Promise<void>>>;
  /** Live alerts from the alerts topic (the SSE stream). */
  readonly alerts: AlertHub;
  /** Device provisioning (registration with MQTT credentials, enable/disable, broker sync). */
  readonly provisioning: Provisioning;
  readonly clock?: () => number;
}

/** A route's principal (the auth hook guarantees it on non-public routes). */
export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new VocError(ERRORS.unauthorized.code, 'an API key is required');
  return req.principal;
}

/** The path of the first string holding U+0000 in a parsed body or query (`body.label`), or undefined. */
function nulAt(v: unknown, at: string, depth = 0): string | undefined {
  if (typeof v === 'string') return v.includes('\u0000') ? at : undefined;
  if (!v || typeof v !== 'object' || depth > 8) return undefined;
  for (const [k, x] of Object.entries(v)) {
    const hit = nulAt(x, `${at}.${k}`, depth + 1);
    if (hit) return hit;
  }
  return undefined;
}

/** Methods registered per route pattern (for 405 and `Allow`), as regular expressions. */
type RouteTable = { re: RegExp; methods: Set<string> }[];

function patternRe(url: string): RegExp {
  const body = url
    .split('/')
    .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg === '*' ? '.*' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${body}/?$`);
}

/**
 * Builds the HTTP API without listening (tests call `inject()`; only `main.ts` listens). Every route
 * is a zod-typed plugin under `/v1` (OpenAPI 3.1 at `/openapi.json`, browsable at `/docs` from local
 * assets); errors, 404 and 405 are problem+json; every route declares its permission and a route
 * without one fails the build.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const clock = deps.clock ?? Date.now;
  const app = fastify({
    logger: false,
    bodyLimit: 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true },
    return503OnClosing: true,
    frameworkErrors: frameworkError,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  const metrics: ApiMetrics = createApiMetrics();
  const routes: RouteTable = [];
  const declared: { method: string; url: string; permission: RoutePermission }[] = [];
  app.decorate('routePermissions', declared);

  app.addHook('onRoute', (r) => {
    const isDocs = r.url === '/docs' || r.url.startsWith('/docs/');
    if (isDocs) r.config = { ...(r.config ?? {}), permission: 'public' };
    if (!r.config?.permission) throw new Error(`route ${String(r.method)} ${r.url} declares no permission`);
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    let entry = routes.find((e) => e.re.source === patternRe(r.url).source);
    if (!entry) routes.push((entry = { re: patternRe(r.url), methods: new Set() }));
    for (const m of methods) {
      entry.methods.add(m);
      if (m !== 'HEAD') declared.push({ method: m, url: r.url, permission: r.config.permission });
    }
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'VOC monitoring HTTP API',
        version: '1.0.0',
        description:
          'Time series for analysts, hotspots, tasks and live alerts for enforcement teams, devices for operators. ' +
          'Authenticate with `Authorization: Bearer <key>` or `X-API-Key: <key>`. Errors are application/problem+json (RFC 9457).',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });

  installErrorHandler(app, deps.log, isStatementTimeout);

  app.setNotFoundHandler((req, reply) => {
    const p = req.url.split('?')[0] ?? '/';
    const hit = routes.find((e) => e.re.test(p));
    if (hit) {
      const allow = [...hit.methods].sort().join(', ');
      return sendProblem(reply, problemOf(ERRORS.method_not_allowed.code, `${req.method} is not allowed on ${p}; allowed: ${allow}`, p), {
        allow,
      });
    }
    return sendProblem(reply, problemOf(ERRORS.route_not_found.code, `no route ${p} (the API is under /v1; see /docs)`, p));
  });

  app.addHook('onRequest', async (req, reply) => {
    (req as FastifyRequest & { startedAt?: bigint }).startedAt = process.hrtime.bigint();
    const perm = req.routeOptions.config.permission;
    if (!perm || perm === 'public') return;
    const header = req.headers.authorization;
    const presented = header?.startsWith('Bearer ') ? header.slice(7).trim() : (req.headers['x-api-key'] as string | undefined)?.trim();
    if (!presented) throw new VocError(ERRORS.unauthorized.code, 'an API key is required: Authorization: Bearer <key> or X-API-Key: <key>');
    const principal = await authenticate(deps.repos.apiKeys, presented, clock());
    if (!allows(principal.role, perm))
      throw new VocError(ERRORS.forbidden.code, `the ${principal.role} role does not hold the ${perm} permission this route needs`);
    req.principal = principal;
    deps.repos.apiKeys.touch(principal.keyId).catch((err: unknown) => deps.log.warn({ err }, 'could not record key use'));
    let decision;
    try {
      decision = await deps.rateLimiter.hit(principal.keyId);
    } catch (err) {
      // Fail open: an unreachable Redis must not take the API down; /readyz reports it.
      deps.log.warn({ err }, 'rate limiter unavailable; request let through');
      return;
    }
    reply
      .header('ratelimit-limit', decision.limit)
      .header('ratelimit-remaining', decision.remaining)
      .header('ratelimit-reset', decision.resetS);
    if (!decision.allowed)
      return sendProblem(
        reply,
        problemOf(
          ERRORS.rate_limited.code,
          `key ${principal.prefix} made more than ${decision.limit} requests in this window`,
          req.url.split('?')[0]!,
        ),
        { 'retry-after': String(decision.resetS) },
      );
  });

  // PostgreSQL text cannot hold U+0000: refuse it with the field's name before any query sees it.
  app.addHook('preValidation', (req, _reply, next) => {
    const where = nulAt(req.body, 'body') ?? nulAt(req.query, 'query');
    next(
      where ? new VocError(ERRORS.invalid_request.code, `${where}: contains a NUL character (U+0000), which cannot be stored`) : undefined,
    );
  });

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const started = (req as FastifyRequest & { startedAt?: bigint }).startedAt;
    metrics.requests.inc({ method: req.method, route, status: String(reply.statusCode) });
    if (started) metrics.latency.observe({ method: req.method, route }, Number(process.hrtime.bigint() - started) / 1e9);
  });

  const ctx = { deps, metrics, clock };
  await app.register(systemRoutes(ctx));
  await app.register(adminRoutes(ctx), { prefix: '/v1' });
  await app.register(seriesRoutes(ctx), { prefix: '/v1' });
  await app.register(aggregateRoutes(ctx), { prefix: '/v1' });
  await app.register(cellRoutes(ctx), { prefix: '/v1' });
  await app.register(enforcementRoutes(ctx), { prefix: '/v1' });
  await app.register(operationsRoutes(ctx), { prefix: '/v1' });
  await app.register(reportRoutes(ctx), { prefix: '/v1' });
  await app.ready();
  return app;
}

/** What each route plugin receives. */
export interface RouteContext {
  readonly deps: AppDeps;
  readonly metrics: ApiMetrics;
  readonly clock: () => number;
}
