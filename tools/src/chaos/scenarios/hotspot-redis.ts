import { latLngToCell } from 'h3-js';
import { ReadingRepository } from '@voc/db';
import type { ReadingMessage } from '@voc/domain';
import { buildReading } from '@voc/domain/testing';
import { windowOf } from '@voc/hotspot';
import { ChaosSuite, sleep, underLoad, type ScenarioRun } from '../harness.js';
import { OwnRedis } from '../redis.js';
import type { Scenario } from './types.js';

/** Readings seeded per steady device into the evaluated window, so its evaluation lasts long enough to be interrupted. */
const SEED_PER_DEVICE = 2000;
/** An evaluation's rollup query running at least this long is "mid-evaluation", ms. */
const MID_EVALUATION_MS = 150;
/** Longest wait for the evaluation to start, and then to be committed after the restart, ms. */
const WAIT_MS = 90_000;

/**
 * (f) SIGKILL the hotspot worker in the middle of an evaluation, then restart Redis (the suite's own,
 * without persistence: every queued job is gone), then the worker. The window must still be
 * evaluated exactly once (its schedule lives in PostgreSQL and the evaluation transaction of the
 * killed worker is rolled back), and ingest under steady load must lose nothing meanwhile.
 * Recovery: from the worker being ready again until the window's evaluation is committed.
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
      run.extra.window = new Date(w.start).toISOString();
      run.extra.seededRows = seeded;
      const workerEnv = {
        REDIS_URL: redis.url,
        VOC_HOTSPOT_METRICS: 'tvoc',
        VOC_HOTSPOT_LATENESS_MS: '60000',
        VOC_HOTSPOT_REEVALUATE_HOURS: '3',
        VOC_HOTSPOT_TICK_MS: '2000',
        VOC_HOTSPOT_QUEUE: `chaos-${Date.now().toString(36)}`,
      };
      return await underLoad(run, { rate: suite.settings.steadyRate, seconds: 90 }, async (r) => {
        await r.start('worker', workerEnv);
        r.mark('hotspot worker ready');
        const hit = await midEvaluation(r);
        r.mark(hit ? 'evaluation in progress: SIGKILL hotspot worker' : 'no evaluation seen in progress: SIGKILL hotspot worker anyway');
        if (!hit) r.notMeasured.push('the worker was not caught mid-evaluation');
        r.extra.killedMidEvaluation = hit;
        await r.kill('worker');
        r.mark('restarting Redis (no persistence: its queue is gone)');
        await redis.stop('SIGTERM');
        await redis.start();
        await r.start('worker');
        const ready = r.mark('hotspot worker ready again');
        const done = await evaluated(r, w.start);
        const runs = await runsOf(r, w.start);
        r.extra.evaluationCommitted = done !== null;
        r.extra.evaluationRuns = runs;
        r.extra.evaluationRecoverSeconds = done === null ? null : Math.round((done - ready) / 100) / 10;
        r.extra.passed = done !== null && runs === 1;
        r.mark(done === null ? 'window not evaluated in time' : `window evaluated (${runs} committed run${runs === 1 ? '' : 's'})`);
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
      batch.push(buildReading(d.id, start + j * step, [{ metric: 'tvoc', value: 50 + rnd() * 100 }], { position: { lat: d.lat, lon: d.lon }, h3 }));
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

/** Waits until the worker's rollup query has been running for `MID_EVALUATION_MS`. */
async function midEvaluation(run: ScenarioRun): Promise<boolean> {
  const end = Date.now() + WAIT_MS;
  while (Date.now() < end) {
    const { rows } = await run.suite.pool.query<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity
       where datname = current_database() and application_name like 'voc-hotspot-worker%' and state = 'active'
         and query ilike '%percentile_cont%' and clock_timestamp() - query_start > make_interval(secs => $1)`,
      [MID_EVALUATION_MS / 1000],
    );
    if (rows[0]!.n > 0) return true;
    await sleep(20);
  }
  return false;
}

/** Wall-clock ms at which the window's evaluation was committed, or null when it was not within `WAIT_MS`. */
async function evaluated(run: ScenarioRun, start: number): Promise<number | null> {
  const end = Date.now() + WAIT_MS;
  while (Date.now() < end) {
    const { rows } = await run.suite.pool.query<{ at: number | null }>(
      `select extract(epoch from evaluated_at) * 1000 as at from hotspot_evaluations
       where metric = 'tvoc' and window_minutes = 60 and window_start = $1 and status = 'done'`,
      [new Date(start)],
    );
    if (rows[0]?.at) return rows[0].at;
    await sleep(500);
  }
  return null;
}

/** Committed evaluation runs of the window. */
async function runsOf(run: ScenarioRun, start: number): Promise<number> {
  const { rows } = await run.suite.pool.query<{ n: number }>(
    `select count(*)::int as n from hotspot_evaluation_runs where metric = 'tvoc' and window_minutes = 60 and window_start = $1`,
    [new Date(start)],
  );
  return rows[0]!.n;
}
