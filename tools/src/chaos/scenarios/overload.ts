import { sleep, underLoad } from '../harness.js';
import type { Scenario } from './types.js';

/** Length of the overload, s (issue 7, item 6a). */
const SECONDS = 60;

/**
 * (a) Three times the sustainable rate for 60 s. The gateway must slow its acknowledgements (QoS 1
 * windows fill, it stops reading sockets) instead of queueing; everything acknowledged is stored.
 * Recovery: from the end of the overload until everything acknowledged by then is stored.
 */
export const overload: Scenario = {
  name: 'overload',
  title: `3× the sustainable rate for ${SECONDS} s`,
  async run(suite) {
    const run = await suite.begin(this.name, this.title);
    const rate = 3 * suite.settings.sustainableRate;
    run.settings.sustainableRate = suite.settings.sustainableRate;
    return underLoad(run, { rate, seconds: SECONDS }, async (r) => {
      await sleep(SECONDS * 1000);
      return [r.mark('overload over')];
    });
  },
};
