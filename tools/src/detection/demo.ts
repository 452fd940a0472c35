/**
 * The demo's SIMULATED part: after the real-data replay, one simulated Xicheng scenario (`sources-3`,
 * print shop, restaurant and body shop over 36 h of the real December 2016 weather) written straight
 * into the demo database and evaluated by the same hotspot use-case, then scored against its truth.
 */
import type { Config } from '@voc/config';
import { methodSettings, traceSettings } from '@voc/core';
import type { Pool } from '@voc/db';
import { scenario, simulate } from '@voc/simulator';
import { scenarioReport } from './report.js';
import { runScenario } from './run.js';

/** Scenario and length the demo runs (seconds on the reference machine). */
export const DEMO_SCENARIO = { name: 'sources-3', hours: 36, seed: 20161201 } as const;

/** Runs the demo's simulated scenario on `pool` and returns its printable report (every line says simulated where it matters). */
export async function runSimulatedDemo(pool: Pool, cfg: Config): Promise<string> {
  const sim = simulate(scenario(DEMO_SCENARIO.name, { durationHours: DEMO_SCENARIO.hours, seed: DEMO_SCENARIO.seed }));
  const run = await runScenario(pool, sim, methodSettings(cfg.hotspot), { trace: traceSettings(cfg.hotspot) });
  return (
    `${run.rows} SIMULATED values written straight into table readings, ${run.evaluation.windows} windows evaluated\n` +
    (await scenarioReport(pool, sim.truth, run.report))
  );
}
