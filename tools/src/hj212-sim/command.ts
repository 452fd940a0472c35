import { createLogger, loadConfig } from '@voc/config';
import { createPool } from '@voc/db';
import { commandArgs as args, UsageError, type Command } from '@voc/cli';
import { registerFleet, simFleet } from './fleet.js';
import { SCENARIOS, type Scenario } from './scenarios.js';
import { runSimulation } from './sim.js';

const intOpt = (name: string, v: string | boolean | undefined, def: number): number => {
  if (v === undefined) return def;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isInteger(n) || n < 0) throw new UsageError(`--${name}: "${String(v)}" is not a whole number`);
  return n;
};

/** `voc-tools hj212-sim`: plays N simulated fume monitors over TCP in real HJ 212 minute-data frames. */
export const hj212SimCommand: Command = {
  name: 'hj212-sim',
  summary: 'play simulated restaurant fume monitors over TCP (HJ 212 minute data; SIMULATED values)',
  usage: `voc-tools hj212-sim [--host 127.0.0.1] [--port $VOC_HJ212_PORT] [--monitors 8] [--minutes 60]
                      [--interval-ms 0] [--scenarios normal,exceedance,...] [--prefix F] [--register] [--hours 00:00-24:00]

  Each monitor opens one TCP connection and sends one CN=2051 minute-data frame per minute of
  simulated time (Flag 5), waiting for the gateway's 9014 before the next. The first minute is
  --minutes before now, so a run fills the compliance window; --interval-ms 60000 plays in real time.
  Scenarios (in turn over the monitors): ${SCENARIOS.join(', ')}.
  --register first registers the simulated restaurants, devices and loggers (needs the admin database role).`,
  async run(argv) {
    const { values } = args(argv, {
      host: { type: 'string' },
      port: { type: 'string' },
      monitors: { type: 'string' },
      minutes: { type: 'string' },
      'interval-ms': { type: 'string' },
      scenarios: { type: 'string' },
      prefix: { type: 'string' },
      register: { type: 'boolean' },
      hours: { type: 'string' },
    });
    const cfg = loadConfig(process.env);
    const scenarios = typeof values.scenarios === 'string' ? (values.scenarios.split(',').map((s) => s.trim()) as Scenario[]) : SCENARIOS;
    for (const s of scenarios) if (!SCENARIOS.includes(s)) throw new UsageError(`--scenarios: ${s} is not one of ${SCENARIOS.join(', ')}`);
    const fleet = simFleet(intOpt('monitors', values.monitors, 8), typeof values.prefix === 'string' ? values.prefix : 'F', scenarios);
    const minutes = intOpt('minutes', values.minutes, 60);
    if (values.register === true) {
      const pool = createPool(cfg.pg, createLogger('hj212-sim', 'error'), 'voc-hj212-sim');
      try {
        await registerFleet(pool, fleet, typeof values.hours === 'string' ? { openingHours: values.hours } : {});
      } finally {
        await pool.end();
      }
      process.stdout.write(`registered ${fleet.length} simulated restaurants (devices, facilities, HJ 212 loggers)\n`);
    }
    const r = await runSimulation({
      host: typeof values.host === 'string' ? values.host : '127.0.0.1',
      port: intOpt('port', values.port, cfg.hj212.port),
      monitors: fleet,
      minutes,
      startAt: Date.now() - (minutes + 1) * 60_000,
      intervalMs: intOpt('interval-ms', values['interval-ms'], 0),
    });
    const p = (q: number) =>
      r.ackLatenciesMs[Math.min(r.ackLatenciesMs.length - 1, Math.floor(q * r.ackLatenciesMs.length))]?.toFixed(1) ?? '-';
    process.stdout.write(
      `SIMULATED fume monitors: ${fleet.length}; frames sent ${r.sent}, acknowledged (9014) ${r.acked}, unacknowledged ${r.unacked}, ` +
        `silent minutes (offline scenario) ${r.silentMinutes}; ack latency p50 ${p(0.5)} ms, p99 ${p(0.99)} ms\n`,
    );
    return r.unacked === 0 ? 0 : 1;
  },
};
