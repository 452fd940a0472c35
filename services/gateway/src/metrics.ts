import { listenOn } from '@voc/config';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CounterName, MqttServerMetrics, MqttServerSnapshot } from '@voc/mqtt-server';
import type { GatewayStats } from './pipeline.js';

/** What the gauges read at each scrape. */
export interface MetricsSources {
  snapshot(): MqttServerSnapshot;
  stats(): GatewayStats;
  /** Devices in the directory, and whether its last refresh succeeded. */
  directory(): { size: number; healthy: boolean };
}

/** The gateway's Prometheus metrics. */
export interface GatewayMetrics {
  readonly registry: Registry;
  /** Binds `@voc/mqtt-server`'s counters (`voc_gateway_mqtt_<name>_total`). */
  readonly mqtt: MqttServerMetrics;
  /** Records one Kafka produce (`voc_gateway_kafka_produce_seconds`). */
  observeProduce(ms: number, records: number): void;
  /** Sets the scrape-time sources (gauges and pipeline counters). */
  bind(sources: MetricsSources): void;
}

/** Label of each MQTT counter that has one. */
const LABELS: Partial<Record<CounterName, string>> = {
  connects_refused: 'reason',
  publishes_received: 'qos',
  publishes_refused: 'reason',
  publishes_failed: 'retry',
  socket_pauses: 'cause',
  disconnects: 'reason',
};

const COUNTER_NAMES: readonly CounterName[] = [
  'connections_accepted',
  'connections_closed',
  'connects_refused',
  'publishes_received',
  'publishes_acked',
  'publishes_refused',
  'publishes_failed',
  'oversize',
  'socket_pauses',
  'disconnects',
];

/**
 * Builds the gateway's metrics on a registry of its own (prom-client 15; process metrics included).
 * Names: `voc_gateway_mqtt_*_total` (connections, refusals by reason, publishes by QoS, PUBACKs,
 * pauses); gauges `voc_gateway_connections`, `_devices`, `_inflight_messages`, `_inflight_bytes`,
 * `_paused_sockets`, `_buffered_bytes`, `_directory_devices`, `_directory_healthy`; pipeline counters
 * `voc_gateway_messages_received_total`, `_messages_acked_total`, `_readings_total`, `_values_total`,
 * `_rejected_total{reason}`, `_dead_letters_total`, `_kafka_retries_total`; and the histogram
 * `voc_gateway_kafka_produce_seconds` (acks=all round trip of one batch).
 */
export function createGatewayMetrics(): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'voc_gateway_' });
  const counters = new Map<CounterName, Counter>();
  for (const name of COUNTER_NAMES) {
    const label = LABELS[name];
    counters.set(
      name,
      new Counter({
        name: `voc_gateway_mqtt_${name}_total`,
        help: `MQTT endpoint: ${name.replace(/_/g, ' ')}`,
        labelNames: label ? [label] : [],
        registers: [registry],
      }),
    );
  }
  const produce = new Histogram({
    name: 'voc_gateway_kafka_produce_seconds',
    help: 'Kafka produce round trip of one batch (acks=all), seconds',
    buckets: [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10],
    registers: [registry],
  });
  const produced = new Counter({ name: 'voc_gateway_kafka_records_total', help: 'Records acknowledged by Kafka', registers: [registry] });
  let sources: MetricsSources | undefined;

  const gauge = (name: string, help: string, read: (s: MetricsSources) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        if (sources) this.set(read(sources));
      },
    });
  gauge('voc_gateway_connections', 'Open device sockets', (s) => s.snapshot().connections);
  gauge('voc_gateway_devices', 'Authenticated device connections', (s) => s.snapshot().devices);
  gauge('voc_gateway_inflight_messages', 'Publishes taken and not yet acknowledged', (s) => s.snapshot().inflight);
  gauge('voc_gateway_inflight_bytes', 'Packet bytes of the publishes in flight (global budget)', (s) => s.snapshot().inflightBytes);
  gauge('voc_gateway_paused_sockets', 'Sockets not read (window full or global budget reached)', (s) => s.snapshot().pausedSockets);
  gauge('voc_gateway_buffered_bytes', 'Bytes read from sockets, not yet decoded', (s) => s.snapshot().bufferedBytes);
  gauge('voc_gateway_directory_devices', 'Devices in the in-memory directory', (s) => s.directory().size);
  gauge('voc_gateway_directory_healthy', '1 when the last directory refresh succeeded', (s) => (s.directory().healthy ? 1 : 0));
  const stat = (name: string, help: string, read: (g: GatewayStats) => number) =>
    gauge(name, `${help} (since start; a counter read at scrape time)`, (s) => read(s.stats()));
  stat('voc_gateway_messages_received_total', 'MQTT messages taken by the pipeline', (g) => g.received);
  stat('voc_gateway_messages_acked_total', 'MQTT messages acknowledged after Kafka', (g) => g.acked);
  stat('voc_gateway_readings_total', 'Readings produced', (g) => g.acceptedReadings);
  stat('voc_gateway_values_total', 'Values produced', (g) => g.acceptedValues);
  stat('voc_gateway_dead_letters_total', 'Dead letters produced', (g) => g.deadLetters);
  stat('voc_gateway_kafka_retries_total', 'Failed Kafka produce attempts (retried)', (g) => g.kafkaRetries);
  new Gauge({
    name: 'voc_gateway_rejected_total',
    help: 'Rejected items by reason (since start)',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      if (!sources) return;
      for (const [reason, n] of Object.entries(sources.stats().rejected)) this.set({ reason }, n ?? 0);
    },
  });

  return {
    registry,
    mqtt: {
      inc(name, labels, n = 1) {
        const c = counters.get(name);
        if (!c) return;
        const label = LABELS[name];
        if (label) c.inc({ [label]: labels?.[label] ?? 'unknown' }, n);
        else c.inc(n);
      },
    },
    observeProduce(ms, records) {
      produce.observe(ms / 1000);
      produced.inc(records);
    },
    bind(s) {
      sources = s;
    },
  };
}

/**
 * Serves `GET /metrics` (Prometheus text format) on `host:port`; anything else is 404.
 * @returns the server and its bound address (port 0 picks a free one)
 */
export async function serveMetrics(registry: Registry, host: string, port: number): Promise<{ server: Server; address: AddressInfo }> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found; metrics are at /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(err)}\n`),
    );
  });
  await listenOn(server, port, host, 'VOC_GATEWAY_METRICS_PORT');
  return { server, address: server.address() as AddressInfo };
}
