import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { API_ROLES, createApiKey, listApiKeys, registerWebhook, revokeApiKey } from '@voc/core';
import { ALERT_TYPES, ERRORS, VocError } from '@voc/domain';
import { principalOf, type RouteContext } from '../app.js';
import { envelope, idParam, isoTime, officeId, problems, secured, sendRaw } from '../schemas.js';
import { actorOf } from './enforcement.js';

const keySchema = z.object({
  id: z.number().int(),
  prefix: z.string(),
  role: z.enum(API_ROLES),
  label: z.string().nullable(),
  team: z.string().nullable(),
  streetOffices: z.array(z.string()).readonly().nullable(),
  createdAt: z.string(),
  createdBy: z.string(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
});

const hookSchema = z.object({
  id: z.number().int(),
  url: z.string(),
  eventTypes: z.array(z.string()).readonly(),
  enabled: z.boolean(),
  failures: z.number().int(),
  disabledAt: z.string().nullable(),
  createdAt: z.string(),
  createdBy: z.string(),
  cursor: z.number().int(),
});

/** Admin routes: API keys (shown once) and webhook registration with its delivery log. */
export function adminRoutes(ctx: RouteContext): FastifyPluginCallbackZod {
  const { repos, config } = ctx.deps;
  return (app, _opts, done) => {
    app.post(
      '/keys',
      {
        config: { permission: 'keys:admin' },
        schema: {
          tags: ['admin'],
          summary: 'Creates an API key; the key is in this answer only',
          security: secured,
          body: z.object({
            role: z.enum(API_ROLES),
            label: z.string().max(200).optional(),
            team: z.string().max(200).optional(),
            streetOffices: z.array(officeId).max(50).optional(),
            expiresAt: isoTime.nullable().optional().describe('null: never; absent: VOC_API_KEY_DEFAULT_DAYS from now'),
          }),
          response: { 201: z.object({ key: z.string(), record: keySchema }), ...problems },
        },
      },
      async (req, reply) => {
        const r = await createApiKey(
          repos.apiKeys,
          { ...req.body, createdBy: actorOf(principalOf(req)) },
          ctx.clock(),
          config.api.keyDefaultDays,
        );
        return reply.code(201).send(r);
      },
    );
    app.get(
      '/keys',
      {
        config: { permission: 'keys:admin' },
        schema: {
          tags: ['admin'],
          summary: 'Every API key (never a secret)',
          security: secured,
          response: { 200: envelope(keySchema), ...problems },
        },
      },
      async () => {
        const rows = await listApiKeys(repos.apiKeys);
        return { meta: { found: rows.length }, results: rows };
      },
    );
    app.delete(
      '/keys/:id',
      {
        config: { permission: 'keys:admin' },
        schema: {
          tags: ['admin'],
          summary: 'Revokes a key',
          security: secured,
          params: idParam,
          response: { 200: keySchema, ...problems },
        },
      },
      async (req) => revokeApiKey(repos.apiKeys, String(req.params.id)),
    );

    app.post(
      '/webhooks',
      {
        config: { permission: 'webhooks:admin' },
        schema: {
          tags: ['admin'],
          summary: 'Registers a webhook URL for alerts; the signing secret is in this answer only',
          security: secured,
          body: z.strictObject({ url: z.string().max(2000), eventTypes: z.array(z.enum(ALERT_TYPES)).optional() }),
          response: { 201: z.object({ webhook: hookSchema, secret: z.string() }), ...problems },
        },
      },
      async (req, reply) =>
        reply
          .code(201)
          .send(
            await registerWebhook(
              repos.webhooks,
              repos.alertLog,
              { ...req.body, createdBy: actorOf(principalOf(req)) },
              { allowPrivate: ctx.deps.config.webhooks.allowPrivate },
            ),
          ),
    );
    app.get(
      '/webhooks',
      {
        config: { permission: 'webhooks:admin' },
        schema: {
          tags: ['admin'],
          summary: 'Registered webhooks',
          security: secured,
          response: { 200: envelope(hookSchema), ...problems },
        },
      },
      async () => {
        const rows = await repos.webhooks.list();
        return { meta: { found: rows.length }, results: rows };
      },
    );
    app.put(
      '/webhooks/:id/enabled',
      {
        config: { permission: 'webhooks:admin' },
        schema: {
          tags: ['admin'],
          summary: 'Enables (resetting the failure count) or disables a webhook',
          security: secured,
          params: idParam,
          body: z.object({ enabled: z.boolean() }),
          response: { 200: hookSchema, ...problems },
        },
      },
      async (req) => {
        const h = await repos.webhooks.setEnabled(req.params.id, req.body.enabled);
        if (!h) throw new VocError(ERRORS.not_found.code, `webhook ${req.params.id} does not exist`);
        return h;
      },
    );
    app.get(
      '/webhooks/:id/deliveries',
      {
        config: { permission: 'webhooks:admin' },
        schema: {
          tags: ['admin'],
          summary: 'Delivery log of a webhook, newest first',
          security: secured,
          params: idParam,
          querystring: z.object({ limit: z.coerce.number<string>().int().min(1).max(1000).default(100) }),
          response: { 200: envelope(z.record(z.string(), z.unknown())), ...problems },
        },
      },
      async (req, reply) => {
        if (!(await repos.webhooks.get(req.params.id)))
          throw new VocError(ERRORS.not_found.code, `webhook ${req.params.id} does not exist`);
        const rows = await repos.webhooks.deliveries(req.params.id, req.query.limit);
        return sendRaw(reply, { meta: { found: rows.length }, results: rows });
      },
    );
    done();
  };
}
