import { sleep, underLoad, type ServiceName } from '../harness.js';
import type { Scenario } from './types.js';

/** What differs between the repeated-SIGKILL scenarios (d) and (e). */
export interface RepeatedKillOptions {
  readonly name: string;
  /** The service killed and restarted at once each time. */
  readonly service: ServiceName;
  /** Kills per run (issue 7, item 6: five). */
  readonly kills: number;
  /** Time from one kill to the next, ms. */
  readonly everyMs: number;
  /** Event marked when the restarted service is back (recovery is measured from it). */
  readonly backMark: string;
}

/**
 * A scenario that SIGKILLs `service` `kills` times under steady load, `everyMs` apart, restarting it
 * at once each time, after 10 s of steady load and with 10 s of load after the last kill. Returns the
 * times the service was back, from which the harness measures the recovery of each kill.
 */
export function repeatedKill(o: RepeatedKillOptions): Scenario {
  return {
    name: o.name,
    title: `SIGKILL the ${o.service} ${o.kills} times`,
    async run(suite) {
      const run = await suite.begin(this.name, this.title);
      return underLoad(run, { rate: suite.settings.steadyRate, seconds: 10 + (o.kills * o.everyMs) / 1000 + 10 }, async (r) => {
        const cleared: number[] = [];
        await sleep(10_000);
        for (let i = 1; i <= o.kills; i++) {
          const t = Date.now();
          r.mark(`SIGKILL ${o.service} (${i}/${o.kills})`);
          await r.kill(o.service);
          await r.start(o.service);
          cleared.push(r.mark(o.backMark));
          await sleep(Math.max(0, o.everyMs - (Date.now() - t)));
        }
        return cleared;
      });
    },
  };
}
