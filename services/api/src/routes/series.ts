import { Readable } from 'node:stream';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { checkRange, metricOf, rawReadings, readingFeed, showReading, unitView } from '@voc/core';
import type { GeoFilter, ReadingRow } from '@voc/core';
import { ERRORS, VocError } from '@voc/domain';
import type { RouteContext } from '../app.js';
import { officeDevices, requireDeviceWhenEmpty, seriesLimits } from './series-support.js';
import {
  bbox,
  coordinates,
  cursor,
  deviceId,
  deviceKinds,
  envelope,
  isoTime,
  metricId,
  officeId,
  problems,
  secured,
  sendRaw,
} from '../schemas.js';

const readingSchema = z.object({
  time: z.string(),
  deviceId: z.string(),
  metric: z.string(),
  value: z.number(),
  unit: z.string(),
  rawValue: z.number(),
  rawUnit: z.string(),
  refState: z.string().describe('reference state of the value: reference (25 °C), standard (0 °C), actual or none'),
  qa: z.string(),
  lat: z.number().nullable(),
  lon: z.number().nullable(),
  storedAt: z.string(),
});

const deviceSchema = z.object({
  id: z.string(),
  kind: z.string(),
  status: z.string(),
  name: z.string().nullable(),
  sensor: z.string().nullable(),
  lat: z.number().nullable(),
  lon: z.number().nullable(),
  metrics: z.array(z.string()),
  lastSeen: z.string().nullable(),
  simulated: z.boolean().describe('true for devices of the simulator (their metadata says so)'),
});

const CSV_COLS = [
  'time',
  'deviceId',
  'metric',
  'value',
  'unit',
  'refState',
  'rawValue',
  'rawUnit',
  'qa',
  'lat',
  'lon',
  'storedAt',
] as const;
const csvCell = (v: string | number | null | undefined) => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

/**
 * Analysts' series (OpenAQ v3 shapes): devices, raw readings (keyset cursor), the storage-order feed
 * and streaming CSV/NDJSON export. The aggregates (buckets, latest) are in aggregates.ts.
 */
export function seriesRoutes(ctx: RouteContext): FastifyPluginCallbackZod {
  const { repos, config } = ctx.deps;
  const { lim, pageLimit } = seriesLimits(config);

  return (app, _opts, done) => {
    app.get(
      '/devices',
      {
        config: { permission: 'devices:read' },
        schema: {
          tags: ['series'],
          summary: 'Devices (locations), filtered by kind, metric, status, street office, bbox or coordinates+radius',
          security: secured,
          querystring: z.object({
            kind: deviceKinds.optional(),
            status: z.enum(['active', 'disabled']).optional(),
            metric: metricId.optional(),
            street_office: officeId.optional(),
            bbox: bbox.optional(),
            coordinates: coordinates.optional(),
            radius: z.coerce.number<string>().positive().max(25_000, 'at most 25000 m').optional().describe('metres, with coordinates'),
            limit: pageLimit,
            cursor: deviceId.optional().describe('the last id of the previous page (meta.next)'),
          }),
          response: { 200: envelope(deviceSchema), ...problems },
        },
      },
      async (req) => {
        const q = req.query;
        if (q.bbox && q.coordinates)
          throw new VocError(ERRORS.invalid_request.code, 'bbox: give either bbox or coordinates+radius, not both');
        if ((q.coordinates === undefined) !== (q.radius === undefined))
          throw new VocError(
            ERRORS.invalid_request.code,
            `${q.coordinates ? 'radius' : 'coordinates'}: coordinates and radius go together`,
          );
        if (q.metric) metricOf(q.metric);
        const geo: GeoFilter | undefined = q.bbox
          ? { bbox: q.bbox }
          : q.coordinates
            ? { lat: q.coordinates[0], lon: q.coordinates[1], radiusM: q.radius! }
            : undefined;
        const ids = q.street_office ? await officeDevices(repos, q.street_office) : undefined;
        const rows = await repos.series.devices({
          kinds: q.kind,
          status: q.status,
          metric: q.metric,
          geo,
          ids,
          limit: q.limit + 1,
          after: q.cursor,
        });
        const page = rows.slice(0, q.limit);
        return {
          meta: { found: page.length, limit: q.limit, next: rows.length > q.limit ? (page[page.length - 1]?.id ?? null) : null },
          results: page.map((d) => ({
            id: d.id,
            kind: d.kind,
            status: d.status,
            name: d.name ?? null,
            sensor: d.sensor ?? null,
            lat: d.lat ?? null,
            lon: d.lon ?? null,
            metrics: d.metrics,
            lastSeen: d.lastSeen,
            simulated: d.metadata?.simulated === true,
          })),
        };
      },
    );

    const rawQuery = z.object({
      metric: metricId.optional(),
      datetime_from: isoTime,
      datetime_to: isoTime,
      unit: z
        .string()
        .max(16)
        .optional()
        .describe('show values in this unit (conversion at the metric reference state); 400 if impossible'),
      limit: pageLimit,
      cursor: cursor.optional(),
    });

    app.get(
      '/devices/:id/readings',
      {
        config: { permission: 'series:read' },
        schema: {
          tags: ['series'],
          summary: 'Raw readings of a device in [datetime_from, datetime_to), oldest first, keyset-paginated',
          security: secured,
          params: z.object({ id: deviceId }),
          querystring: rawQuery,
          response: { 200: envelope(readingSchema), ...problems },
        },
      },
      async (req, reply) => {
        const q = req.query;
        const r = await rawReadings(
          repos.series,
          {
            deviceId: req.params.id,
            metric: q.metric,
            from: q.datetime_from,
            to: q.datetime_to,
            limit: q.limit,
            cursor: q.cursor,
            unit: q.unit,
          },
          lim,
        );
        await requireDeviceWhenEmpty(repos, req.params.id, r.rows.length === 0);
        // Large pages: serialised directly (the zod serializer re-validates each row; see README "HTTP API").
        return sendRaw(reply, { meta: { found: r.rows.length, limit: q.limit, next: r.next }, results: r.rows });
      },
    );

    app.get(
      '/devices/:id/readings/export',
      {
        config: { permission: 'export:read' },
        schema: {
          tags: ['export'],
          summary: 'Streams every reading of a device in the range as CSV or NDJSON (paged from the database, never held in memory)',
          security: secured,
          params: z.object({ id: deviceId }),
          querystring: z.object({
            metric: metricId.optional(),
            datetime_from: isoTime,
            datetime_to: isoTime,
            unit: z.string().max(16).optional(),
            format: z.enum(['csv', 'ndjson']).default('csv'),
          }),
          response: { 200: z.string().describe('text/csv or application/x-ndjson'), ...problems },
        },
      },
      async (req, reply) => {
        const q = req.query;
        const range = checkRange(q.datetime_from, q.datetime_to, config.api.maxExportDays);
        const view = q.metric ? unitView(q.metric, q.unit) : undefined;
        if (q.unit && !q.metric) throw new VocError(ERRORS.invalid_request.code, 'unit: a unit can only be asked for together with metric');
        const page = 5000;
        async function* rows(): AsyncGenerator<string> {
          if (q.format === 'csv') yield `${CSV_COLS.join(',')}\n`;
          let after: { time: string; metric: string } | undefined;
          for (;;) {
            const batch: ReadingRow[] = await repos.series.raw({
              deviceId: req.params.id,
              metric: q.metric,
              from: range.from,
              to: range.to,
              limit: page,
              after,
            });
            if (batch.length === 0) return;
            let out = '';
            for (const raw of batch) {
              const r = showReading(raw, view);
              out += q.format === 'csv' ? `${CSV_COLS.map((c) => csvCell(r[c])).join(',')}\n` : `${JSON.stringify(r)}\n`;
            }
            yield out;
            const last = batch[batch.length - 1]!;
            after = { time: last.time, metric: last.metric };
            if (batch.length < page) return;
          }
        }
        reply.header('content-disposition', `attachment; filename="${req.params.id}.${q.format}"`);
        return sendRaw(reply, Readable.from(rows()), q.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson');
      },
    );

    app.get(
      '/readings/feed',
      {
        config: { permission: 'series:read' },
        schema: {
          tags: ['series'],
          summary: 'Every stored reading once, in storage order (late data included): resume with stored_after = meta.next',
          security: secured,
          querystring: z.object({ stored_after: cursor.optional(), limit: pageLimit }),
          response: { 200: envelope(readingSchema), ...problems },
        },
      },
      async (req, reply) => {
        const r = await readingFeed(repos.series, { storedAfter: req.query.stored_after, limit: req.query.limit }, lim);
        const results = r.rows.map(({ position: _p, ...row }) => row);
        return sendRaw(reply, { meta: { found: results.length, limit: req.query.limit, next: r.next }, results });
      },
    );

    done();
  };
}
