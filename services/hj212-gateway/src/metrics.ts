import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics of the HJ 212 gateway (served on `/metrics` by main.ts). Every stage counts what
 * it received, accepted and rejected by reason (STYLE.md §14).
 */
export interface GatewayMetrics {
  readonly registry: Registry;
  readonly connections: Gauge;
  readonly connectionsRefused: Counter<'reason'>;
  readonly connectionsClosed: Counter<'reason'>;
  readonly bytesReceived: Counter;
  readonly framesReceived: Counter;
  readonly framesRejected: Counter<'reason'>;
  readonly authFailures: Counter<'reason'>;
  readonly tolerances: Counter<'tolerance'>;
  readonly messages: Counter<'kind'>;
  readonly readings: Counter;
  readonly deadLetters: Counter<'reason'>;
  readonly replies: Counter<'cn'>;
  readonly timeCalibrations: Counter;
  readonly inflight: Gauge;
  readonly pausedSockets: Gauge;
  readonly kafkaBatchSeconds: Histogram;
}

/** Builds the metrics on a fresh registry (one per gateway, so tests can build several). */
export function createGatewayMetrics(opts: { defaultMetrics?: boolean } = {}): GatewayMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'voc_hj212_' });
  const c = <L extends string>(name: string, help: string, labelNames: L[] = []) =>
    new Counter<L>({ name: `voc_hj212_${name}`, help, labelNames, registers: [registry] });
  return {
    registry,
    connections: new Gauge({ name: 'voc_hj212_connections', help: 'Open logger connections', registers: [registry] }),
    connectionsRefused: c('connections_refused_total', 'Connections refused (per-address or total cap)', ['reason']),
    connectionsClosed: c('connections_closed_total', 'Connections closed by the gateway, by reason', ['reason']),
    bytesReceived: c('bytes_received_total', 'Bytes read from loggers'),
    framesReceived: c('frames_received_total', 'Frames delimited by the framer (accepted or not)'),
    framesRejected: c('frames_rejected_total', 'Frames or bytes the codec refused, by reason code', ['reason']),
    authFailures: c('auth_failures_total', 'Frames failing MN + PW authentication', ['reason']),
    tolerances: c('tolerances_total', 'Frames accepted through a per-device tolerance', ['tolerance']),
    messages: c('messages_total', 'Assembled messages by kind (data, partial, reply, request, notification)', ['kind']),
    readings: c('readings_produced_total', 'Readings produced to the readings topic'),
    deadLetters: c('dead_letters_total', 'Dead letters produced, by reason', ['reason']),
    replies: c('replies_total', 'Replies written to loggers, by CN', ['cn']),
    timeCalibrations: c('time_calibrations_total', 'CN=1012 time calibrations sent'),
    inflight: new Gauge({ name: 'voc_hj212_inflight_frames', help: 'Frames waiting for Kafka', registers: [registry] }),
    pausedSockets: new Gauge({ name: 'voc_hj212_paused_sockets', help: 'Sockets paused by back-pressure', registers: [registry] }),
    kafkaBatchSeconds: new Histogram({
      name: 'voc_hj212_kafka_batch_seconds',
      help: 'Duration of one acknowledged Kafka batch',
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
  };
}
