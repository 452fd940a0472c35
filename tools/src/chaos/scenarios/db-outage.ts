import { sleep, underLoad } from '../harness.js';
import type { Scenario } from './types.js';

/** Length of the outage, s (issue 7, item 6c). */
const OUTAGE_S = 60;

/**
 * (c) The project's database refuses connections for 60 s: `ALTER DATABASE … ALLOW_CONNECTIONS
 * false` and its sessions terminated (that database only; the machine's PostgreSQL keeps running).
 * The gateway keeps acknowledging from its device directory; the writer retries and catches up.
 */
export const dbOutage: Scenario = {
  name: 'db-outage',
  title: `database unavailable for ${OUTAGE_S} s`,
  async run(suite) {
    const run = await suite.begin(this.name, this.title);
    return underLoad(run, { rate: suite.settings.steadyRate, seconds: OUTAGE_S + 40 }, async (r) => {
      await sleep(20_000);
      try {
        r.mark('database off (allow_connections false, sessions terminated)');
        await suite.databaseOff();
        await sleep(OUTAGE_S * 1000);
      } finally {
        await suite.databaseOn();
      }
      return [r.mark('database on')];
    });
  },
};
