import { describe, expect, it } from 'vitest';
import {
  MissingCredentialsError,
  replay,
  type DevicePublisher,
  type ReplayClock,
  type ReplayDeps,
  type ReplaySourceHandle,
} from './engine.js';
import type { ReplayDevice, ReplayItem, SourceId } from './types.js';

/** Virtual time: `sleep` resolves when `run` advances the clock to its deadline. */
class VirtualClock implements ReplayClock {
  t = 1_000_000;
  private timers: { at: number; resolve: () => void }[] = [];
  now = () => this.t;
  sleep = (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve) => {
      const timer = { at: this.t + ms, resolve };
      this.timers.push(timer);
      signal?.addEventListener('abort', () => resolve(), { once: true });
    });
  /** Runs `p` to completion, advancing virtual time whenever every task waits on a timer. */
  async run<T>(p: Promise<T>): Promise<T> {
    let done = false;
    const out = p.finally(() => (done = true));
    out.catch(() => undefined);
    while (!done) {
      for (let i = 0; i < 20 && !done; i++) await new Promise((r) => setImmediate(r));
      if (done) break;
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers.shift();
      if (next) {
        this.t = Math.max(this.t, next.at);
        next.resolve();
      }
    }
    return out;
  }
}

interface Sent {
  deviceId: string;
  topic: string;
  payload: unknown;
  at: number;
}

function setup(sources: Record<string, { devices: ReplayDevice[]; items: ReplayItem[] }>, failFor: string[] = []) {
  const clock = new VirtualClock();
  const sent: Sent[] = [];
  const connected: string[] = [];
  const closed: string[] = [];
  const deps: ReplayDeps = {
    clock,
    connect: async (device, cred) => {
      connected.push(`${device.deviceId}:${cred.username}:${cred.password}`);
      const pub: DevicePublisher = {
        publish: async (topic, payload) => {
          sent.push({ deviceId: device.deviceId, topic, payload: JSON.parse(payload) as unknown, at: clock.now() });
          if (failFor.includes(device.deviceId)) throw new Error('Publish error: Not authorized');
        },
        close: async () => void closed.push(device.deviceId),
      };
      return pub;
    },
    openSource: (id: SourceId): ReplaySourceHandle => {
      const s = sources[id];
      if (!s) throw new Error(`no fake source ${id}`);
      return {
        id,
        devices: async () => s.devices,
        items: async function* () {
          yield* s.items;
        },
      };
    },
  };
  return { clock, sent, connected, closed, deps };
}

const H = 3_600_000;
const item = (source: SourceId, deviceId: string, kind: 'fixed' | 'van', ts: number, metric = 'pm25', value = 1): ReplayItem => ({
  source,
  deviceId,
  kind,
  ts: new Date(ts),
  values: [{ metric, value, unit: 'µg/m³' }],
});
const creds = (...ids: string[]) => Object.fromEntries(ids.map((id) => [id, { username: id, password: `pw-${id}`, topic: 'x' }]));

describe('replay engine', () => {
  it('paces each source on its own clock from its first reading, sources concurrently', async () => {
    const bj = Date.UTC(2017, 0, 1) - 8 * H;
    const van = Date.UTC(2019, 8, 25, 4, 29, 24);
    const { clock, sent, deps } = setup({
      beijing: {
        devices: [{ deviceId: 'bj-a', kind: 'fixed' }],
        items: [0, 1, 2].map((h) => item('beijing', 'bj-a', 'fixed', bj + h * H)),
      },
      mobile: {
        devices: [{ deviceId: 'van-x', kind: 'van' }],
        items: [0, 1800, 3600].map((s) => item('mobile', 'van-x', 'van', van + s * 1000)),
      },
    });
    const t0 = clock.now();
    const r = await clock.run(replay({ sources: ['beijing', 'mobile'], credentials: creds('bj-a', 'van-x'), speed: 3600 }, deps));
    const at = (id: string) => sent.filter((s) => s.deviceId === id).map((s) => s.at - t0);
    expect(at('bj-a')).toEqual([0, 1000, 2000]);
    expect(at('van-x')).toEqual([0, 500, 1000]);
    expect(r.sources.beijing).toMatchObject({ messages: 3, readings: 3, values: 3, failedMessages: 0 });
    expect(r.devices['van-x']).toMatchObject({ source: 'mobile', messages: 3 });
  });

  it('publishes as each device on its own topic with the original UTC timestamps', async () => {
    const ts = Date.UTC(2013, 1, 28, 16);
    const { clock, sent, connected, closed, deps } = setup({
      beijing: {
        devices: [
          { deviceId: 'bj-a', kind: 'fixed' },
          { deviceId: 'bj-b', kind: 'fixed' },
        ],
        items: [item('beijing', 'bj-a', 'fixed', ts), item('beijing', 'bj-b', 'fixed', ts)],
      },
    });
    await clock.run(replay({ sources: ['beijing'], credentials: creds('bj-a', 'bj-b'), speed: Infinity }, deps));
    expect(connected.sort()).toEqual(['bj-a:bj-a:pw-bj-a', 'bj-b:bj-b:pw-bj-b']);
    expect(sent.map((s) => s.topic).sort()).toEqual(['voc/v1/fixed/bj-a/up', 'voc/v1/fixed/bj-b/up']);
    expect(sent[0]!.payload).toEqual({ ts: '2013-02-28T16:00:00.000Z', values: [{ metric: 'pm25', value: 1, unit: 'µg/m³' }] });
    expect(closed.sort()).toEqual(['bj-a', 'bj-b']);
  });

  it('groups a device’s readings into batches and flushes the rest at the end', async () => {
    const { clock, sent, deps } = setup({
      uci: { devices: [{ deviceId: 'u-1', kind: 'fixed' }], items: [0, 1, 2, 3, 4].map((h) => item('uci', 'u-1', 'fixed', h * H)) },
    });
    const r = await clock.run(replay({ sources: ['uci'], credentials: creds('u-1'), speed: Infinity, batch: 2 }, deps));
    expect(sent.map((s) => (s.payload as { readings: unknown[] }).readings.length)).toEqual([2, 2, 1]);
    expect(r.sources.uci).toMatchObject({ messages: 3, readings: 5, values: 5 });
    expect([...r.publishedAt.get('u-1')!.keys()]).toEqual([0, 1, 2, 3, 4].map((h) => h * H));
  });

  it('cuts a batch before it would exceed the payload limit', async () => {
    const { clock, sent, deps } = setup({
      uci: { devices: [{ deviceId: 'u-1', kind: 'fixed' }], items: [0, 1, 2, 3].map((h) => item('uci', 'u-1', 'fixed', h * H)) },
    });
    await clock.run(replay({ sources: ['uci'], credentials: creds('u-1'), speed: Infinity, batch: 100, maxPayloadBytes: 250 }, deps));
    for (const s of sent) expect(JSON.stringify(s.payload).length).toBeLessThanOrEqual(250);
    expect(sent.reduce((n, s) => n + ((s.payload as { readings?: unknown[] }).readings?.length ?? 1), 0)).toBe(4);
  });

  it('refuses to start when a device has no credentials, before connecting anyone', async () => {
    const { clock, connected, deps } = setup({
      beijing: {
        devices: [
          { deviceId: 'bj-a', kind: 'fixed' },
          { deviceId: 'bj-b', kind: 'fixed' },
        ],
        items: [],
      },
    });
    await expect(clock.run(replay({ sources: ['beijing'], credentials: creds('bj-a'), speed: 1 }, deps))).rejects.toBeInstanceOf(
      MissingCredentialsError,
    );
    expect(connected).toEqual([]);
  });

  it('counts messages whose PUBACK failed and leaves them out of the publish times', async () => {
    const { clock, deps } = setup(
      {
        beijing: {
          devices: [
            { deviceId: 'ok-1', kind: 'fixed' },
            { deviceId: 'bad-1', kind: 'fixed' },
          ],
          items: [item('beijing', 'ok-1', 'fixed', 0), item('beijing', 'bad-1', 'fixed', 0)],
        },
      },
      ['bad-1'],
    );
    const r = await clock.run(replay({ sources: ['beijing'], credentials: creds('ok-1', 'bad-1'), speed: Infinity }, deps));
    expect(r.devices['bad-1']).toMatchObject({ messages: 0, failedMessages: 1, failedReadings: 1 });
    expect(r.sources.beijing).toMatchObject({ messages: 1, failedMessages: 1 });
    expect(r.publishedAt.has('bad-1')).toBe(false);
    expect(r.errors).toEqual(['bad-1: Publish error: Not authorized']);
  });

  it('replays only readings with from ≤ ts < to', async () => {
    const { clock, sent, deps } = setup({
      uci: { devices: [{ deviceId: 'u-1', kind: 'fixed' }], items: [0, 1, 2, 3].map((h) => item('uci', 'u-1', 'fixed', h * H)) },
    });
    await clock.run(
      replay({ sources: ['uci'], credentials: creds('u-1'), speed: Infinity, from: new Date(1 * H), to: new Date(3 * H) }, deps),
    );
    expect(sent.map((s) => (s.payload as { ts: string }).ts)).toEqual([new Date(H).toISOString(), new Date(2 * H).toISOString()]);
  });

  it('caps the message rate over all sources', async () => {
    const { clock, sent, deps } = setup({
      uci: { devices: [{ deviceId: 'u-1', kind: 'fixed' }], items: [0, 1, 2, 3, 4].map((h) => item('uci', 'u-1', 'fixed', h * H)) },
      mobile: { devices: [{ deviceId: 'v-1', kind: 'van' }], items: [0, 1, 2, 3, 4].map((s) => item('mobile', 'v-1', 'van', s * 1000)) },
    });
    const t0 = clock.now();
    await clock.run(replay({ sources: ['uci', 'mobile'], credentials: creds('u-1', 'v-1'), speed: Infinity, maxRate: 5 }, deps));
    const times = sent.map((s) => s.at - t0).sort((a, b) => a - b);
    expect(times).toHaveLength(10);
    // 10 messages at 5/s: the n-th message leaves no earlier than n × 200 ms.
    times.forEach((t, i) => expect(t).toBeGreaterThanOrEqual(i * 200));
  });

  it('stops when aborted and reports what was published', async () => {
    const ac = new AbortController();
    const { clock, sent, deps } = setup({
      beijing: {
        devices: [{ deviceId: 'bj-a', kind: 'fixed' }],
        items: [0, 1, 2, 3, 4, 5].map((h) => item('beijing', 'bj-a', 'fixed', h * H)),
      },
    });
    deps.connect = ((orig) => async (d, c) => {
      const p = await orig(d, c);
      return { publish: async (t, pl) => (sent.length === 1 ? (ac.abort(), p.publish(t, pl)) : p.publish(t, pl)), close: () => p.close() };
    })(deps.connect);
    const r = await clock.run(replay({ sources: ['beijing'], credentials: creds('bj-a'), speed: 3600, signal: ac.signal }, deps));
    expect(r.aborted).toBe(true);
    expect(sent.length).toBeLessThan(6);
    expect(r.sources.beijing!.messages).toBe(sent.length);
  });
});
