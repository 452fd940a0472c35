import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { REJECT_REASON_LIST } from '@voc/domain';
import type { RouteContext } from '../app.js';
import { deviceId, envelope, isoTime, limit, problems, secured, sendRaw } from '../schemas.js';

/** Operations: dead letters browsable by reason and device, and their counts. */
export function operationsRoutes(ctx: RouteContext): FastifyPluginCallbackZod {
  const { repos } = ctx.deps;
  const reasons = REJECT_REASON_LIST as unknown as readonly [string, ...string[]];
  return (app, _opts, done) => {
    app.get(
      '/dead-letters',
      {
        config: { permission: 'deadletters:read' },
        schema: {
          tags: ['operations'],
          summary: 'Rejected inputs, newest first, by reason and device',
          security: secured,
          querystring: z.object({
            reason: z.enum(reasons).optional(),
            device_id: deviceId.optional(),
            limit: limit(100, 1000),
            cursor: z.coerce.number<string>().int().positive().optional(),
          }),
          response: { 200: envelope(z.record(z.string(), z.unknown())), ...problems },
        },
      },
      async (req, reply) => {
        const q = req.query;
        const rows = await repos.deadLetters.list({ reason: q.reason, deviceId: q.device_id, beforeId: q.cursor, limit: q.limit + 1 });
        const page = rows.slice(0, q.limit);
        return sendRaw(reply, {
          meta: { found: page.length, limit: q.limit, next: rows.length > q.limit ? String(page[page.length - 1]!.id) : null },
          results: page,
        });
      },
    );
    app.get(
      '/dead-letters/counts',
      {
        config: { permission: 'deadletters:read' },
        schema: {
          tags: ['operations'],
          summary: 'Dead letters per reason (and per device with by=device) since a time',
          security: secured,
          querystring: z.object({ since: isoTime, by: z.enum(['reason', 'device']).default('reason') }),
          response: { 200: envelope(z.object({ reason: z.string(), deviceId: z.string().nullable(), n: z.number().int() })), ...problems },
        },
      },
      async (req) => {
        const rows = await repos.deadLetters.counts(new Date(req.query.since).toISOString(), req.query.by === 'device');
        return { meta: { found: rows.length }, results: rows };
      },
    );
    done();
  };
}
