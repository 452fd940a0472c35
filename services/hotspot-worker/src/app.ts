import { DelayedError, Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Producer } from 'kafkajs';
import type { Config } from '@voc/config';
import {
  AlertDispatcher,
  evaluateWindow,
  methodSettings,
  scheduleDue,
  traceSettings,
  type EvaluateOutcome,
  type EvaluationDeps,
  type EvaluationQueue,
  type ScheduleOutcome,
} from '@voc/core';
import { AlertOutboxRepository, EvaluationRepository, missingTables, ScheduleRepository, type Pool } from '@voc/db';
import {
  ERROR_CODES,
  evaluateJobSchema,
  JOB_NAMES,
  registerJobHandlers,
  tickJobSchema,
  tickSchedulerId,
  VocError,
  type EvaluateJob,
  type JobName,
  type Logger,
  type SeriesKey,
} from '@voc/domain';
import { windowMs } from '@voc/hotspot';
import { KafkaAlertSink } from '@voc/messaging';

/** Tables the worker needs (migrations/003_hotspots.sql); it refuses to start without them. */
export const REQUIRED_TABLES = [
  'readings',
  'devices',
  'hotspot_evaluations',
  'hotspot_evaluation_runs',
  'hotspot_cell_stats',
  'hotspot_cell_states',
  'hotspots',
  'tasks',
  'alert_outbox',
] as const;

/** What {@link buildHotspotWorker} needs; `main.ts` builds it from the environment, tests build their own. */
export interface HotspotWorkerDeps {
  readonly config: Config;
  readonly log: Logger;
  readonly pool: Pool;
  /** Creates a Redis connection for BullMQ (`maxRetriesPerRequest: null`); the worker closes the ones it made. */
  readonly redis: () => Redis;
  /** Connected Kafka producer for alerts; null leaves alerts in the outbox (another dispatcher publishes them). */
  readonly producer: Producer | null;
  /** Name of the alerts topic (with the configured prefix). */
  readonly alertsTopic: string;
  /** Wall clock for the scheduler (tests inject a fixed one). */
  readonly clock?: () => number;
  /** Register the per-metric job schedulers (default `config.hotspot.scheduler`). */
  readonly schedule?: boolean;
}

/** The running hotspot worker. */
export interface HotspotWorker {
  readonly queue: Queue;
  readonly dispatcher: AlertDispatcher | null;
  /** Checks the database (tables), Redis and the alerts topic, registers job schedulers and starts processing. */
  start(): Promise<void>;
  /** Stops taking jobs, waits for the running ones, publishes pending alerts, closes its connections. */
  stop(): Promise<void>;
  /** Runs one scheduler tick of a metric now (what the `tick` job does). */
  tick(metric: string): Promise<ScheduleOutcome>;
  /** Called after each committed evaluation (tests observe progress). */
  onEvaluated(fn: (o: EvaluateOutcome, job: Job) => void): void;
}

/** Result stored with a completed `evaluate` job. */
interface EvaluateResult {
  skipped: boolean;
  cells: number;
  eligible: number;
  high: number;
  opened: number;
  cleared: number;
  tasksOpened: number;
}

/**
 * Builds the hotspot worker: a BullMQ worker on one queue that runs `tick` jobs (one job scheduler per
 * configured metric at the configured resolution, every `tickMs`) and `evaluate` jobs, plus the alert
 * dispatcher. Jobs have deterministic ids, retries with exponential backoff, and stalled-job recovery
 * (a killed worker's job is taken over after the lock expires and retried; the evaluation is one
 * transaction and idempotent, and a job id commits at most once).
 */
export function buildHotspotWorker(deps: HotspotWorkerDeps): HotspotWorker {
  const h = deps.config.hotspot;
  const log = deps.log;
  const clock = deps.clock ?? Date.now;
  const method = methodSettings(h);
  const evalDeps: EvaluationDeps = {
    store: new EvaluationRepository(deps.pool, { connections: h.rollupConnections, workMem: h.workMem }),
    method,
    trace: traceSettings(h),
    watermarkMarginMs: h.watermarkMarginMs,
    log,
  };
  const scheduleStore = new ScheduleRepository(deps.pool);
  const connections: Redis[] = [];
  const conn = (): Redis => {
    const c = deps.redis();
    c.on('error', (err) => log.warn({ err }, 'redis connection error'));
    connections.push(c);
    return c;
  };
  const queue = new Queue(h.queue, {
    connection: conn(),
    defaultJobOptions: {
      attempts: h.attempts,
      backoff: { type: 'exponential', delay: h.backoffMs },
      // Kept past the re-evaluation horizon, so a window's job id stays known while it can be re-added.
      removeOnComplete: { age: h.reevaluateHours * 3600 + 3600 },
      removeOnFail: { age: 7 * 24 * 3600 },
    },
  });
  queue.on('error', (err) => log.warn({ err }, 'queue error'));
  const evalQueue: EvaluationQueue = {
    async add(jobId, data) {
      await queue.add(JOB_NAMES.evaluate, data, { jobId });
    },
  };
  const dispatcher = deps.producer
    ? new AlertDispatcher(
        new AlertOutboxRepository(deps.pool),
        new KafkaAlertSink(deps.producer, deps.alertsTopic),
        log,
        h.alertDispatchIntervalMs,
      )
    : null;
  const listeners: ((o: EvaluateOutcome, job: Job) => void)[] = [];
  const seriesOf = (metric: string): SeriesKey => ({ metric, resolution: h.resolution, windowMinutes: h.windowMinutes });
  const tick = (metric: string) =>
    scheduleDue(
      {
        store: scheduleStore,
        queue: evalQueue,
        clock,
        latenessMs: h.latenessMs,
        reevaluateHours: h.reevaluateHours,
        marginMs: h.watermarkMarginMs,
      },
      seriesOf(metric),
    );

  async function processEvaluate(job: Job, token: string | undefined): Promise<EvaluateResult> {
    const parsed = evaluateJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`evaluate job ${job.id}: bad data: ${parsed.error.message}`);
    const d: EvaluateJob = parsed.data;
    if (d.resolution !== h.resolution || d.windowMinutes !== h.windowMinutes) {
      throw new UnrecoverableError(
        `evaluate job ${job.id} is for resolution ${d.resolution} / ${d.windowMinutes} min; this worker evaluates ${h.resolution} / ${h.windowMinutes} min`,
      );
    }
    const series = seriesOf(d.metric);
    const windowStart = Date.parse(d.windowStart);
    // Persistence runs in window order: give the previous window the chance to finish first.
    if (
      d.trigger === 'schedule' &&
      clock() - d.enqueuedAt < h.orderWaitMs &&
      (await scheduleStore.isPending(series, windowStart - windowMs(h.windowMinutes)))
    ) {
      await job.moveToDelayed(Date.now() + Math.min(h.backoffMs, 5000), token);
      throw new DelayedError();
    }
    try {
      const o = await evaluateWindow(evalDeps, { metric: d.metric, windowStart, jobId: job.id ?? null, trigger: d.trigger });
      dispatcher?.kick();
      for (const fn of listeners) fn(o, job);
      return {
        skipped: o.skipped,
        cells: o.district?.cells ?? 0,
        eligible: o.district?.eligible ?? 0,
        high: o.district?.high ?? 0,
        opened: o.opened.length,
        cleared: o.cleared.length,
        tasksOpened: o.tasksOpened.length,
      };
    } catch (err) {
      if (err instanceof VocError && !err.retry && err.code === ERROR_CODES.invalid_request) throw new UnrecoverableError(err.message);
      throw err;
    }
  }

  type Handler = (job: Job, token: string | undefined, jl: Logger) => Promise<unknown>;
  // Boot check: every job of the catalogue has exactly one handler (throws at build time otherwise).
  const handlers = registerJobHandlers<Handler>([
    [
      JOB_NAMES.tick,
      async (job, _token, jl) => {
        const d = tickJobSchema.parse(job.data);
        const r = await tick(d.metric);
        if (r.due.length || r.late.length) jl.info({ metric: d.metric, due: r.due.length, late: r.late.length }, 'windows enqueued');
        return { due: r.due.length, late: r.late.length };
      },
    ],
    [
      JOB_NAMES.evaluate,
      async (job, token, jl) => {
        const r = await processEvaluate(job, token);
        jl.info({ ...r }, r.skipped ? 'evaluation already committed; skipped' : 'window evaluated');
        return r;
      },
    ],
  ]);

  const worker = new Worker(
    h.queue,
    async (job, token) => {
      const jl = log.child({ jobId: job.id, job: job.name });
      const handler = handlers.get(job.name as JobName);
      if (!handler) throw new UnrecoverableError(`unknown job name ${job.name}`);
      return handler(job, token, jl);
    },
    {
      connection: conn(),
      autorun: false,
      concurrency: h.concurrency,
      lockDuration: h.lockDurationMs,
      stalledInterval: h.stalledIntervalMs,
      maxStalledCount: 5,
    },
  );
  worker.on('failed', (job, err) => log.warn({ jobId: job?.id, attemptsMade: job?.attemptsMade, err }, 'job failed'));
  worker.on('stalled', (jobId) => log.warn({ jobId }, 'job stalled; it will be retried'));
  worker.on('error', (err) => log.error({ err }, 'worker error'));

  return {
    queue,
    dispatcher,
    async start() {
      const missing = await missingTables(deps.pool, REQUIRED_TABLES);
      if (missing.length)
        throw new VocError(ERROR_CODES.config_invalid, `database is missing tables ${missing.join(', ')}: run \`voc migrate\``);
      await queue.waitUntilReady();
      if (deps.schedule ?? h.scheduler) {
        for (const metric of h.metrics) {
          const series = seriesOf(metric);
          await queue.upsertJobScheduler(
            tickSchedulerId(series),
            { every: h.tickMs },
            // Ticks are cheap and idempotent: keep only the last few in Redis, and never retry one (the next comes soon).
            {
              name: JOB_NAMES.tick,
              data: { metric, resolution: h.resolution, windowMinutes: h.windowMinutes },
              opts: { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } },
            },
          );
        }
      }
      dispatcher?.start();
      void worker.run().catch((err: unknown) => log.error({ err }, 'worker stopped'));
      await worker.waitUntilReady();
      log.info({ queue: h.queue, metrics: h.metrics, resolution: h.resolution, windowMinutes: h.windowMinutes }, 'hotspot worker started');
    },
    async stop() {
      await worker.close();
      if (dispatcher) {
        await dispatcher.stop();
        await dispatcher
          .dispatchOnce()
          .catch((err: unknown) => log.warn({ err }, 'final alert dispatch failed; alerts stay in the outbox'));
      }
      await queue.close();
      for (const c of connections) c.disconnect();
    },
    tick,
    onEvaluated(fn) {
      listeners.push(fn);
    },
  };
}
