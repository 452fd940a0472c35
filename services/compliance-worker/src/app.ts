import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '@voc/config';
import { evaluateCompliance, type ComplianceTickResult } from '@voc/core';
import { ComplianceRepository, missingTables, type Pool } from '@voc/db';
import {
  COMPLIANCE_JOB_NAMES,
  COMPLIANCE_TICK_SCHEDULER_ID,
  ERROR_CODES,
  registerJobHandlers,
  VocError,
  type ComplianceJobName,
  type Logger,
} from '@voc/domain';

/** Tables the worker needs (migrations/008_hj212_compliance.sql); it refuses to start without them. */
export const REQUIRED_TABLES = [
  'readings',
  'devices',
  'hj212_devices',
  'compliance_states',
  'compliance_events',
  'tasks',
  'task_events',
] as const;

/** What {@link buildComplianceWorker} needs; `main.ts` builds it from the environment, tests build their own. */
export interface ComplianceWorkerDeps {
  readonly config: Config;
  readonly log: Logger;
  readonly pool: Pool;
  /** Creates a Redis connection for BullMQ (`maxRetriesPerRequest: null`); the worker closes the ones it made. */
  readonly redis: () => Redis;
  /** Wall clock (tests inject one). */
  readonly clock?: () => number;
  /** Register the tick job scheduler (default true; tests call {@link ComplianceWorker.tick}). */
  readonly schedule?: boolean;
}

/** The running compliance worker. */
export interface ComplianceWorker {
  readonly queue: Queue;
  /** Checks the tables and Redis, registers the tick scheduler and starts processing. */
  start(): Promise<void>;
  /** Stops taking jobs, waits for the running one, closes its connections. */
  stop(): Promise<void>;
  /** Runs one compliance tick now on the window ending at `clock() − lateness` (what the job does). */
  tick(at?: number): Promise<ComplianceTickResult>;
}

/**
 * Builds the compliance worker: one BullMQ job scheduler (`compliance-tick` every `tickMs`) whose job
 * evaluates every rule for every active fume monitor (`@voc/core` `evaluateCompliance`). A tick is
 * idempotent (events are unique per device, rule and window end; states only change on a change of
 * outcome), so a retried or doubled tick records nothing twice.
 */
export function buildComplianceWorker(deps: ComplianceWorkerDeps): ComplianceWorker {
  const c = deps.config.compliance;
  const log = deps.log;
  const clock = deps.clock ?? Date.now;
  const store = new ComplianceRepository(deps.pool);
  const connections: Redis[] = [];
  const conn = (): Redis => {
    const r = deps.redis();
    r.on('error', (err) => log.warn({ err }, 'redis connection error'));
    connections.push(r);
    return r;
  };
  const queue = new Queue(c.queue, { connection: conn() });
  queue.on('error', (err) => log.warn({ err }, 'queue error'));
  const tick = (at = clock()) => evaluateCompliance({ store, settings: c.rules, log }, at - c.latenessMs);

  type Handler = (job: Job, jl: Logger) => Promise<unknown>;
  const handlers = registerJobHandlers<Handler, ComplianceJobName>(
    [
      [
        COMPLIANCE_JOB_NAMES.tick,
        async (_job, jl) => {
          const r = await tick();
          if (r.raised.length || r.cleared.length)
            jl.info({ raised: r.raised.length, cleared: r.cleared.length, devices: r.devices }, 'compliance changes');
          return { devices: r.devices, raised: r.raised.length, cleared: r.cleared.length, windowEnd: r.windowEnd };
        },
      ],
    ],
    COMPLIANCE_JOB_NAMES,
  );
  const worker = new Worker(
    c.queue,
    async (job) => {
      const handler = handlers.get(job.name as ComplianceJobName);
      if (!handler) throw new UnrecoverableError(`unknown job name ${job.name}`);
      return handler(job, log.child({ jobId: job.id, job: job.name }));
    },
    { connection: conn(), autorun: false, concurrency: 1 },
  );
  worker.on('failed', (job, err) => log.warn({ jobId: job?.id, err }, 'compliance job failed'));
  worker.on('error', (err) => log.error({ err }, 'worker error'));

  return {
    queue,
    async start() {
      const missing = await missingTables(deps.pool, REQUIRED_TABLES);
      if (missing.length)
        throw new VocError(ERROR_CODES.config_invalid, `database is missing tables ${missing.join(', ')}: run \`voc migrate\``);
      await queue.waitUntilReady();
      if (deps.schedule ?? true)
        await queue.upsertJobScheduler(
          COMPLIANCE_TICK_SCHEDULER_ID,
          { every: c.tickMs },
          {
            name: COMPLIANCE_JOB_NAMES.tick,
            data: {},
            opts: { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } },
          },
        );
      void worker.run().catch((err: unknown) => log.error({ err }, 'worker stopped'));
      await worker.waitUntilReady();
      log.info({ queue: c.queue, tickMs: c.tickMs, windowMinutes: c.rules.windowMinutes }, 'compliance worker started');
    },
    async stop() {
      await worker.close();
      await queue.close();
      for (const r of connections) r.disconnect();
    },
    tick,
  };
}
