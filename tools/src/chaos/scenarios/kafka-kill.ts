import { kafkaPid, sleep, stackUp, underLoad, waitExit } from '../harness.js';
import type { Scenario } from './types.js';

/**
 * (b) SIGKILL the Kafka broker under steady load and restart it (this checkout's broker, through
 * `stack.sh up`). While it is down the gateway holds its PUBACKs and stops reading; after the
 * restart producers and consumers reconnect. Recovery: from the broker's port being open again.
 */
export const kafkaKill: Scenario = {
  name: 'kafka-kill',
  title: 'SIGKILL Kafka, restart it',
  async run(suite) {
    const run = await suite.begin(this.name, this.title);
    return underLoad(run, { rate: suite.settings.steadyRate, seconds: 90 }, async (r) => {
      await sleep(20_000);
      const pid = await kafkaPid();
      r.mark(`SIGKILL Kafka (pid ${pid})`);
      process.kill(pid, 'SIGKILL');
      await waitExit(pid);
      await sleep(5_000);
      r.mark('restarting Kafka');
      await stackUp();
      return [r.mark('Kafka is listening again')];
    });
  },
};
