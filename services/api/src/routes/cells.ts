import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bucketSeries, checkRange, unitView } from '@voc/core';
import { ERRORS, VocError } from '@voc/domain';
import { cellPolygon } from '@voc/hotspot';
import type { RouteContext } from '../app.js';
import { envelope, h3Cell, isoTime, metricId, problems, secured, sendRaw } from '../schemas.js';

const cellStats = z.object({
  cell: z.string(),
  windowStart: z.string(),
  n: z.number().int(),
  devices: z.number().int(),
  mean: z.number(),
  median: z.number(),
  p90: z.number(),
  max: z.number(),
  eligible: z.boolean(),
  high: z.boolean(),
  ratio: z.number().nullable(),
  robustZ: z.number().nullable(),
  giStar: z.number().nullable(),
  hotspot: z.enum(['open', 'none']),
});

/** Most cell polygons kept (a res-8 district grid is a few thousand; 10,000-cell maps fit). */
const POLYGON_CACHE_MAX = 50_000;

/** H3 cell polygons never change: computed once per cell (cellToBoundary is the cell map's main CPU cost). */
function polygonCache(): (cell: string) => ReturnType<typeof cellPolygon> {
  const cache = new Map<string, ReturnType<typeof cellPolygon>>();
  return (cell) => {
    let p = cache.get(cell);
    if (!p) {
      p = cellPolygon(cell);
      if (cache.size >= POLYGON_CACHE_MAX) cache.delete(cache.keys().next().value!);
      cache.set(cell, p);
    }
    return p;
  };
}

/** Per-cell series and the cell map (GeoJSON FeatureCollection of H3 polygons with statistics and hotspot state). */
export function cellRoutes(ctx: RouteContext): FastifyPluginCallbackZod {
  const { repos, config } = ctx.deps;
  const polygonOf = polygonCache();
  const series = {
    resolution: z.coerce
      .number<string>()
      .int()
      .min(7)
      .max(10)
      .default(config.hotspot.resolution)
      .describe('H3 resolution of the grid (7-10)'),
    window_minutes: z.coerce.number<string>().int().min(1).max(1440).default(config.hotspot.windowMinutes),
  };
  return (app, _opts, done) => {
    app.get(
      '/cells/map',
      {
        config: { permission: 'cells:read' },
        schema: {
          tags: ['cells'],
          summary: 'The hotspot grid of one window as GeoJSON: H3 cell polygons with statistics and hotspot state',
          security: secured,
          querystring: z.object({
            metric: metricId,
            window_start: isoTime.optional().describe('default: the newest evaluated window'),
            unit: z.string().max(16).optional(),
            ...series,
          }),
          response: {
            200: z.object({
              type: z.literal('FeatureCollection'),
              meta: z.object({
                metric: z.string(),
                unit: z.string(),
                refState: z.string(),
                windowStart: z.string().nullable(),
                found: z.number().int(),
              }),
              features: z.array(z.object({ type: z.literal('Feature'), id: z.string(), geometry: z.unknown(), properties: cellStats })),
            }),
            ...problems,
          },
        },
      },
      async (req, reply) => {
        const q = req.query;
        const view = unitView(q.metric, q.unit);
        const s = { metric: q.metric, resolution: q.resolution, windowMinutes: q.window_minutes };
        const windowStart = q.window_start
          ? new Date(q.window_start).toISOString()
          : await repos.series.lastWindow({ ...s, before: new Date(ctx.clock()).toISOString() });
        const rows = windowStart ? await repos.series.cellMap({ ...s, windowStart }) : [];
        const f = view.factor;
        const features = rows.map((r) => ({
          type: 'Feature' as const,
          id: r.cell,
          geometry: polygonOf(r.cell),
          properties: { ...r, mean: r.mean * f, median: r.median * f, p90: r.p90 * f, max: r.max * f },
        }));
        const body = {
          type: 'FeatureCollection',
          meta: { metric: q.metric, unit: view.unit, refState: view.refState, windowStart, found: rows.length },
          features,
        };
        return sendRaw(reply, body, 'application/geo+json');
      },
    );

    app.get(
      '/cells/:cell/series',
      {
        config: { permission: 'cells:read' },
        schema: {
          tags: ['cells'],
          summary: 'Evaluated window statistics of one cell over a range (the hotspot grid), or raw buckets with bucket=',
          security: secured,
          params: z.object({ cell: h3Cell }),
          querystring: z.object({
            metric: metricId,
            datetime_from: isoTime,
            datetime_to: isoTime,
            unit: z.string().max(16).optional(),
            bucket: z.coerce
              .number<string>()
              .int()
              .min(1)
              .max(525_600)
              .optional()
              .describe('minutes: aggregate raw readings of the cell instead'),
            ...series,
          }),
          response: { 200: envelope(z.record(z.string(), z.unknown()), { unit: z.string(), refState: z.string() }), ...problems },
        },
      },
      async (req, reply) => {
        const q = req.query;
        const view = unitView(q.metric, q.unit);
        if (q.bucket !== undefined) {
          const r = await bucketSeries(
            repos.series,
            { cell: req.params.cell, metric: q.metric, from: q.datetime_from, to: q.datetime_to, widthMinutes: q.bucket, unit: q.unit },
            {
              maxPage: config.api.maxPage,
              maxRangeDays: config.api.maxRangeDays,
              maxBuckets: config.api.maxBuckets,
              maxAggregateDays: config.api.maxExportDays,
            },
          );
          return sendRaw(reply, { meta: { found: r.rows.length, unit: view.unit, refState: view.refState }, results: r.rows });
        }
        const range = checkRange(q.datetime_from, q.datetime_to, config.api.maxExportDays);
        const res = Number((BigInt(`0x${req.params.cell}`) >> 52n) & 15n);
        if (res !== q.resolution)
          throw new VocError(ERRORS.invalid_request.code, `cell: ${req.params.cell} is at resolution ${res}, not ${q.resolution}`);
        const rows = await repos.series.cellSeries({
          metric: q.metric,
          resolution: q.resolution,
          windowMinutes: q.window_minutes,
          cell: req.params.cell,
          from: range.from,
          to: range.to,
        });
        const f = view.factor;
        const results = rows.map((r) => ({ ...r, mean: r.mean * f, median: r.median * f, p90: r.p90 * f, max: r.max * f }));
        return sendRaw(reply, { meta: { found: results.length, unit: view.unit, refState: view.refState }, results });
      },
    );
    done();
  };
}
