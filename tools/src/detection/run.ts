/**
 * Runs a simulated scenario (`@voc/simulator`, labelled simulated) through the real hotspot evaluation:
 * registers its devices and facilities, writes its readings straight into the `readings` table, runs
 * the core `backfill` use-case the hotspot worker runs (same `evaluateWindow`, same SQL), reads back the
 * hotspots, tasks, sensor checks and regional events, and scores them with `scoreScenario`.
 * Used by the detection benchmark (bench/detection.ts), the demo and the scenario's integration test.
 */
import {
  DeviceRepository,
  EvaluationRepository,
  FacilityRepository,
  ReadingRepository,
  BackfillSourceRepository,
  bigintToH3,
  type Pool,
} from '@voc/db';
import { backfill, type BackfillSummary, type EvaluationDeps } from '@voc/core';
import type { Logger, ReadingMessage } from '@voc/domain';
import { DEFAULT_TRACE_SETTINGS, type FacilityInput, type MethodSettings, type TraceSettings } from '@voc/hotspot';
import {
  registrationDevices,
  registrationFacilities,
  scoreScenario,
  toReadingMessage,
  type ScoreReport,
  type ScoredHotspot,
  type ScoredTask,
  type ScoredRegionalEvent,
  type Simulation,
  type SystemOutputs,
} from '@voc/simulator';

/** Metrics the grid evaluates in a scenario: every concentration or index a fixed sensor or van reports (no weather). */
export const SCENARIO_METRICS = ['tvoc', 'voc_index', 'benzene', 'toluene', 'xylene', 'nmhc', 'pm25', 'pm10'] as const;

const quiet: Logger = { info: () => undefined, warn: () => undefined, debug: () => undefined, error: () => undefined, child: () => quiet };

/** Figures of one scenario run. */
export interface ScenarioRun {
  readonly report: ScoreReport;
  readonly outputs: SystemOutputs;
  readonly rows: number;
  readonly loadSeconds: number;
  readonly evaluation: BackfillSummary;
}

/**
 * Registers the scenario's devices and facilities and writes its readings (every reading as the gateway
 * would normalise it: `toReadingMessage`), in batches.
 * @returns number of value rows written
 */
export async function loadScenario(pool: Pool, sim: Simulation, batch = 4000): Promise<number> {
  await new DeviceRepository(pool).upsert(registrationDevices(sim.devices));
  await new FacilityRepository(pool).upsertFacilities(registrationFacilities(sim.facilities) as FacilityInput[]); // simulated categories are registry categories
  const byId = new Map(sim.devices.map((d) => [d.id, d]));
  const repo = new ReadingRepository(pool);
  let rows = 0;
  let pending: ReadingMessage[] = [];
  let values = 0;
  for (const chunk of sim.chunks()) {
    for (const r of chunk) {
      pending.push(toReadingMessage(r, byId));
      values += r.values.length;
    }
    if (values >= batch) {
      rows += await repo.insertBatch(pending);
      pending = [];
      values = 0;
    }
  }
  rows += await repo.insertBatch(pending);
  await pool.query('analyze readings');
  return rows;
}

interface HotspotDbRow {
  id: string;
  metric: string;
  cell: string;
  opened: Date;
  window_minutes: number;
  candidates: { facilityId: string | null; lat: number; lon: number }[] | null;
}
interface TaskDbRow {
  id: string;
  kind: 'enforcement' | 'check_sensor';
  metric: string;
  cell: string;
  opened: Date;
  window_minutes: number;
  hotspot_id: string | null;
  device_ids: string[] | null;
  excess: number | null;
  uncertainty: number | null;
}

/** Reads what the evaluation produced over [from, to) as the scoring's plain inputs. */
export async function readOutputs(pool: Pool, from: number, to: number): Promise<SystemOutputs> {
  const range = [new Date(from), new Date(to)];
  const hs = await pool.query<HotspotDbRow>(
    `select h.id::text as id, h.metric, h.cell::text as cell, h.opened_window as opened, h.window_minutes, t.candidates
     from hotspots h left join tasks t on t.id = h.task_id
     where h.opened_window >= $1 and h.opened_window < $2 and h.state <> 'withdrawn' order by h.opened_window, h.id`,
    range,
  );
  const hotspots: ScoredHotspot[] = hs.rows.map((r) => {
    const start = r.opened.getTime();
    return {
      id: r.id,
      metric: r.metric,
      cell: bigintToH3(r.cell),
      window: { start, end: start + r.window_minutes * 60_000 },
      candidates: (r.candidates ?? []).map((c, i) => ({ rank: i + 1, facilityId: c.facilityId, lat: c.lat, lon: c.lon })),
    };
  });
  const tr = await pool.query<TaskDbRow>(
    `select t.id::text as id, 'enforcement' as kind, t.metric, t.cell::text as cell, t.opened_window as opened, t.window_minutes,
            t.hotspot_id::text as hotspot_id, null::text[] as device_ids,
            (t.statistics->>'excess')::float8 as excess, (t.statistics->>'uncertainty')::float8 as uncertainty
     from tasks t where t.opened_window >= $1 and t.opened_window < $2 order by t.opened_window, t.id`,
    range,
  );
  const tasks: ScoredTask[] = tr.rows.map((r) => {
    const start = r.opened.getTime();
    return {
      id: r.id,
      kind: r.kind,
      metric: r.metric,
      cell: bigintToH3(r.cell),
      window: { start, end: start + r.window_minutes * 60_000 },
      ...(r.hotspot_id ? { hotspotId: r.hotspot_id } : {}),
      ...(r.device_ids ? { deviceIds: r.device_ids } : {}),
      ...(r.excess !== null ? { excess: r.excess } : {}),
      ...(r.uncertainty !== null ? { uncertainty: r.uncertainty } : {}),
    };
  });
  const checks = await pool.query<{ id: string; device_id: string; metric: string; cell: string; opened: Date; window_minutes: number }>(
    `select id::text as id, device_id, metric, cell::text as cell, opened_window as opened, window_minutes
     from sensor_checks where opened_window >= $1 and opened_window < $2 order by opened_window, id`,
    range,
  );
  for (const c of checks.rows) {
    const start = c.opened.getTime();
    tasks.push({
      id: `check-${c.id}`,
      kind: 'check_sensor',
      metric: c.metric,
      cell: bigintToH3(c.cell),
      window: { start, end: start + c.window_minutes * 60_000 },
      deviceIds: [c.device_id],
    });
  }
  // Consecutive regional windows of one metric make one regional event.
  const reg = await pool.query<{ metric: string; start: Date; window_minutes: number }>(
    `select metric, window_start as start, window_minutes from hotspot_evaluations
     where regional and window_start >= $1 and window_start < $2 order by metric, window_start`,
    range,
  );
  const regionalEvents: ScoredRegionalEvent[] = [];
  let cur: { metric: string; start: number; end: number } | null = null;
  for (const r of reg.rows) {
    const start = r.start.getTime();
    const end = start + r.window_minutes * 60_000;
    if (cur && cur.metric === r.metric && cur.end === start) cur.end = end;
    else {
      if (cur) regionalEvents.push(cur);
      cur = { metric: r.metric, start, end };
    }
  }
  if (cur) regionalEvents.push(cur);
  return { hotspots, tasks, regionalEvents };
}

/**
 * Runs one simulated scenario end to end on `pool` (a database the caller owns, with the migrations
 * applied and no other rows in the scenario's span) and scores it.
 */
export async function runScenario(
  pool: Pool,
  sim: Simulation,
  method: MethodSettings,
  opts: { trace?: TraceSettings; log?: Logger; onWindow?: () => void } = {},
): Promise<ScenarioRun> {
  const t0 = Date.now();
  const rows = await loadScenario(pool, sim);
  const loadSeconds = (Date.now() - t0) / 1000;
  const deps: EvaluationDeps = {
    store: new EvaluationRepository(pool),
    method,
    trace: opts.trace ?? DEFAULT_TRACE_SETTINGS,
    watermarkMarginMs: 60_000,
    log: opts.log ?? quiet,
  };
  const { from, to } = sim.truth;
  const metrics = SCENARIO_METRICS.filter((m) => sim.devices.some((d) => d.channels.some((c) => c.metric === m)));
  const evaluation = await backfill(deps, {
    from,
    to,
    metrics,
    source: new BackfillSourceRepository(pool),
    ...(opts.onWindow ? { onWindow: opts.onWindow } : {}),
  });
  const outputs = await readOutputs(pool, from, to);
  const report = scoreScenario(sim.truth, outputs, { windowMinutes: method.windowMinutes });
  return { report, outputs, rows, loadSeconds, evaluation };
}
