import type { DeviceDirectory } from '@voc/ingest';
import { createIngestService, type IngestSettings } from './ingest.js';
import { createPipeline, type GatewayStats, type InboundMessage, type RecordSink } from './pipeline.js';
import type { Logger } from '@voc/domain';

/** Port: where MQTT messages come from (`createMqttIntake` in production). */
export interface MqttIntake {
  /** Connects, subscribes and delivers every message to `onMessage`; resolves once subscribed. Rejects when the broker refuses. */
  start(onMessage: (msg: InboundMessage) => void): Promise<void>;
  /** Stops delivering: messages that arrive from now on stay unacknowledged and the broker redelivers them later. */
  pause(): void;
  /** Disconnects; the persistent session stays on the broker. */
  close(): Promise<void>;
}

/** What {@link buildGateway} needs. */
export interface GatewayDeps {
  readonly intake: MqttIntake;
  readonly devices: DeviceDirectory;
  readonly sink: RecordSink;
  /** Kafka topic names, `topicNames(config.kafka.topicPrefix)`. */
  readonly topics: { readonly readings: string; readonly deadletter: string };
  /** `config.ingest`. */
  readonly settings: IngestSettings & { readonly lingerMs: number; readonly maxBatch: number };
  readonly log: Logger;
  /** Longest wait for in-flight batches on stop, ms (default 15 000). */
  readonly drainTimeoutMs?: number;
  /** Backoff of Kafka and device-lookup retries (default 100 ms doubling to 10 s). */
  readonly retry?: { readonly initialMs: number; readonly maxMs: number };
}

/** The ingest gateway. */
export interface Gateway {
  /** Connects to the broker and starts taking messages. */
  start(): Promise<void>;
  /**
   * Graceful stop: stops intake, produces and acknowledges what was received (up to the drain timeout;
   * anything left stays unacknowledged and is redelivered), disconnects from the broker. Producer and
   * pool belong to the caller.
   */
  stop(): Promise<void>;
  stats(): GatewayStats;
}

/**
 * Wires MQTT intake → ingest (validation, normalisation) → batched Kafka produce → PUBACK.
 * Each message is acknowledged to the broker only after Kafka acknowledged its readings and dead
 * letters, so a gateway killed at any moment loses nothing (at-least-once; the writer is idempotent).
 */
export function buildGateway(deps: GatewayDeps): Gateway {
  const ingest = createIngestService({ devices: deps.devices, settings: deps.settings });
  const pipeline = createPipeline({
    ingest,
    sink: deps.sink,
    topics: deps.topics,
    lingerMs: deps.settings.lingerMs,
    maxBatch: deps.settings.maxBatch,
    log: deps.log,
    ...(deps.retry ? { retry: deps.retry } : {}),
  });
  let stopping: Promise<void> | undefined;
  return {
    async start() {
      await deps.intake.start((msg) => pipeline.push(msg));
      deps.log.info({ topics: deps.topics }, 'gateway started');
    },
    stop() {
      stopping ??= (async () => {
        deps.intake.pause();
        const drained = await pipeline.drain(deps.drainTimeoutMs ?? 15_000);
        if (!drained)
          deps.log.warn(
            { pending: pipeline.stats().pending },
            'gateway stopped before every message was produced; the broker will redeliver them',
          );
        await deps.intake.close();
        deps.log.info({ stats: pipeline.stats() }, 'gateway stopped');
      })();
      return stopping;
    },
    stats: () => pipeline.stats(),
  };
}

/** One-line summary of {@link GatewayStats} for the periodic log. */
export function formatStats(s: GatewayStats): string {
  const rejected = Object.entries(s.rejected)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `received=${s.received} acked=${s.acked} pending=${s.pending} readings=${s.acceptedReadings} values=${s.acceptedValues} rejected={${rejected}} deadLetters=${s.deadLetters} kafkaBatches=${s.kafkaBatches} kafkaRetries=${s.kafkaRetries}`;
}
