import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ERRORS } from '@voc/domain';
import type { RouteContext } from '../app.js';
import { problemOf, problemSchema, sendProblem } from '../problem.js';

/** How long one readiness check may take before it counts as down (ms). */
const READY_TIMEOUT_MS = 2000;

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, rej) => setTimeout(() => rej(new Error(`no answer in ${ms} ms`)), ms).unref())]);
}

/** `/healthz` (the process), `/readyz` (database, Kafka, Redis), `/metrics` (Prometheus), `/openapi.json`. */
export function systemRoutes(ctx: RouteContext): FastifyPluginCallbackZod {
  return (app, _opts, done) => {
    app.get(
      '/healthz',
      {
        config: { permission: 'public' },
        schema: { tags: ['system'], summary: 'The process is up', response: { 200: z.object({ status: z.literal('ok') }) } },
      },
      () => ({ status: 'ok' as const }),
    );
    app.get(
      '/readyz',
      {
        config: { permission: 'public' },
        schema: {
          tags: ['system'],
          summary: 'Database, Kafka and Redis answer',
          response: { 200: z.object({ status: z.literal('ready'), checks: z.record(z.string(), z.string()) }), 503: problemSchema },
        },
      },
      async (req, reply) => {
        const checks: Record<string, string> = {};
        await Promise.all(
          Object.entries(ctx.deps.ready).map(async ([name, check]) => {
            try {
              await within(check(), READY_TIMEOUT_MS);
              checks[name] = 'ok';
            } catch (err) {
              checks[name] = err instanceof Error ? err.message : 'down';
            }
          }),
        );
        const down = Object.entries(checks).filter(([, v]) => v !== 'ok');
        if (down.length > 0)
          return sendProblem(reply, problemOf(ERRORS.not_ready.code, down.map(([k, v]) => `${k}: ${v}`).join('; '), '/readyz'));
        return { status: 'ready' as const, checks };
      },
    );
    app.get(
      '/metrics',
      {
        config: { permission: 'public' },
        schema: { tags: ['system'], summary: 'Prometheus metrics (text exposition format)', hide: false },
      },
      async (_req, reply) => {
        const text = await ctx.metrics.registry.metrics();
        return reply.type(ctx.metrics.registry.contentType).send(text);
      },
    );
    app.get(
      '/openapi.json',
      { config: { permission: 'public' }, schema: { tags: ['system'], summary: 'This OpenAPI 3.1 document' } },
      (_req, reply) => reply.type('application/json').send(JSON.stringify(app.swagger())),
    );
    done();
  };
}
