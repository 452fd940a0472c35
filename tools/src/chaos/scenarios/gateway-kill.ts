import { repeatedKill } from './repeated-kill.js';

/**
 * (d) SIGKILL the gateway five times under steady load (issue 7, item 6d), 12 s apart, restarting it
 * at once each time. Devices reconnect and resend what had no PUBACK; the idempotent store absorbs the
 * copies. Recovery per kill: from the new gateway being ready.
 */
export const gatewayKill = repeatedKill({ name: 'gateway-kill', service: 'gateway', kills: 5, everyMs: 12_000, backMark: 'gateway ready' });
