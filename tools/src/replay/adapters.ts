import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import type { DeviceCredentials, DevicePublisher, ReplayClock, ReplayDeps } from './engine.js';
import { openSource, type SourceOptions } from './sources/index.js';
import type { ReplayDevice } from './types.js';

/**
 * Connects as one device: MQTT v5, clean start, client id `voc-replay-<deviceId>-<random>` (unique, so
 * two replays never take over each other's session), automatic reconnect after the first success
 * (QoS 1 messages not yet acknowledged are re-sent by the client), also after a refused CONNECT
 * (`reconnectOnConnackError`: a restarted gateway may answer "server unavailable" or "server busy"
 * while it verifies a fleet's passwords; MQTT.js would otherwise stop the device for good).
 * @param url broker URL (`config.mqtt.url`, default `mqtt://127.0.0.1:1884`)
 * @throws the CONNACK error (e.g. `Connection refused: Not authorized`, code 135) or the socket error
 */
export async function connectDevice(url: string, device: ReplayDevice, cred: DeviceCredentials): Promise<DevicePublisher> {
  const client = await mqtt.connectAsync(
    url,
    {
      protocolVersion: 5,
      clean: true,
      clientId: `voc-replay-${device.deviceId}-${randomBytes(4).toString('hex')}`,
      username: cred.username,
      password: cred.password,
      connectTimeout: 10_000,
      reconnectPeriod: 1000,
      reconnectOnConnackError: true,
    },
    false,
  );
  // After the first connection, errors are reported through each publish; keep the emitter quiet.
  client.on('error', () => undefined);
  return {
    async publish(topic, payload) {
      await client.publishAsync(topic, payload, { qos: 1 });
    },
    async close() {
      await client.endAsync();
    },
  };
}

/** The real wall clock. */
export const systemClock: ReplayClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    }),
};

/**
 * Default dependencies of `replay`: file sources under `dataDir`, MQTT connections to `mqttUrl`, the
 * system clock. Add `progress` for a progress display.
 */
export function replayDeps(dataDir: string, mqttUrl: string, sourceOptions: SourceOptions = {}): ReplayDeps {
  return {
    connect: (device, cred) => connectDevice(mqttUrl, device, cred),
    clock: systemClock,
    openSource: (id) => openSource(id, dataDir, sourceOptions),
  };
}
