import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { importFacilities, importJurisdictions } from '@voc/core';
import {
  DEVICE_KINDS,
  DEVICE_STATUSES,
  deviceIdSchema,
  deviceInputSchema,
  ERRORS,
  REJECT_REASON_LIST,
  SENSOR_TYPES,
  VocError,
  type Device,
} from '@voc/domain';
import { parseFacilitiesCsv, parseFacilitiesGeoJson, parseJurisdictionsGeoJson } from '@voc/hotspot';
import type { RouteContext } from '../app.js';
import { problemSchema } from '../problem.js';
import { deviceId, envelope, isoTime, limit, problems, secured, sendIdPage } from '../schemas.js';

const deviceSchema = z.object({
  id: z.string(),
  kind: z.enum(DEVICE_KINDS),
  status: z.enum(DEVICE_STATUSES),
  name: z.string().nullable(),
  sensor: z.string().nullable(),
  lat: z.number().nullable(),
  lon: z.number().nullable(),
  metadata: z.record(z.string(), z.unknown()),
});

/** What a new or rotated credential looks like: shown once, never stored in plain text. */
const credentialSchema = z.object({
  username: z.string(),
  password: z.string().describe('shown once: only its hash is stored'),
  topic: z.string(),
});

/** The descriptive fields of a device, as a request gives them. */
const deviceFields = {
  name: z.string().min(1).max(200).optional(),
  sensor: z.enum(SENSOR_TYPES).optional(),
  lat: z.number().min(-90).max(90).optional(),
  lon: z.number().min(-180).max(180).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
};

/** Body of the facility and jurisdiction imports: a file of the CLI's formats, as text. */
const importBody = z
  .object({
    format: z.enum(['csv', 'geojson']).describe('csv (facilities only) or geojson'),
    content: z
      .string()
      .min(1)
      .describe('the file, as `voc facilities import` / `voc jurisdictions import` read it (CSV text or a GeoJSON FeatureCollection)'),
  })
  .strict();

/** Runs a file parser; a parser error that is not already a precise VocError becomes a 400 naming `content`. */
function parsed<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof VocError) throw err;
    throw new VocError(ERRORS.invalid_request.code, `content: ${(err as Error).message}`);
  }
}

/** Refuses a file that names one id twice (one statement cannot insert and update the same row). */
function unique<T extends { id: string }>(items: T[]): T[] {
  const seen = new Set<string>();
  for (const [i, it] of items.entries()) {
    if (seen.has(it.id)) throw new VocError(ERRORS.invalid_request.code, `content: item ${i + 1} repeats id "${it.id}"`);
    seen.add(it.id);
  }
  return items;
}

const pathId = z.object({ id: deviceIdSchema });

/**
 * Operations: device registry and provisioning (credentials shown once), device health, dead
 * letters browsable by reason and device with their counts, check-sensor tasks, facility and
 * jurisdiction import.
 */
export function operationsRoutes(ctx: RouteContext): FastifyPluginCallbackZod {
  const { repos, provisioning } = ctx.deps;
  const reasons = REJECT_REASON_LIST as unknown as readonly [string, ...string[]];

  async function device(id: string): Promise<Device> {
    const d = await repos.devices.get(id);
    if (!d) throw new VocError(ERRORS.not_found.code, `id: no device "${id}"`);
    return d;
  }

  return (app, _opts, done) => {
    app.get(
      '/devices/:id',
      {
        config: { permission: 'devices:read' },
        schema: {
          tags: ['operations'],
          summary: 'One device of the registry (never its credential)',
          security: secured,
          params: pathId,
          response: { 200: deviceSchema, ...problems },
        },
      },
      async (req) => device(req.params.id),
    );

    app.post(
      '/devices',
      {
        config: { permission: 'devices:write' },
        schema: {
          tags: ['operations'],
          summary: 'Registers a device and issues its MQTT password (shown once); an existing id is 409',
          security: secured,
          body: z.object({ id: deviceIdSchema, kind: z.enum(DEVICE_KINDS), ...deviceFields }).strict(),
          response: {
            201: z.object({ device: deviceSchema, credentials: credentialSchema }),
            ...problems,
            409: problemSchema,
          },
        },
      },
      async (req, reply) => {
        const input = deviceInputSchema.safeParse(req.body);
        if (!input.success) {
          const i = input.error.issues[0]!;
          throw new VocError(ERRORS.invalid_request.code, `body.${i.path.join('.') || 'id'}: ${i.message}`);
        }
        if (await repos.devices.get(input.data.id))
          throw new VocError(ERRORS.conflict.code, `id: device "${input.data.id}" exists (PATCH /v1/devices/${input.data.id} changes it)`);
        const r = await provisioning.register([input.data]);
        const credentials = r.issued[input.data.id];
        if (!credentials) throw new VocError(ERRORS.conflict.code, `id: device "${input.data.id}" was registered concurrently`);
        reply.code(201).header('cache-control', 'no-store');
        return { device: await device(input.data.id), credentials };
      },
    );

    app.patch(
      '/devices/:id',
      {
        config: { permission: 'devices:write' },
        schema: {
          tags: ['operations'],
          summary:
            "Enables or disables a device (a disabled device's live connections are closed within a directory refresh) and changes its descriptive fields",
          security: secured,
          params: pathId,
          body: z
            .object({ status: z.enum(DEVICE_STATUSES).optional(), ...deviceFields })
            .strict()
            .refine((b) => Object.keys(b).length > 0, 'give at least one of status, name, sensor, lat, lon, metadata'),
          response: { 200: z.object({ device: deviceSchema }), ...problems },
        },
      },
      async (req) => {
        const cur = await device(req.params.id);
        const { status, ...fields } = req.body;
        if (Object.keys(fields).length) {
          const next = deviceInputSchema.safeParse({
            id: cur.id,
            kind: cur.kind,
            name: fields.name ?? cur.name ?? undefined,
            sensor: fields.sensor ?? cur.sensor ?? undefined,
            lat: fields.lat ?? cur.lat ?? undefined,
            lon: fields.lon ?? cur.lon ?? undefined,
            metadata: fields.metadata ?? cur.metadata,
          });
          if (!next.success) {
            const i = next.error.issues[0]!;
            throw new VocError(ERRORS.invalid_request.code, `body.${i.path.join('.')}: ${i.message}`);
          }
          await repos.devices.upsert([next.data]);
        }
        if (status && status !== cur.status) await provisioning.setStatus(cur.id, status);
        return { device: await device(cur.id) };
      },
    );

    app.post(
      '/devices/:id/credentials',
      {
        config: { permission: 'devices:write' },
        schema: {
          tags: ['operations'],
          summary: 'Issues a new MQTT password to a device (shown once; the old one stops working)',
          security: secured,
          params: pathId,
          response: { 201: z.object({ credentials: credentialSchema }), ...problems },
        },
      },
      async (req, reply) => {
        const cur = await device(req.params.id);
        const input = deviceInputSchema.parse({
          id: cur.id,
          kind: cur.kind,
          name: cur.name ?? undefined,
          sensor: cur.sensor ?? undefined,
          lat: cur.lat ?? undefined,
          lon: cur.lon ?? undefined,
          metadata: cur.metadata,
        });
        const r = await provisioning.register([input], { rotate: true });
        reply.code(201).header('cache-control', 'no-store');
        return { credentials: r.issued[cur.id]! };
      },
    );

    app.get(
      '/devices/:id/health',
      {
        config: { permission: 'health:read' },
        schema: {
          tags: ['operations'],
          summary: 'Last seen, message rate, clock skew and rejected inputs by reason over the last hours',
          security: secured,
          params: pathId,
          querystring: z.object({
            hours: z.coerce
              .number<string>()
              .int()
              .min(1)
              .max(168, 'at most 168 hours')
              .default(1)
              .describe('window, 1..168 hours (default 1)'),
          }),
          response: {
            200: z.object({
              deviceId: z.string(),
              status: z.enum(DEVICE_STATUSES),
              window: z.object({ from: z.string(), to: z.string(), hours: z.number().int() }),
              lastReadingAt: z.string().nullable(),
              lastReceivedAt: z.string().nullable(),
              messages: z.number().int(),
              readings: z.number().int(),
              messagesPerHour: z.number(),
              clockSkewS: z.number().nullable(),
              rejected: z.array(z.object({ reason: z.string(), n: z.number().int() })),
            }),
            ...problems,
          },
        },
      },
      async (req) => {
        const cur = await device(req.params.id);
        const to = new Date(ctx.clock());
        const from = new Date(to.getTime() - req.query.hours * 3_600_000);
        const hl = await repos.devices.health(cur.id, from.toISOString(), to.toISOString());
        return {
          deviceId: cur.id,
          status: cur.status,
          window: { from: from.toISOString(), to: to.toISOString(), hours: req.query.hours },
          ...hl,
          messagesPerHour: hl.messages / req.query.hours,
        };
      },
    );

    app.post(
      '/facilities/import',
      {
        config: { permission: 'registry:write' },
        schema: {
          tags: ['operations'],
          summary: 'Imports candidate sources (CSV or GeoJSON of `voc facilities import`); re-importing updates by id',
          security: secured,
          body: importBody,
          response: { 200: z.object({ inserted: z.number().int(), updated: z.number().int() }), ...problems },
        },
      },
      async (req) => {
        const { format, content } = req.body;
        const items = unique(parsed(() => (format === 'csv' ? parseFacilitiesCsv(content) : parseFacilitiesGeoJson(content))));
        return importFacilities(repos.facilities, items);
      },
    );

    app.post(
      '/jurisdictions/import',
      {
        config: { permission: 'registry:write' },
        schema: {
          tags: ['operations'],
          summary: 'Imports street-office areas (GeoJSON of `voc jurisdictions import`); re-importing updates by id',
          security: secured,
          body: importBody,
          response: { 200: z.object({ inserted: z.number().int(), updated: z.number().int() }), ...problems },
        },
      },
      async (req) => {
        const { format, content } = req.body;
        if (format !== 'geojson') throw new VocError(ERRORS.invalid_request.code, 'format: street-office areas are imported as geojson');
        return importJurisdictions(
          repos.jurisdictions,
          parsed(() => parseJurisdictionsGeoJson(content)),
        );
      },
    );

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
        return sendIdPage(reply, rows, q.limit);
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
    app.get(
      '/sensor-checks',
      {
        config: { permission: 'health:read' },
        schema: {
          tags: ['operations'],
          summary: 'Check-sensor tasks the hotspot grid raised (a sensor to check, not a source), newest first',
          description:
            'Reasons: `level_shift` (an excess without the fluctuations of a plume: a calibration step or drift), `stands_out_persistently` (20 of the last 24 windows), `stuck` (one value for a whole window). docs/hotspots.md.',
          security: secured,
          querystring: z.object({
            state: z.enum(['open', 'resolved', 'dismissed']).optional(),
            device_id: deviceId.optional(),
            reason: z.enum(['level_shift', 'stands_out_persistently', 'stuck']).optional(),
            limit: limit(100, 1000),
            cursor: z.coerce.number<string>().int().positive().optional(),
          }),
          response: { 200: envelope(z.record(z.string(), z.unknown())), ...problems },
        },
      },
      async (req, reply) => {
        const q = req.query;
        const rows = await repos.sensorChecks.list({
          state: q.state,
          deviceId: q.device_id,
          reason: q.reason,
          beforeId: q.cursor,
          limit: q.limit + 1,
        });
        return sendIdPage(reply, rows, q.limit);
      },
    );
    done();
  };
}
