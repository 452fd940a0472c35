import { sleep, underLoad } from '../harness.js';
import type { Scenario } from './types.js';

/** Kills of the scenario (issue 7, item 6e) and the time between them, ms. */
const KILLS = 5;
const EVERY_MS = 15_000;

/**
 * (e) SIGKILL the stream writer five times under steady load, restarting it at once each time.
 * Uncommitted batches are redelivered to the new member and stored once. Recovery per kill: from
 * the new writer being started until everything acknowledged by then is stored.
 */
export const writerKill: Scenario = {
  name: 'writer-kill',
  title: `SIGKILL the writer ${KILLS} times`,
  async run(suite) {
    const run = await suite.begin(this.name, this.title);
    return underLoad(run, { rate: suite.settings.steadyRate, seconds: 10 + (KILLS * EVERY_MS) / 1000 + 10 }, async (r) => {
      const cleared: number[] = [];
      await sleep(10_000);
      for (let i = 1; i <= KILLS; i++) {
        const t = Date.now();
        r.mark(`SIGKILL writer (${i}/${KILLS})`);
        await r.kill('writer');
        await r.start('writer');
        cleared.push(r.mark('writer started'));
        await sleep(Math.max(0, EVERY_MS - (Date.now() - t)));
      }
      return cleared;
    });
  },
};
