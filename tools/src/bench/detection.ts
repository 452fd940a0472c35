#!/usr/bin/env node
/**
 * Detection benchmark (`npm run bench:detection [-- --hours 48 --seed 20161201 --only sources-3 --label v2 --keep]`), on
 * SIMULATED scenarios (`@voc/simulator`): for each scenario of the fixed set (noise only, regional
 * episode, 1, 3 and 10 sources, intermittent sources, biased sensor, drifting sensor, van-only), writes
 * its readings straight into the benchmark's own database, runs the real hotspot evaluation (the core
 * `backfill` use-case the worker runs) and scores the outcome against the scenario's truth
 * (`scoreScenario`): detection within 2 windows, time to detect, localisation, top-3, false tasks per
 * 100 cells per week, tasks during regional episodes, sensor faults raised as faults.
 *
 * Database: `${VOC_BENCH_DATABASE ?? 'voc_bench'}_detection`. It is created by this benchmark and marked
 * (table `bench_detection_owner`); an existing database without that mark is refused, never dropped.
 * Results: bench/results/detection-<date>.json; the printed table is the one in BENCHMARKS.md.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { createLogger, loadConfig } from '@voc/config';
import { methodSettings } from '@voc/core';
import { createPool, migrateDatabase, recreateDatabase } from '@voc/db';
import { DETECTION_TARGETS, scenario, SCENARIO_NAMES, simulate, type ScenarioName, type ScoreReport } from '@voc/simulator';
import { numberArg } from './setup.js';
import { runScenario } from '../detection/run.js';
import { detectableInTime, scoreTable, type ScenarioFigures } from '../detection/table.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DB = `${process.env.VOC_BENCH_DATABASE ?? 'voc_bench'}_detection`;
const MARK = 'bench_detection_owner';

/** Creates the benchmark's database, or recreates it when this benchmark made it; refuses any other. */
async function ownDatabase(): Promise<void> {
  const cfg = loadConfig({ ...process.env, PGDATABASE: 'postgres', LOG_LEVEL: 'silent' });
  const admin = createPool({ ...cfg.pg, database: 'postgres', poolMax: 1 }, createLogger('bench', 'silent'), 'voc-bench-admin');
  let exists = false;
  try {
    exists = (await admin.query(`select 1 from pg_database where datname = $1`, [DB])).rowCount === 1;
  } finally {
    await admin.end();
  }
  if (exists) {
    const pool = createPool({ ...cfg.pg, database: DB, poolMax: 1 }, createLogger('bench', 'silent'), 'voc-bench-admin');
    try {
      const marked = (await pool.query<{ m: boolean }>(`select to_regclass($1) is not null as m`, [MARK])).rows[0]?.m === true;
      if (!marked) throw new Error(`database ${DB} exists and was not created by bench:detection (no ${MARK} table): refusing to drop it`);
    } finally {
      await pool.end();
    }
  }
  await recreateDatabase(cfg.pg, DB);
}

function textArg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** `--render <results.json>`: prints the score table of a results file again (after a table change). */
async function render(file: string): Promise<void> {
  const j = JSON.parse(await readFile(file, 'utf8')) as {
    hours: number;
    seed: number;
    label: string;
    scenarios: { name: string; rows: number; windows: number; seconds: number; detectableInTime?: string[]; report: ScoreReport }[];
  };
  const figs: ScenarioFigures[] = j.scenarios.map((x) => ({
    name: x.name,
    report: x.report,
    rows: x.rows,
    seconds: x.seconds,
    windows: x.windows,
    faulty: x.name === 'biased-sensor' ? 4 : x.name === 'drifting-sensor' ? 3 : 0, // the catalogue's fault counts (scenarios.ts)
    // Older files lack the list: the truth is rebuilt from the scenario (deterministic from name, hours, seed).
    inTime: new Set(
      x.detectableInTime ?? detectableInTime(simulate(scenario(x.name as ScenarioName, { durationHours: j.hours, seed: j.seed })).truth),
    ),
  }));
  process.stdout.write(`SIMULATED scenarios (${j.hours} h, seed ${j.seed}, method "${j.label}")\n${scoreTable(figs)}\n`);
}

async function main(): Promise<void> {
  const rendering = textArg('render');
  if (rendering) return render(rendering);
  const hours = numberArg('hours', 48);
  const seed = numberArg('seed', 20161201);
  const only = textArg('only')?.split(',');
  const label = textArg('label') ?? 'current';
  // --only keeps its own order (the most informative scenarios first on a busy machine).
  const names = only ? only.filter((n): n is ScenarioName => (SCENARIO_NAMES as readonly string[]).includes(n)) : [...SCENARIO_NAMES];
  await ownDatabase();
  const env = { ...process.env, PGDATABASE: DB, LOG_LEVEL: 'silent' };
  const cfg = loadConfig(env);
  await migrateDatabase(cfg.pg, { settings: cfg.timescale, vanMaxSpeedKmh: cfg.hotspot.vanMaxSpeedKmh });
  const pool = createPool({ ...cfg.pg, poolMax: 4 }, createLogger('bench', 'silent'), 'voc-bench-detection');
  await pool.query(`create table ${MARK} (created_at timestamptz not null default now(), note text)`);
  await pool.query(`insert into ${MARK} (note) values ('created by npm run bench:detection; dropped and recreated by it')`);
  const method = methodSettings(cfg.hotspot);
  process.stdout.write(
    `detection benchmark, SIMULATED scenarios (${hours} h each, seed ${seed}), ${os.cpus().length} CPUs ${os.cpus()[0]?.model ?? ''}, load ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}\n`,
  );
  const figures: ScenarioFigures[] = [];
  const started = new Date().toISOString();
  /** Writes the results so far (after each scenario: a long run on a busy machine keeps what it measured). */
  const save = async (complete: boolean): Promise<string> => {
    const result = {
      complete,
      simulated: true,
      label,
      date: started,
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', node: process.version, loadavg: os.loadavg() },
      hours,
      seed,
      method,
      targets: DETECTION_TARGETS,
      scenarios: figures.map((f) => ({
        name: f.name,
        rows: f.rows,
        windows: f.windows,
        seconds: f.seconds,
        detectableInTime: [...f.inTime],
        report: f.report,
      })),
    };
    await mkdir(`${ROOT}bench/results`, { recursive: true });
    const file = `${ROOT}bench/results/detection-${label}-${result.date.slice(0, 10)}.json`;
    await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
    return file;
  };

  for (const name of names) {
    const sim = simulate(scenario(name, { durationHours: hours, seed }));
    const t = Date.now();
    const run = await runScenario(pool, sim, method);
    const seconds = (Date.now() - t) / 1000;
    figures.push({
      name,
      report: run.report,
      rows: run.rows,
      seconds,
      windows: run.evaluation.windows,
      faulty: sim.truth.faultySensors.length,
      inTime: detectableInTime(sim.truth),
    });
    const r: ScoreReport = run.report;
    process.stdout.write(
      `  ${name}: ${run.rows} rows, ${run.evaluation.windows} windows, ${seconds.toFixed(0)} s; found ${r.sources.filter((s) => s.found).length}/${r.sources.length}, tasks ${r.enforcementTasks} (false ${r.falseTasks}), faults as faults ${r.faultsRaisedAsFaults ?? '-'}\n`,
    );
    await save(false);
    // The next scenario starts from an empty store (every table this benchmark wrote; its own database);
    // --keep leaves the last scenario's rows for inspection.
    if (process.argv.includes('--keep') && name === names[names.length - 1]) break;
    await pool.query(
      `truncate readings, hotspot_cell_stats, hotspot_cell_states, hotspot_evidence, task_events, alert_outbox, hotspot_evaluation_runs, hotspot_evaluations, sensor_checks, devices, facilities cascade`,
    );
    await pool.query(`update hotspots set task_id = null`);
    await pool.query(`truncate tasks, hotspots cascade`);
  }
  await pool.end();
  const file = await save(true);
  process.stdout.write(
    `\nSIMULATED scenarios (${hours} h, seed ${seed}, method "${label}")\n${scoreTable(figures)}\n\nwritten to ${file.slice(ROOT.length)}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:detection: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
