import type { DeviceKind } from './devices.js';
import { DEVICE_KINDS } from './devices.js';

/** Version segment of the MQTT topic scheme; bumped only with an incompatible payload change. */
export const MQTT_TOPIC_VERSION = 'v1';

/**
 * MQTT topic a device publishes its readings to: `voc/v1/{kind}/{deviceId}/up`, QoS 1.
 * The broker ACL lets a device write only its own topic.
 */
export function deviceUpTopic(kind: DeviceKind, deviceId: string): string {
  return `voc/${MQTT_TOPIC_VERSION}/${kind}/${deviceId}/up`;
}

/** Filter matching every device's up topic. */
export const DEVICE_UP_FILTER = `voc/${MQTT_TOPIC_VERSION}/+/+/up`;

/**
 * Shared subscription of the ingest gateways (MQTT v5 §4.8.2): every gateway instance subscribes to it
 * and the broker delivers each message to one of them.
 * @param group share name, default `voc-gateway`
 */
export function gatewaySharedFilter(group = 'voc-gateway'): string {
  return `$share/${group}/${DEVICE_UP_FILTER}`;
}

/** Parsed device up topic. */
export interface DeviceTopic {
  readonly kind: DeviceKind;
  readonly deviceId: string;
}

/**
 * Parses `voc/v1/{kind}/{deviceId}/up`.
 * @returns the kind and device id, or undefined when the topic does not follow the scheme.
 */
export function parseDeviceTopic(topic: string): DeviceTopic | undefined {
  const parts = topic.split('/');
  if (parts.length !== 5 || parts[0] !== 'voc' || parts[1] !== MQTT_TOPIC_VERSION || parts[4] !== 'up') return undefined;
  const kind = parts[2] as DeviceKind;
  const deviceId = parts[3] ?? '';
  if (!DEVICE_KINDS.includes(kind) || deviceId.length === 0) return undefined;
  return { kind, deviceId };
}

/**
 * Kafka topics with their partition counts and retention, created by `voc setup` (never auto-created).
 * - readings: normalised readings keyed by device id, so one device's readings stay in order.
 * - deadletter: every rejected input with its reason and raw payload; keyed by device id or MQTT topic.
 * - alerts: hotspot opened/cleared and task opened events, keyed by H3 cell.
 */
export const KAFKA_TOPICS = {
  readings: { name: 'voc.readings.v1', partitions: 6, retentionMs: 7 * 24 * 3600 * 1000 },
  deadletter: { name: 'voc.deadletter.v1', partitions: 3, retentionMs: 30 * 24 * 3600 * 1000 },
  alerts: { name: 'voc.alerts.v1', partitions: 3, retentionMs: 30 * 24 * 3600 * 1000 },
} as const;

/** Logical name of a Kafka topic in {@link KAFKA_TOPICS}. */
export type KafkaTopicKey = keyof typeof KAFKA_TOPICS;

/** Kafka message headers set by producers (all values UTF-8 strings). */
export const KAFKA_HEADERS = {
  /** Schema id of the value, e.g. `voc.reading.v1`. */
  schema: 'voc-schema',
  contentType: 'content-type',
  /** Device id (also the key of readings). */
  deviceId: 'voc-device-id',
  /** MQTT topic the input arrived on. */
  mqttTopic: 'voc-mqtt-topic',
  /** Gateway receive time, ISO 8601 UTC. */
  receivedAt: 'voc-received-at',
  /** Reject reason code on dead letters. */
  reason: 'voc-reason',
} as const;

/** Consumer groups, one per consuming service. */
export const CONSUMER_GROUPS = {
  writer: 'voc-stream-writer',
  deadletterStore: 'voc-deadletter-store',
} as const;
