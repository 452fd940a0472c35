import { connect, type Socket } from 'node:net';
import { Hj212Framer, buildMinuteData } from '@voc/hj212';
import { minuteValues, type Scenario } from './scenarios.js';

/** One simulated monitor: its logger identity and what it does. */
export interface SimMonitor {
  readonly mn: string;
  readonly pw: string;
  readonly scenario: Scenario;
  /** Seed of its values (twins share one). */
  readonly seed: number;
}

/** Options of {@link runSimulation}. */
export interface SimOptions {
  readonly host: string;
  readonly port: number;
  readonly monitors: readonly SimMonitor[];
  /** Minutes of data per monitor. */
  readonly minutes: number;
  /** DataTime of the first minute, epoch ms (floored to the minute). */
  readonly startAt: number;
  /** Wall-clock pause between two minutes of one monitor, ms (0: as fast as the acks come back; 60,000: real time). */
  readonly intervalMs: number;
  /** Longest wait for one 9014 acknowledgement before the frame counts as unacknowledged, ms. */
  readonly ackTimeoutMs?: number;
}

/** What a run did. */
export interface SimResult {
  readonly sent: number;
  readonly acked: number;
  readonly unacked: number;
  readonly silentMinutes: number;
  /** Frame-to-9014 latency, ms, sorted. */
  readonly ackLatenciesMs: number[];
}

/** The HJ 212 minute-data frame of one monitor's minute (codes of the `sim-fume` profile). */
export function simFrame(m: SimMonitor, dataTime: number, v: NonNullable<ReturnType<typeof minuteValues>>): string {
  return buildMinuteData({
    mn: m.mn,
    pw: m.pw,
    dataTime,
    sentAt: Date.now(),
    values: { a34041: v.oilFume, a34000: v.pm, a24088: v.nmhc, FANI: v.fanCurrentA, PURI: v.purifierCurrentA },
    items: { FANSTATUS: v.fan, PURIFYSTATUS: v.purifier },
  });
}

class Link {
  private readonly framer = new Hj212Framer();
  private waiting: { qn: string; resolve: (ok: boolean) => void; timer: NodeJS.Timeout }[] = [];
  private constructor(private readonly socket: Socket) {
    socket.on('data', (b: Buffer) => {
      for (const e of this.framer.push(b)) {
        if (e.kind !== 'frame' || e.frame.cn !== '9014') continue;
        const k = this.waiting.findIndex((w) => w.qn === e.frame.qn);
        if (k < 0) continue;
        const [w] = this.waiting.splice(k, 1);
        clearTimeout(w!.timer);
        w!.resolve(true);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => this.waiting.splice(0).forEach((w) => (clearTimeout(w.timer), w.resolve(false))));
  }
  static open(host: string, port: number): Promise<Link> {
    return new Promise((resolve, reject) => {
      const s = connect({ host, port }, () => resolve(new Link(s)));
      s.once('error', reject);
    });
  }
  /** Sends a frame and resolves true on its 9014 (matched by QN), false on timeout or close. */
  send(frame: string, timeoutMs: number): Promise<boolean> {
    const qn = frame.slice(frame.indexOf('QN=') + 3, frame.indexOf('QN=') + 20);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = this.waiting.filter((w) => w.timer !== timer);
        resolve(false);
      }, timeoutMs);
      this.waiting.push({ qn, resolve, timer });
      this.socket.write(Buffer.from(frame, 'latin1'));
    });
  }
  close(): void {
    this.socket.end();
  }
}

/**
 * Plays the monitors over TCP, one connection each, as real loggers do: one CN=2051 minute-data frame
 * per minute (Flag 5: response wanted), waiting for each 9014 before the next minute. An `offline`
 * monitor stops sending (keeping its connection) after its first sixth. Every value is SIMULATED.
 */
export async function runSimulation(o: SimOptions): Promise<SimResult> {
  const start = Math.floor(o.startAt / 60_000) * 60_000;
  const ackTimeoutMs = o.ackTimeoutMs ?? 10_000;
  const lat: number[] = [];
  let sent = 0;
  let acked = 0;
  let silent = 0;
  // Loggers come online over a moment, not in one millisecond: at most 100 connection attempts at once.
  let connecting = 0;
  const slot = async () => {
    while (connecting >= 100) await new Promise((r) => setTimeout(r, 5));
    connecting++;
  };
  await Promise.all(
    o.monitors.map(async (m) => {
      await slot();
      const link = await Link.open(o.host, o.port).finally(() => connecting--);
      try {
        for (let i = 0; i < o.minutes; i++) {
          const v = minuteValues(m.scenario, m.seed, i, o.minutes);
          if (v === null) {
            silent++;
            continue;
          }
          const t0 = performance.now();
          sent++;
          if (await link.send(simFrame(m, start + i * 60_000, v), ackTimeoutMs)) {
            acked++;
            lat.push(performance.now() - t0);
          }
          if (o.intervalMs > 0) await new Promise((r) => setTimeout(r, o.intervalMs));
        }
      } finally {
        link.close();
      }
    }),
  );
  return { sent, acked, unacked: sent - acked, silentMinutes: silent, ackLatenciesMs: lat.sort((a, b) => a - b) };
}
