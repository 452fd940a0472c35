import { sleep, underLoad } from '../harness.js';
import type { Scenario } from './types.js';

/** Kills of the scenario (issue 7, item 6d) and the time between them, ms. */
const KILLS = 5;
const EVERY_MS = 12_000;

/**
 * (d) SIGKILL the gateway five times under steady load, restarting it at once each time. Devices
 * reconnect and resend what had no PUBACK; the idempotent store absorbs the copies. Recovery per
 * kill: from the new gateway being ready.
 */
export const gatewayKill: Scenario = {
  name: 'gateway-kill',
  title: `SIGKILL the gateway ${KILLS} times`,
  async run(suite) {
    const run = await suite.begin(this.name, this.title);
    return underLoad(run, { rate: suite.settings.steadyRate, seconds: 10 + (KILLS * EVERY_MS) / 1000 + 10 }, async (r) => {
      const cleared: number[] = [];
      await sleep(10_000);
      for (let i = 1; i <= KILLS; i++) {
        const t = Date.now();
        r.mark(`SIGKILL gateway (${i}/${KILLS})`);
        await r.kill('gateway');
        await r.start('gateway');
        cleared.push(r.mark('gateway ready'));
        await sleep(Math.max(0, EVERY_MS - (Date.now() - t)));
      }
      return cleared;
    });
  },
};
