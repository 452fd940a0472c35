import { mkdir, readFile } from 'node:fs/promises';
import { createLogger, loadConfig, type Config } from '@voc/config';
import { evaluateCompliance, importJurisdictions, type ComplianceTickResult } from '@voc/core';
import { ComplianceRepository, createPool, JurisdictionRepository, TaskRepository, type ComplianceEventRow, type Pool } from '@voc/db';
import type { TaskSummary } from '@voc/core';
import { parseJurisdictionsGeoJson } from '@voc/hotspot';
import { createKafka, ensureAcls, ensureTopics, kafkaAcls, topicNames } from '@voc/messaging';
import { commandArgs as args, type Command } from '@voc/cli';
import { NO_FIXED_METRICS_PORTS, REPO_ROOT, startService, type ServiceProcess } from '../spawn.js';
import { registerFleet, simFleet, type SimRestaurant } from './fleet.js';
import { runSimulation, type SimResult } from './sim.js';

/** What {@link runFumeDemo} did: the simulation, the rows stored, the compliance tick and what it opened. */
export interface FumeDemoResult {
  readonly fleet: SimRestaurant[];
  readonly sim: SimResult;
  readonly storedReadings: number;
  readonly tick: ComplianceTickResult;
  readonly events: ComplianceEventRow[];
  readonly tasks: TaskSummary[];
}

/** Options of {@link runFumeDemo}. */
export interface FumeDemoOptions {
  /** Simulated restaurants (default 9: every scenario once, the twin twice). */
  readonly monitors?: number;
  readonly minutes?: number;
  /** Prefix of device ids and MNs (several runs on one database). */
  readonly prefix?: string;
  /** TCP port of the gateway it starts (default `config.hj212.port`). */
  readonly port?: number;
  /** Where the services' logs go (default .cache/fume-demo). */
  readonly logDir?: string;
}

async function storedFor(pool: Pool, ids: readonly string[]): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(`select count(*)::int as n from readings where device_id = any($1::text[])`, [ids]);
  return rows[0]!.n;
}

/**
 * The fume-monitor demo end to end: imports the illustrative street offices (data/demo), registers
 * the simulated restaurants (facilities, devices, HJ 212 loggers), starts the HJ 212 gateway and the
 * stream writer as their own processes (own database roles and Kafka principals), plays the simulated
 * monitors over TCP, waits until every acknowledged frame is stored, runs one compliance tick on the
 * simulated hour and returns the compliance events and the "fume compliance" tasks it opened.
 */
export async function runFumeDemo(cfg: Config, o: FumeDemoOptions = {}): Promise<FumeDemoResult> {
  const log = createLogger('fume-demo', 'error');
  const pool = createPool(cfg.pg, log, 'voc-fume-demo');
  const services: ServiceProcess[] = [];
  const logDir = o.logDir ?? `${REPO_ROOT}.cache/fume-demo`;
  await mkdir(logDir, { recursive: true });
  try {
    const topics = topicNames(cfg.kafka.topicPrefix);
    const admin = createKafka(cfg.kafka, log).admin();
    await admin.connect();
    await ensureTopics(admin, topics);
    const run = Date.now().toString(36);
    const groupPrefix = `${cfg.kafka.groupPrefix}${run}.`;
    await ensureAcls(admin, kafkaAcls(topics, groupPrefix), cfg.kafka.principals).finally(() => admin.disconnect());

    const geo = await readFile(`${REPO_ROOT}data/demo/jurisdictions.geojson`, 'utf8');
    await importJurisdictions(new JurisdictionRepository(pool), parseJurisdictionsGeoJson(geo));
    const minutes = o.minutes ?? 60;
    const fleet = simFleet(o.monitors ?? 9, o.prefix ?? 'D');
    await registerFleet(pool, fleet, { openingHours: '00:00-24:00' });

    const port = o.port ?? cfg.hj212.port;
    const env = {
      PGDATABASE: cfg.pg.database,
      VOC_KAFKA_TOPIC_PREFIX: cfg.kafka.topicPrefix,
      VOC_KAFKA_GROUP_PREFIX: groupPrefix,
      VOC_HJ212_PORT: String(port),
      ...NO_FIXED_METRICS_PORTS,
      LOG_LEVEL: 'info',
    };
    services.push(
      startService('hj212-gateway', 'services/hj212-gateway/dist/main.js', {
        env,
        readyMsg: 'HJ 212 gateway ready',
        logFile: `${logDir}/hj212-gateway.log`,
      }),
    );
    services.push(
      startService('writer', 'services/writer/dist/main.js', { env, readyMsg: 'writer started', logFile: `${logDir}/writer.log` }),
    );
    await Promise.all(services.map((s) => s.ready));

    const now = Date.now();
    const sim = await runSimulation({
      host: '127.0.0.1',
      port,
      monitors: fleet,
      minutes,
      startAt: now - (minutes + 1) * 60_000,
      intervalMs: 0,
    });
    // Each acknowledged frame carries 7 values (fume, particulate, NMHC, two currents, two states).
    const expected = sim.acked * 7;
    const ids = fleet.map((f) => f.deviceId);
    const deadline = Date.now() + 60_000;
    let stored = await storedFor(pool, ids);
    while (stored < expected && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      stored = await storedFor(pool, ids);
    }
    const store = new ComplianceRepository(pool);
    const tick = await evaluateCompliance({ store, settings: cfg.compliance.rules, log }, now);
    const events = (await Promise.all(ids.map((id) => store.listEvents({ deviceId: id })))).flat();
    const tasks = (await new TaskRepository(pool).list({ category: 'fume_compliance', limit: 1000 })).filter(
      (t) => t.deviceId && ids.includes(t.deviceId),
    );
    return { fleet, sim, storedReadings: stored, tick, events, tasks };
  } finally {
    for (const s of services.reverse()) await s.stop();
    await pool.end();
  }
}

/** The demo's printed summary (every row SIMULATED). */
export function formatFumeDemo(r: FumeDemoResult): string {
  const lines = [
    `SIMULATED fume monitors: ${r.fleet.length} restaurants in Xicheng (positions, names and values are simulated)`,
    `HJ 212 over TCP: ${r.sim.sent} minute-data frames sent, ${r.sim.acked} acknowledged (9014 after Kafka), ${r.sim.silentMinutes} minutes silent (offline scenario)`,
    `stored: ${r.storedReadings} reading values`,
    `compliance tick ${r.tick.windowStart} .. ${r.tick.windowEnd}: ${r.tick.raised.length} raised, ${r.tick.cleared.length} cleared`,
    '',
    'compliance events (SIMULATED):',
  ];
  const byDevice = new Map(r.fleet.map((f) => [f.deviceId, f]));
  for (const e of r.events)
    lines.push(
      `  ${e.kind.padEnd(7)} ${e.rule.padEnd(26)} ${e.deviceId} (${byDevice.get(e.deviceId)?.scenario ?? '?'}) office=${e.streetOfficeId ?? '-'} task=${e.taskId ?? '-'}`,
    );
  lines.push('', 'fume compliance tasks (SIMULATED):');
  for (const t of r.tasks)
    lines.push(
      `  #${t.id} ${t.state.padEnd(5)} ${String(t.rule).padEnd(26)} ${t.deviceId} -> ${t.streetOffice?.name ?? 'no street office'}`,
    );
  return `${lines.join('\n')}\n`;
}

/** `voc-tools fume-demo`: the simulated restaurants, their compliance events and tasks. */
export const fumeDemoCommand: Command = {
  name: 'fume-demo',
  summary: 'simulated Xicheng restaurants over HJ 212: storage, compliance events and enforcement tasks (SIMULATED)',
  usage: `voc-tools fume-demo [--monitors 9] [--minutes 60] [--prefix D]

  Registers simulated restaurants (one per scenario: normal, exceedance, purifier off, low purifier
  current, offline, flat line, implausible drop, and a twin pair), starts the HJ 212 gateway and the
  stream writer, plays one simulated hour of minute data over TCP, runs the compliance engine and
  prints its events and "fume compliance" tasks. Run it through \`npm run demo:fume\` (fresh database).`,
  async run(argv) {
    const { values } = args(argv, { monitors: { type: 'string' }, minutes: { type: 'string' }, prefix: { type: 'string' } });
    const cfg = loadConfig(process.env);
    const r = await runFumeDemo(cfg, {
      ...(typeof values.monitors === 'string' ? { monitors: Number(values.monitors) } : {}),
      ...(typeof values.minutes === 'string' ? { minutes: Number(values.minutes) } : {}),
      ...(typeof values.prefix === 'string' ? { prefix: values.prefix } : {}),
    });
    process.stdout.write(formatFumeDemo(r));
    return r.sim.unacked === 0 && r.tasks.length > 0 ? 0 : 1;
  },
};
