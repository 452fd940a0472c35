import type { Logger } from '@voc/domain';
import type { ListeningAddresses, MqttServerMetrics, MqttServerSnapshot } from '@voc/mqtt-server';
import { createAuthenticator, type AuthStats, type HashUpgrader, type PasswordHasher } from './auth.js';
import type { GatewayDirectory } from './directory.js';
import { createEndpoint, type EndpointOptions } from './endpoint.js';
import { createIngestService, type IngestSettings } from './ingest.js';
import { createPipeline, type GatewayStats, type RecordSink } from './pipeline.js';

/** What {@link buildGateway} needs. */
export interface GatewayDeps {
  /** The in-memory device directory (`createDeviceDirectory`); the gateway starts and stops it. */
  readonly directory: GatewayDirectory;
  readonly hasher: PasswordHasher;
  readonly upgrader: HashUpgrader;
  readonly sink: RecordSink;
  /** Kafka topic names, `topicNames(config.kafka.topicPrefix)`. */
  readonly topics: { readonly readings: string; readonly deadletter: string };
  /** `config.ingest`. */
  readonly settings: IngestSettings & { readonly lingerMs: number; readonly maxBatch: number };
  /** Listeners and limits of the device endpoint. */
  readonly endpoint: EndpointOptions;
  readonly log: Logger;
  readonly metrics?: { readonly mqtt: MqttServerMetrics; observeProduce(ms: number, records: number): void };
  /** Longest wait for in-flight publishes on stop, ms (default 15 000). */
  readonly drainTimeoutMs?: number;
  /** Backoff of Kafka and device-lookup retries (default 100 ms doubling to 10 s). */
  readonly retry?: { readonly initialMs: number; readonly maxMs: number };
}

/** The ingest gateway: the devices' MQTT endpoint in front of Kafka. */
export interface Gateway {
  /** Loads the device directory, then opens the listeners. Rejects when the registry cannot be read or a port is taken. */
  start(): Promise<ListeningAddresses>;
  /**
   * Graceful stop: stops reading sockets, produces and acknowledges what is in flight (up to the drain
   * timeout; what is left stays unacknowledged and devices resend it), disconnects every device.
   * Producer and pool belong to the caller.
   */
  stop(): Promise<void>;
  /** Closes every live connection of a device (it was disabled). */
  disconnectDevice(id: string): number;
  stats(): GatewayStats & { auth: AuthStats };
  snapshot(): MqttServerSnapshot;
}

/**
 * Wires device endpoint → ingest (validation, normalisation) → batched Kafka produce → PUBACK.
 * Each QoS 1 message is acknowledged to the device only after Kafka acknowledged its readings and dead
 * letters, so a gateway killed at any moment loses nothing acknowledged (at-least-once: the device
 * resends what it has no PUBACK for, and the writer's idempotent store absorbs the duplicates). When
 * Kafka is slow the pipeline holds its messages and the endpoint stops reading sockets.
 */
export function buildGateway(deps: GatewayDeps): Gateway {
  const ingest = createIngestService({ devices: deps.directory, settings: deps.settings });
  const pipeline = createPipeline({
    ingest,
    sink: deps.sink,
    topics: deps.topics,
    lingerMs: deps.settings.lingerMs,
    maxBatch: deps.settings.maxBatch,
    log: deps.log,
    ...(deps.retry ? { retry: deps.retry } : {}),
    ...(deps.metrics ? { observeProduce: (ms: number, n: number) => deps.metrics?.observeProduce(ms, n) } : {}),
  });
  const authenticator = createAuthenticator({ directory: deps.directory, hasher: deps.hasher, upgrader: deps.upgrader, log: deps.log });
  const server = createEndpoint({
    options: deps.endpoint,
    directory: deps.directory,
    authenticator,
    pipeline,
    log: deps.log,
    ...(deps.metrics ? { metrics: deps.metrics.mqtt } : {}),
  });
  let stopping: Promise<void> | undefined;
  return {
    async start() {
      await deps.directory.start();
      const addresses = await server.listen();
      deps.log.info({ topics: deps.topics, devices: deps.directory.size() }, 'gateway started');
      return addresses;
    },
    stop() {
      stopping ??= (async () => {
        const drainMs = deps.drainTimeoutMs ?? 15_000;
        const closing = server.close(drainMs);
        const drained = await pipeline.drain(drainMs);
        if (!(await closing) || !drained)
          deps.log.warn({ pending: pipeline.stats().pending }, 'gateway stopped before every message was produced; devices resend them');
        deps.directory.stop();
        deps.log.info({ stats: pipeline.stats() }, 'gateway stopped');
      })();
      return stopping;
    },
    disconnectDevice: (id) => server.disconnectDevice(id, 'not_authorized'),
    stats: () => ({ ...pipeline.stats(), auth: authenticator.stats() }),
    snapshot: () => server.snapshot(),
  };
}

/** One-line summary of {@link GatewayStats} for the periodic log. */
export function formatStats(s: GatewayStats, snap?: MqttServerSnapshot): string {
  const rejected = Object.entries(s.rejected)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const conn = snap
    ? ` devices=${snap.devices} inflight=${snap.inflight} inflightBytes=${snap.inflightBytes} paused=${snap.pausedSockets}`
    : '';
  return `received=${s.received} acked=${s.acked} pending=${s.pending} readings=${s.acceptedReadings} values=${s.acceptedValues} rejected={${rejected}} deadLetters=${s.deadLetters} kafkaBatches=${s.kafkaBatches} kafkaRetries=${s.kafkaRetries}${conn}`;
}
