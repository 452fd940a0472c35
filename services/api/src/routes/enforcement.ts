import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  assignTask,
  commentTask,
  getTask,
  inScope,
  listTasks,
  taskReadings,
  transitionTask,
  type LoggedAlert,
  type Principal,
} from '@voc/core';
import { ERRORS, VocError } from '@voc/domain';
import { TASK_STATES } from '@voc/hotspot';
import { principalOf, type RouteContext } from '../app.js';
import {
  csvEnum,
  envelope,
  h3Cell,
  idParam,
  isoTime,
  limit,
  metricId,
  officeId,
  problems,
  secured,
  sendIdPage,
  sendRaw,
} from '../schemas.js';
import { problemSchema } from '../problem.js';

/** Who did it, for the audit trail: the key's prefix and its team. */
export function actorOf(p: Principal): string {
  return p.team ? `${p.team} (key ${p.prefix})` : `key ${p.prefix}`;
}

/** Street offices a list is limited to: the key's scope, narrowed by the `street_office` filter. */
function offices(p: Principal, filter: string | undefined): string[] | undefined {
  if (!p.streetOffices) return filter ? [filter] : undefined;
  if (filter && !p.streetOffices.includes(filter))
    throw new VocError(
      ERRORS.forbidden.code,
      `street_office: ${filter} is outside this key's street offices (${p.streetOffices.join(', ')})`,
    );
  return filter ? [filter] : [...p.streetOffices];
}

/** SSE keep-alive period (ms): proxies close idle connections. */
const HEARTBEAT_MS = 15_000;

/**
 * Enforcement: hotspots and tasks (listed, filtered, detail with evidence), transitions (illegal:
 * 409), comments, assignment, and the live alert stream (SSE, resumable with Last-Event-ID).
 */
export function enforcementRoutes(ctx: RouteContext): FastifyPluginCallbackZod {
  const { repos } = ctx.deps;
  const pageLimit = limit(100, 1000);
  const anyObj = z.record(z.string(), z.unknown());

  async function scopedTask(p: Principal, id: number) {
    const t = await getTask(repos.tasks, id);
    if (!inScope(p, t.streetOffice?.id))
      throw new VocError(ERRORS.forbidden.code, `task ${id} belongs to a street office outside this key's scope`);
    return t;
  }

  return (app, _opts, done) => {
    app.get(
      '/hotspots',
      {
        config: { permission: 'hotspots:read' },
        schema: {
          tags: ['enforcement'],
          summary: 'Hotspots, newest first, by state, metric, cell, opened window and street office',
          security: secured,
          querystring: z.object({
            state: csvEnum(['open', 'cleared', 'withdrawn'] as const, 'hotspot state').optional(),
            metric: metricId.optional(),
            cell: h3Cell.optional(),
            datetime_from: isoTime.optional(),
            datetime_to: isoTime.optional(),
            street_office: officeId.optional(),
            limit: pageLimit,
            cursor: z.coerce.number<string>().int().positive().optional().describe('meta.next of the previous page'),
          }),
          response: { 200: envelope(anyObj), ...problems },
        },
      },
      async (req, reply) => {
        const q = req.query;
        const rows = await repos.hotspots.list({
          states: q.state,
          metric: q.metric,
          cell: q.cell,
          from: q.datetime_from,
          to: q.datetime_to,
          streetOffices: offices(principalOf(req), q.street_office),
          beforeId: q.cursor,
          limit: q.limit + 1,
        });
        return sendIdPage(reply, rows, q.limit);
      },
    );

    app.get(
      '/tasks',
      {
        config: { permission: 'tasks:read' },
        schema: {
          tags: ['enforcement'],
          summary: 'Trace-to-source tasks, newest first, by state, street office, metric, time, cell and candidate facility',
          security: secured,
          querystring: z.object({
            state: csvEnum(TASK_STATES, 'task state').optional(),
            metric: metricId.optional(),
            cell: h3Cell.optional(),
            facility: z
              .string()
              .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'is not a facility id')
              .optional(),
            datetime_from: isoTime.optional(),
            datetime_to: isoTime.optional(),
            street_office: officeId.optional(),
            limit: pageLimit,
            cursor: z.coerce.number<string>().int().positive().optional(),
          }),
          response: { 200: envelope(anyObj), ...problems },
        },
      },
      async (req, reply) => {
        const q = req.query;
        const rows = await listTasks(repos.tasks, {
          states: q.state,
          metric: q.metric,
          cell: q.cell,
          facilityId: q.facility,
          from: q.datetime_from,
          to: q.datetime_to,
          streetOffices: offices(principalOf(req), q.street_office),
          beforeId: q.cursor,
          limit: q.limit + 1,
        });
        return sendIdPage(reply, rows, q.limit);
      },
    );

    app.get(
      '/tasks/:id',
      {
        config: { permission: 'tasks:read' },
        schema: {
          tags: ['enforcement'],
          summary:
            'One task with its evidence (cell statistics, top devices, wind, candidates, peak readings), the readings behind it (its cell, its windows, at most 1000) and audit trail',
          security: secured,
          params: idParam,
          response: { 200: anyObj, ...problems },
        },
      },
      async (req, reply) => {
        const t = await scopedTask(principalOf(req), req.params.id);
        return sendRaw(reply, { ...t, readings: await taskReadings(repos.tasks, t) });
      },
    );

    app.post(
      '/tasks/:id/transitions',
      {
        config: { permission: 'tasks:write' },
        schema: {
          tags: ['enforcement'],
          summary: 'Moves a task along its lifecycle; an illegal move is 409',
          security: secured,
          params: idParam,
          body: z.object({
            to: z.enum(TASK_STATES),
            finding: z.enum(['source_found_and_handled', 'no_source_found', 'measurement_fault']).optional(),
            note: z.string().max(2000).optional(),
          }),
          response: { 200: anyObj, ...problems, 409: problemSchema },
        },
      },
      async (req, reply) => {
        const p = principalOf(req);
        await scopedTask(p, req.params.id);
        const t = await transitionTask(repos.tasks, req.params.id, req.body.to, {
          actor: actorOf(p),
          finding: req.body.finding ?? null,
          note: req.body.note ?? null,
        });
        return sendRaw(reply, t);
      },
    );

    app.post(
      '/tasks/:id/comments',
      {
        config: { permission: 'tasks:write' },
        schema: {
          tags: ['enforcement'],
          summary: 'Adds a comment to the task audit trail',
          security: secured,
          params: idParam,
          body: z.object({ note: z.string().min(1).max(4000) }),
          response: { 201: anyObj, ...problems },
        },
      },
      async (req, reply) => {
        const p = principalOf(req);
        await scopedTask(p, req.params.id);
        return sendRaw(reply.code(201), await commentTask(repos.tasks, req.params.id, actorOf(p), req.body.note));
      },
    );

    app.put(
      '/tasks/:id/assignee',
      {
        config: { permission: 'tasks:write' },
        schema: {
          tags: ['enforcement'],
          summary: 'Assigns the task (null unassigns), recorded in the audit trail',
          security: secured,
          params: idParam,
          body: z.object({ assignee: z.string().min(1).max(200).nullable(), note: z.string().max(2000).optional() }),
          response: { 200: anyObj, ...problems },
        },
      },
      async (req, reply) => {
        const p = principalOf(req);
        await scopedTask(p, req.params.id);
        return sendRaw(reply, await assignTask(repos.tasks, req.params.id, actorOf(p), req.body.assignee, req.body.note));
      },
    );

    app.get(
      '/alerts/stream',
      {
        config: { permission: 'alerts:read' },
        schema: {
          tags: ['enforcement'],
          summary:
            'Live alerts as Server-Sent Events (event id = alert outbox id). Reconnect with Last-Event-ID (or ?last_event_id=) to get every alert after it, across API restarts',
          security: secured,
          querystring: z.object({ last_event_id: z.coerce.number<string>().int().min(0).optional() }),
          headers: z
            .object({
              'last-event-id': z
                .string()
                .regex(/^\d{1,18}$/, 'is not an event id this stream sent')
                .optional(),
            })
            .passthrough(),
          response: { 200: z.string().describe('text/event-stream'), ...problems },
        },
      },
      (req, reply) => {
        const p = principalOf(req);
        const headerId = req.headers['last-event-id'];
        let last = Number(typeof headerId === 'string' ? headerId : (req.query.last_event_id ?? -1));
        const fromNow = last < 0;
        const visible = (a: LoggedAlert) => {
          const so = (a.payload.streetOffice as { id?: string } | null | undefined)?.id;
          return !p.streetOffices || (so !== undefined && p.streetOffices.includes(so));
        };
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        res.write(`retry: 3000\n\n`);
        const send = (a: LoggedAlert) => {
          if (a.id <= last) return;
          last = a.id;
          if (visible(a)) res.write(`id: ${a.id}\nevent: ${String(a.payload.type)}\ndata: ${JSON.stringify(a.payload)}\n\n`);
          else res.write(`id: ${a.id}\n: not in scope\n\n`);
        };
        // Subscribe before replaying, buffering live alerts, so none falls between replay and live.
        let buffer: LoggedAlert[] | null = [];
        const unsubscribe = ctx.deps.alerts.subscribe((a) => (buffer ? buffer.push(a) : send(a)));
        ctx.metrics.sseClients.inc();
        const heartbeat = setInterval(() => res.write(`: keep-alive\n\n`), HEARTBEAT_MS);
        let closed = false;
        res.on('close', () => {
          closed = true;
          clearInterval(heartbeat);
          unsubscribe();
          ctx.metrics.sseClients.dec();
        });
        void (async () => {
          try {
            if (fromNow) last = await repos.alertLog.lastId();
            for (;;) {
              const page = await repos.alertLog.after(last, 500);
              for (const a of page) send(a);
              if (page.length < 500 || closed) break;
            }
          } catch (err) {
            ctx.deps.log.warn({ err }, 'alert stream replay failed');
            res.end();
          }
          const held = buffer ?? [];
          buffer = null;
          for (const a of held) send(a);
        })();
      },
    );
    done();
  };
}
