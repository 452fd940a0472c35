#!/usr/bin/env node
/**
 * The chaos suite: `npm run chaos` runs every scenario (about 15 minutes), `npm run chaos -- <name>
 * [<name> …]` the ones named. Not part of `npm test`. Each scenario runs under steady load from the
 * project's load generator, then drains, then reconciles acknowledged vs stored vs dead-lettered by
 * (device, metric, time) and prints: acknowledged, stored, lost (must be 0), duplicated (must be 0),
 * time to recover and the gateway's peak memory. Results: `bench/results/chaos-<name>-<time>.json`;
 * the printed table is the one of RELIABILITY.md. Exit code 1 when a scenario lost or duplicated.
 * Settings: tools/src/chaos/settings.ts; services, ports and database are the run's own.
 */
import { ChaosSuite, type ScenarioResult } from './harness.js';
import { chaosSettings } from './settings.js';
import { dbOutage } from './scenarios/db-outage.js';
import { gatewayKill } from './scenarios/gateway-kill.js';
import { hotspotRedis } from './scenarios/hotspot-redis.js';
import { kafkaKill } from './scenarios/kafka-kill.js';
import { overload } from './scenarios/overload.js';
import { reconnectStorm } from './scenarios/reconnect-storm.js';
import type { Scenario } from './scenarios/types.js';
import { writerKill } from './scenarios/writer-kill.js';

/** Every scenario, in the order `npm run chaos` runs them (issue 7, item 6 a-g). */
export const SCENARIOS: readonly Scenario[] = [overload, kafkaKill, dbOutage, gatewayKill, writerKill, hotspotRedis, reconnectStorm];

const p = (n: number) => n.toLocaleString('en-US');

/** One row of the RELIABILITY.md table. */
export function tableRow(r: ScenarioResult): string {
  const c = r.reconciliation;
  return `| ${r.scenario} | ${r.title} | ${p(c.acknowledgedValues)} | ${p(c.storedValues)} | ${p(c.deadLetteredValues)} | **${p(c.lost)}** | **${p(c.duplicated)}** | ${r.timeToRecoverSeconds} s | ${r.peakGatewayRssMiB} MiB | ${r.machineLoad.mean} (max ${r.machineLoad.max}) | ${r.passed ? 'pass' : 'FAIL'} |`;
}

async function main(): Promise<void> {
  const names = process.argv.slice(2).filter((a) => a !== '--');
  const unknown = names.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  const chosen = names.length ? SCENARIOS.filter((s) => names.includes(s.name)) : SCENARIOS;
  const settings = chaosSettings();
  process.stderr.write(
    `chaos: preparing database ${settings.database} and ${settings.devices + settings.stormDevices} simulated devices\n`,
  );
  const suite = await ChaosSuite.prepare(settings);
  const results: ScenarioResult[] = [];
  try {
    for (const s of chosen) {
      process.stderr.write(`chaos: ${s.name}: ${s.title}\n`);
      const r = await s.run(suite);
      results.push(r);
      const c = r.reconciliation;
      process.stdout.write(
        `${r.scenario}: acknowledged ${p(c.acknowledgedValues)} values, stored ${p(c.storedValues)}, dead-lettered ${p(c.deadLetteredValues)}, ` +
          `lost ${p(c.lost)}, duplicated ${p(c.duplicated)}, time to recover ${r.timeToRecoverSeconds} s, peak gateway RSS ${r.peakGatewayRssMiB} MiB, ` +
          `load ${r.machineLoad.mean} — ${r.passed ? 'pass' : 'FAIL'}${c.lostSample.length ? ` (lost e.g. ${c.lostSample.slice(0, 3).join(', ')})` : ''}\n`,
      );
    }
  } finally {
    await suite.close();
  }
  process.stdout.write(
    [
      '',
      '| scenario | what | acknowledged values | stored | dead-lettered | lost | duplicated | time to recover | peak gateway RSS | load average (1 min) | result |',
      '|---|---|---|---|---|---|---|---|---|---|---|',
      ...results.map(tableRow),
      '',
    ].join('\n'),
  );
  if (results.some((r) => !r.passed)) process.exitCode = 1;
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    process.stderr.write(`chaos: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
