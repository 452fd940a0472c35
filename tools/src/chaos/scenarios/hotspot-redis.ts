import { latLngToCell } from 'h3-js';
import { ReadingRepository } from '@voc/db';
import type { ReadingMessage } from '@voc/domain';
import { buildReading } from '@voc/domain/testing';
import { windowOf } from '@voc/hotspot';
import { ChaosSuite, sleep, underLoad, type ScenarioRun } from '../harness.js';
import { OwnRedis } from '../redis.js';
import type { Scenario } from './types.js';

/** Simulated readings seeded per steady device into one closed window, so the grid has cells to evaluate. */
const SEED_PER_DEVICE = 500;
/** Longest wait for the evaluation to start, and then to be committed after the restart, ms. */
const WAIT_MS = 90_000;

/**
 * (f) SIGKILL the hotspot worker in the middle of an evaluation, then restart Redis (the suite's own,
 * without persistence: every queued job is gone), then the worker. "Mid-evaluation" is made certain:
 * the suite holds an EXCLUSIVE lock on `hotspot_cell_stats`, so the first evaluation's transaction
 * waits inside (rollup done, nothing committed) until the worker is killed. Every scheduled window
 * must still be evaluated (the schedule lives in PostgreSQL, the killed transaction is rolled back),
 * no window version may be committed twice, and ingest under steady load must lose nothing.
 * Recovery: from the worker being ready again until every scheduled window is evaluated.
 */
export const hotspotRedis: Scenario = {
  name: 'hotspot-redis',
  title: 'SIGKILL the hotspot worker mid-evaluation, restart Redis',
  async run(suite) {
    const run = await suite.begin(this.name, this.title);
    const redis = new OwnRedis(suite.settings.redisPort, `${ChaosSuite.dir}/redis`, suite.cfg.redis.username, suite.cfg.redis.password);
    await redis.start();
    try {
      const w = windowOf(Date.now() - 2 * 3_600_000, 60);
      const seeded = await seed(run, w.start);
      run.extra.seededWindow = new Date(w.start).toISOString();
      run.extra.seededRows = seeded;
      run.seededRows = seeded;
      const lock = await suite.pool.connect();
      const workerEnv = {
        REDIS_URL: redis.url,
        VOC_HOTSPOT_METRICS: 'tvoc',
        VOC_HOTSPOT_LATENESS_MS: '60000',
        VOC_HOTSPOT_REEVALUATE_HOURS: '3',
        VOC_HOTSPOT_TICK_MS: '2000',
        VOC_HOTSPOT_QUEUE: `chaos-${Date.now().toString(36)}`,
      };
      return await underLoad(run, { rate: suite.settings.steadyRate, seconds: 90 }, async (r) => {
        let hit = false;
        try {
          await lock.query('begin');
          await lock.query('lock table hotspot_cell_stats in exclusive mode');
          await r.start('worker', workerEnv);
          r.mark('hotspot worker ready');
          hit = await midEvaluation(r);
          r.mark(
            hit
              ? 'evaluation in progress (waiting inside its transaction): SIGKILL hotspot worker'
              : 'no evaluation seen in progress: SIGKILL hotspot worker anyway',
          );
          if (!hit) r.notMeasured.push('the worker was not caught mid-evaluation');
          r.extra.killedMidEvaluation = hit;
          await r.kill('worker');
        } finally {
          await lock.query('rollback').catch(() => undefined);
          lock.release();
        }
        r.mark('restarting Redis (no persistence: its queue is gone)');
        await redis.stop('SIGTERM');
        await redis.start();
        await r.start('worker');
        const ready = r.mark('hotspot worker ready again');
        const done = await evaluated(r);
        const { runs, twice } = await runsOf(r);
        r.extra.allWindowsEvaluated = done !== null;
        r.extra.evaluationRuns = runs;
        r.extra.windowVersionsCommittedTwice = twice;
        r.extra.evaluationRecoverSeconds = done === null ? null : Math.round((done - ready) / 100) / 10;
        r.extra.passed = done !== null && twice === 0;
        r.mark(
          done === null
            ? 'windows not evaluated in time'
            : `every scheduled window evaluated (${runs} committed runs, ${twice} versions twice)`,
        );
        if (done !== null) r.recoverExtra.push(Math.max(0, Math.round((done - ready) / 100) / 10));
        return [];
      });
    } finally {
      await redis.stop('SIGTERM');
    }
  },
};

/** Seeds `SEED_PER_DEVICE` tvoc readings of every steady device into the window at `start`; returns the row count. */
async function seed(run: ScenarioRun, start: number): Promise<number> {
  const { rows } = await run.suite.pool.query<{ id: string; lat: number; lon: number }>(
    `select id, lat, lon from devices where id like 'chaos-%' order by id`,
  );
  const repo = new ReadingRepository(run.suite.pool);
  const step = Math.floor(3_600_000 / SEED_PER_DEVICE);
  let batch: ReadingMessage[] = [];
  let n = 0;
  let seed = 20170101;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  run.mark(`seeding ${rows.length * SEED_PER_DEVICE} simulated tvoc readings into the window`);
  for (const d of rows) {
    const h3 = latLngToCell(d.lat, d.lon, 12);
    for (let j = 0; j < SEED_PER_DEVICE; j++) {
      batch.push(
        buildReading(d.id, start + j * step, [{ metric: 'tvoc', value: 50 + rnd() * 100 }], { position: { lat: d.lat, lon: d.lon }, h3 }),
      );
      n++;
      if (batch.length === 5000) {
        await repo.insertBatch(batch);
        batch = [];
      }
    }
  }
  if (batch.length) await repo.insertBatch(batch);
  await run.suite.pool.query('analyze readings');
  run.mark('seeded');
  return n;
}

/** Waits until a worker's evaluation transaction waits for the suite's lock (it is inside an evaluation). */
async function midEvaluation(run: ScenarioRun): Promise<boolean> {
  const end = Date.now() + WAIT_MS;
  while (Date.now() < end) {
    const { rows } = await run.suite.pool.query<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity
       where datname = current_database() and application_name like 'voc-hotspot-worker%' and wait_event_type = 'Lock'`,
    );
    if (rows[0]!.n > 0) return true;
    await sleep(100);
  }
  return false;
}

/** Wall-clock ms at which the last scheduled window was evaluated, or null when one is still pending after `WAIT_MS`. */
async function evaluated(run: ScenarioRun): Promise<number | null> {
  const end = Date.now() + WAIT_MS;
  while (Date.now() < end) {
    const { rows } = await run.suite.pool.query<{ pending: number; at: number | null }>(
      `select count(*) filter (where status <> 'done')::int as pending, extract(epoch from max(evaluated_at)) * 1000 as at
       from hotspot_evaluations where metric = 'tvoc' and window_minutes = 60`,
    );
    const r = rows[0]!;
    if (r.pending === 0 && r.at) return r.at;
    await sleep(500);
  }
  return null;
}

/** Committed evaluation runs, and (window, version) pairs committed more than once. */
async function runsOf(run: ScenarioRun): Promise<{ runs: number; twice: number }> {
  const { rows } = await run.suite.pool.query<{ runs: number; twice: number }>(
    `select coalesce(sum(n), 0)::int as runs, count(*) filter (where n > 1)::int as twice
     from (select count(*) as n from hotspot_evaluation_runs where metric = 'tvoc' and window_minutes = 60 group by window_start, version) v`,
  );
  return rows[0]!;
}
