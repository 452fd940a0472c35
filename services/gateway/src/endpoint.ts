import type { Config } from '@voc/config';
import { deviceUpTopic, type Logger, type RejectReason } from '@voc/domain';
import {
  createMqttServer,
  type MqttServer,
  type MqttServerMetrics,
  type MqttServerOptions,
  type PublishRefusal,
  type RefusedPublish,
} from '@voc/mqtt-server';
import type { Authenticator } from './auth.js';
import type { GatewayDirectory } from './directory.js';
import type { Pipeline } from './pipeline.js';

/** Listener and limit options of the endpoint (`config.mqtt`, mapped in main.ts); the ports are the gateway's. */
export type EndpointOptions = Omit<MqttServerOptions, 'ports' | 'log' | 'metrics'>;

/** Dependencies of {@link createEndpoint}. */
export interface EndpointDeps {
  readonly options: EndpointOptions;
  readonly directory: GatewayDirectory;
  readonly authenticator: Authenticator;
  readonly pipeline: Pipeline;
  readonly log: Logger;
  readonly metrics?: MqttServerMetrics;
}

/** Dead-letter reason of each publish the endpoint refuses. */
const REFUSAL_REASONS = {
  not_authorized: 'topic_not_authorized',
  packet_too_large: 'payload_too_large',
  qos_not_supported: 'qos_not_supported',
  retain_not_supported: 'retain_not_supported',
} as const satisfies Record<PublishRefusal, RejectReason>;

/** The dead-letter detail of a refused publish. */
function refusalDetail(r: RefusedPublish, ownTopic: string | undefined, maxPacketBytes: number | undefined): string {
  switch (r.reason) {
    case 'not_authorized':
      return `device ${r.deviceId} may publish only on ${ownTopic ?? 'its own topic'}, not on "${r.topic ?? ''}"`;
    case 'packet_too_large':
      return `MQTT packet declares ${r.declaredBytes} bytes, above the endpoint's maximum packet size of ${maxPacketBytes ?? 'its'} bytes (VOC_MAX_PAYLOAD_BYTES + 1 KiB; MQTT 5 reason 0x95); the first ${r.payloadHead.length} payload bytes are kept`;
    case 'qos_not_supported':
      return `QoS ${r.qos ?? 2} is not supported: publish at QoS 1 (MQTT 5 reason 0x9B)`;
    case 'retain_not_supported':
      return 'RETAIN is not supported: the endpoint keeps no retained messages (MQTT 5 reason 0x9A)';
  }
}

/**
 * The gateway's device endpoint: `@voc/mqtt-server` with the gateway's ports.
 * - `authenticate`: {@link Authenticator} (registry password hash, status, client id).
 * - `authorizePublish`: a device publishes only on `voc/v1/{kind}/{deviceId}/up` with its registered kind.
 * - `onPublish`: the message enters the pipeline; the promise (and with it the PUBACK) resolves once
 *   Kafka acknowledged the reading records or dead letters it became. QoS 0 takes the same path and is
 *   never acknowledged (best effort).
 * - `onRefused`: a refused publish (unauthorised topic, oversize, QoS 2, retain) becomes a dead letter
 *   through the same pipeline, and the refusal leaves only once Kafka holds it.
 */
export function createEndpoint(deps: EndpointDeps): MqttServer {
  const { directory, pipeline } = deps;
  const take = (topic: string, payload: Buffer, receivedAt: Date, extra: Partial<Parameters<Pipeline['push']>[0]> = {}) =>
    new Promise<void>((resolve) => pipeline.push({ topic, payload, receivedAt, ...extra, ack: resolve }));

  return createMqttServer({
    ...deps.options,
    log: deps.log,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
    ports: {
      authenticate: (req) => deps.authenticator.authenticate(req),
      authorizePublish(deviceId, topic) {
        const r = directory.peek(deviceId);
        return r !== undefined && r.status === 'active' && topic === deviceUpTopic(r.kind, deviceId);
      },
      async onPublish(msg) {
        await take(msg.topic, msg.payload, msg.receivedAt);
      },
      async onRefused(report) {
        const r = directory.peek(report.deviceId);
        const reason = REFUSAL_REASONS[report.reason];
        const detail = refusalDetail(report, r ? deviceUpTopic(r.kind, report.deviceId) : undefined, deps.options.maxPacketBytes);
        await take(report.topic ?? '', report.payloadHead, report.receivedAt, {
          preset: { accepted: [], rejected: [{ rejection: { reason, detail }, deviceId: report.deviceId }] },
          ...(report.complete ? {} : { declaredBytes: report.declaredBytes }),
        });
      },
    },
  });
}

/** Room for the fixed header, topic and properties above the largest payload, bytes. */
const PACKET_HEADER_ALLOWANCE = 1024;

/** The endpoint's listeners and limits from `config.mqtt` (the packet limit from `config.ingest.maxPayloadBytes`). */
export function endpointOptions(cfg: Config): EndpointOptions {
  const m = cfg.mqtt;
  return {
    tcp: { host: m.host, port: m.port },
    ...(m.tls ? { tls: { host: m.host, ...m.tls } } : {}),
    connectTimeoutMs: m.connectTimeoutMs,
    maxPacketBytes: cfg.ingest.maxPayloadBytes + PACKET_HEADER_ALLOWANCE,
    receiveMaximum: m.receiveMaximum,
    maxInflightBytes: m.maxInflightBytes,
    maxConnections: m.maxConnections,
    maxConnectionsPerAddress: m.maxConnectionsPerAddress,
    idleTimeoutMs: m.idleTimeoutMs,
    ...(m.serverKeepAliveSeconds > 0 ? { serverKeepAliveSeconds: m.serverKeepAliveSeconds } : {}),
  };
}
