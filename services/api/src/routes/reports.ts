import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { REPORT_PERIODS, streetOfficeReport, type Principal, type ReportPeriod, type StreetOfficeReportEntry } from '@voc/core';
import { ERRORS, VocError } from '@voc/domain';
import { principalOf, type RouteContext } from '../app.js';
import { isoTime, metricId, officeId, problems, secured, sendRaw } from '../schemas.js';

/** CSV columns of the street-office report, in order. */
const CSV_COLUMNS = [
  'period_start',
  'period_end',
  'metric',
  'rank',
  'street_office_id',
  'street_office_name',
  'unit',
  'ref_state',
  'mean',
  'hours_with_data',
  'exceedance_hours',
  'threshold',
  'threshold_source',
  'hotspots_opened',
  'tasks_opened',
  'tasks_resolved',
  'tasks_overdue',
  'median_hours_to_resolve',
] as const;

const csvCell = (v: string | number | null) => {
  const s = v === null ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

/** One report entry as a CSV line (columns of {@link CSV_COLUMNS}). */
function csvLine(e: StreetOfficeReportEntry): string {
  return [
    e.period.start,
    e.period.end,
    e.metric,
    e.rank,
    e.streetOffice.id,
    e.streetOffice.name,
    e.unit,
    e.refState,
    e.mean,
    e.hoursWithData,
    e.exceedanceHours,
    e.threshold?.value ?? null,
    e.threshold?.source ?? null,
    e.hotspotsOpened,
    e.tasks.opened,
    e.tasks.resolved,
    e.tasks.overdue,
    e.tasks.medianHoursToResolve,
  ]
    .map(csvCell)
    .join(',');
}

/** Street offices the report covers: the key's scope, narrowed by the filter (outside the scope: 403). */
function reportOffices(p: Principal, filter: string[] | undefined): string[] | undefined {
  if (!p.streetOffices) return filter;
  const outside = (filter ?? []).filter((o) => !p.streetOffices!.includes(o));
  if (outside.length)
    throw new VocError(
      ERRORS.forbidden.code,
      `street_office: ${outside.join(', ')} outside this key's street offices (${p.streetOffices.join(', ')})`,
    );
  return filter ?? [...p.streetOffices];
}

const entrySchema = z.object({
  period: z.object({ start: z.string(), end: z.string() }),
  streetOffice: z.object({ id: z.string(), name: z.string() }),
  metric: z.string(),
  unit: z.string(),
  refState: z.string(),
  mean: z.number().nullable(),
  hoursWithData: z.number().int(),
  exceedanceHours: z.number().int().nullable(),
  threshold: z.object({ value: z.number(), source: z.string() }).nullable(),
  hotspotsOpened: z.number().int(),
  tasks: z.object({
    opened: z.number().int(),
    resolved: z.number().int(),
    overdue: z.number().int(),
    medianHoursToResolve: z.number().nullable(),
  }),
  rank: z.number().int(),
});

/** Street-office reports (the district plan's ranking), JSON or CSV. */
export function reportRoutes(ctx: RouteContext): FastifyPluginCallbackZod {
  const { repos, config } = ctx.deps;
  const settings = { ...config.reports, maxRangeDays: config.api.maxRangeDays };
  return (app, _opts, done) => {
    app.get(
      '/reports/street-offices',
      {
        config: { permission: 'reports:read' },
        schema: {
          tags: ['reports'],
          summary:
            'Per street office, period and metric: mean, exceedance hours, hotspots opened, tasks opened/resolved/overdue, median time to resolve, ranked (1 = worst)',
          security: secured,
          querystring: z.object({
            datetime_from: isoTime,
            datetime_to: isoTime,
            metric: z
              .string()
              .transform((s) => s.split(',').map((v) => v.trim()))
              .pipe(z.array(metricId).min(1).max(16))
              .optional()
              .describe(`comma-separated metric ids (default: the hotspot metrics, ${config.hotspot.metrics.join(', ')})`),
            street_office: z
              .string()
              .transform((s) => s.split(',').map((v) => v.trim()))
              .pipe(z.array(officeId).min(1).max(100))
              .optional()
              .describe('comma-separated street office ids (default: all, or the key’s own)'),
            period: z
              .enum(REPORT_PERIODS as unknown as readonly [ReportPeriod, ...ReportPeriod[]])
              .default('all')
              .describe(`all (the whole range), or day, week, month in ${config.reports.timeZone}`),
            format: z.enum(['json', 'csv']).default('json'),
          }),
          response: {
            200: z.object({
              meta: z.object({
                found: z.number().int(),
                datetime_from: z.string(),
                datetime_to: z.string(),
                period: z.string(),
                timezone: z.string(),
                task_due_hours: z.number(),
                ranking: z.string(),
              }),
              results: z.array(entrySchema),
            }),
            ...problems,
          },
        },
      },
      async (req, reply) => {
        const q = req.query;
        const rows = await streetOfficeReport(
          { store: repos.reports, jurisdictions: repos.jurisdictions, devices: repos.devices },
          {
            from: q.datetime_from,
            to: q.datetime_to,
            metrics: q.metric ?? config.hotspot.metrics,
            period: q.period,
            offices: reportOffices(principalOf(req), q.street_office),
          },
          settings,
          ctx.clock(),
        );
        if (q.format === 'csv') {
          const body = [CSV_COLUMNS.join(','), ...rows.map(csvLine)].join('\n') + '\n';
          reply.header('content-disposition', 'attachment; filename="street-offices.csv"');
          return sendRaw(reply, body, 'text/csv; charset=utf-8');
        }
        return sendRaw(reply, {
          meta: {
            found: rows.length,
            datetime_from: new Date(q.datetime_from).toISOString(),
            datetime_to: new Date(q.datetime_to).toISOString(),
            period: q.period,
            timezone: config.reports.timeZone,
            task_due_hours: config.reports.taskDueHours,
            ranking: 'per period and metric, 1 = worst: exceedance hours, then mean, then hotspots opened',
          },
          results: rows,
        });
      },
    );
    done();
  };
}
