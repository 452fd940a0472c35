import { repeatedKill } from './repeated-kill.js';

/**
 * (e) SIGKILL the stream writer five times under steady load (issue 7, item 6e), 15 s apart,
 * restarting it at once each time. Uncommitted batches are redelivered to the new member and stored
 * once. Recovery per kill: from the new writer being started until everything acknowledged by then is stored.
 */
export const writerKill = repeatedKill({ name: 'writer-kill', service: 'writer', kills: 5, everyMs: 15_000, backMark: 'writer started' });
