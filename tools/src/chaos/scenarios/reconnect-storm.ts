import { underLoad } from '../harness.js';
import type { Scenario } from './types.js';

/** Buffered minute readings per device (issue 7, item 6g: one hour). */
const BACKLOG_MINUTES = 60;

/**
 * (g) Every storm device (500 by default) connects at the same moment and uploads one hour of
 * buffered minute readings (60 messages of 3 values each) as fast as its QoS 1 window allows.
 * Recovery: from the storm's start until everything acknowledged is stored.
 */
export const reconnectStorm: Scenario = {
  name: 'reconnect-storm',
  title: `devices reconnecting at once, each uploading ${BACKLOG_MINUTES} buffered minute readings`,
  async run(suite) {
    const title = `${suite.settings.stormDevices} devices reconnecting at once, each uploading ${BACKLOG_MINUTES} buffered minute readings`;
    const run = await suite.begin(this.name, title);
    run.settings.devices = suite.settings.stormDevices;
    return underLoad(run, { rate: 0, seconds: 1, creds: suite.stormCreds, backlogMinutes: BACKLOG_MINUTES, untilAllStored: true }, (r) =>
      // The storm began when the devices started connecting, not once they all were.
      Promise.resolve([r.loadStartedAt]),
    );
  },
};
