import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bucketSeries, unitView } from '@voc/core';
import type { RouteContext } from '../app.js';
import { AnswerCache } from '../coalesce.js';
import { deviceId, envelope, isoTime, metricId, officeId, problems, secured, sendRaw } from '../schemas.js';
import { officeDevices, requireDeviceWhenEmpty, seriesLimits } from './series-support.js';

/**
 * Analysts' aggregates: bucketed aggregates of one device with coverage, and the latest value per
 * device. Identical concurrent requests share one query and one serialised answer; buckets of a range
 * closed for longer than the allowed lateness no longer change and are kept a minute (README "HTTP API").
 */
export function aggregateRoutes(ctx: RouteContext): FastifyPluginCallbackZod {
  const { repos, config } = ctx.deps;
  const answers = new AnswerCache({ maxEntries: 256, maxChars: 64 * 1024 * 1024, ttlMs: 60_000, clock: ctx.clock });
  const { lim, pageLimit } = seriesLimits(config);

  return (app, _opts, done) => {
    const bucketSchema = z.object({
      bucket: z.string(),
      bucketEnd: z.string(),
      count: z.number().int(),
      avg: z.number(),
      min: z.number(),
      max: z.number(),
      p90: z.number().nullable().describe('null where served from the hourly continuous aggregate'),
      expected: z.number().int().nullable(),
      coverage: z.number().nullable().describe('present / expected readings, at most 1'),
    });

    app.get(
      '/devices/:id/buckets',
      {
        config: { permission: 'series:read' },
        schema: {
          tags: ['series'],
          summary: 'Bucketed aggregates (avg, min, max, count, p90) of one metric with coverage per bucket',
          security: secured,
          params: z.object({ id: deviceId }),
          querystring: z.object({
            metric: metricId,
            datetime_from: isoTime,
            datetime_to: isoTime,
            bucket: z.coerce
              .number<string>()
              .int()
              .min(1, 'at least 1 minute')
              .max(525_600)
              .default(60)
              .describe('bucket width in minutes (≥ 1)'),
            unit: z.string().max(16).optional(),
          }),
          response: {
            200: envelope(bucketSchema, {
              metric: z.string(),
              unit: z.string(),
              refState: z.string(),
              source: z.string(),
              cadenceS: z.number().nullable(),
            }),
            ...problems,
          },
        },
      },
      async (req, reply) => {
        const q = req.query;
        const key = JSON.stringify(['buckets', req.params.id, q.metric, q.datetime_from, q.datetime_to, q.bucket, q.unit ?? null]);
        const closed = Date.parse(q.datetime_to) < ctx.clock() - config.ingest.allowedLatenessMs;
        const body = await answers.get(key, closed, async () => {
          const r = await bucketSeries(
            repos.series,
            { deviceId: req.params.id, metric: q.metric, from: q.datetime_from, to: q.datetime_to, widthMinutes: q.bucket, unit: q.unit },
            { ...lim, maxAggregateDays: config.api.maxExportDays },
          );
          const meta = {
            found: r.rows.length,
            metric: q.metric,
            unit: r.view.unit,
            refState: r.view.refState,
            source: r.source,
            cadenceS: r.cadenceS,
          };
          await requireDeviceWhenEmpty(repos, req.params.id, r.rows.length === 0);
          return JSON.stringify({ meta, results: r.rows });
        });
        return sendRaw(reply, body);
      },
    );

    app.get(
      '/latest',
      {
        config: { permission: 'series:read' },
        schema: {
          tags: ['series'],
          summary: 'Latest value of a metric per device; stale values (older than max_age) are left out unless include_stale',
          security: secured,
          querystring: z.object({
            metric: metricId,
            max_age: z.coerce
              .number<string>()
              .int()
              .min(1)
              .max(30 * 86_400)
              .optional()
              .describe('seconds; default VOC_API_STALE_AFTER_S'),
            include_stale: z.enum(['true', 'false']).default('false'),
            street_office: officeId.optional(),
            unit: z.string().max(16).optional(),
            limit: pageLimit,
          }),
          response: {
            200: envelope(
              z.object({
                deviceId: z.string(),
                kind: z.string(),
                metric: z.string(),
                time: z.string(),
                value: z.number(),
                unit: z.string(),
                refState: z.string(),
                lat: z.number().nullable(),
                lon: z.number().nullable(),
                ageS: z.number(),
                stale: z.boolean(),
              }),
            ),
            ...problems,
          },
        },
      },
      async (req, reply) => {
        const q = req.query;
        const view = unitView(q.metric, q.unit);
        const key = JSON.stringify([
          'latest',
          q.metric,
          q.max_age ?? null,
          q.include_stale,
          q.street_office ?? null,
          q.unit ?? null,
          q.limit,
        ]);
        // Never kept (it changes with every reading); identical requests in flight share one answer.
        const body = await answers.get(key, false, async () => {
          const now = ctx.clock();
          const maxAge = q.max_age ?? config.api.staleAfterS;
          // A stale window of 30 days bounds the index probe when stale values are included.
          const since = new Date(now - (q.include_stale === 'true' ? 30 * 86_400 : maxAge) * 1000).toISOString();
          const ids = q.street_office ? await officeDevices(repos, q.street_office) : undefined;
          const rows = await repos.series.latest({ metric: q.metric, deviceIds: ids, since, limit: q.limit });
          const results = rows.map((r) => {
            const ageS = Math.max(0, (now - Date.parse(r.time)) / 1000);
            return { ...r, value: r.value * view.factor, unit: view.unit, ageS, stale: ageS > maxAge };
          });
          return JSON.stringify({ meta: { found: results.length, limit: q.limit }, results });
        });
        return sendRaw(reply, body);
      },
    );
    done();
  };
}
