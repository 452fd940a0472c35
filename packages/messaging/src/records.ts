import type { Message } from 'kafkajs';
import { KAFKA_HEADERS, REJECT_REASONS, SCHEMA_IDS, type DeadLetter, type ReadingMessage, type Rejection } from '@voc/domain';

/** Kafka record of a normalised reading: key = device id, JSON value, schema and provenance headers. */
export function readingRecord(m: ReadingMessage, mqttTopic?: string): Message {
  const headers: Record<string, string> = {
    [KAFKA_HEADERS.schema]: SCHEMA_IDS.reading,
    [KAFKA_HEADERS.contentType]: 'application/json',
    [KAFKA_HEADERS.deviceId]: m.deviceId,
    [KAFKA_HEADERS.receivedAt]: m.receivedAt,
  };
  if (mqttTopic) headers[KAFKA_HEADERS.mqttTopic] = mqttTopic;
  return { key: m.deviceId, value: JSON.stringify(m), headers };
}

/** What is known about a rejected input besides the rejection itself. */
export interface DeadLetterContext {
  stage: DeadLetter['stage'];
  payload: Buffer;
  receivedAt: Date;
  deviceId?: string;
  mqttTopic?: string;
  path?: string;
  source?: DeadLetter['source'];
}

/**
 * Largest part of a raw payload copied into a dead letter (512 KiB, base64 ≈ 683 KiB): keeps every
 * dead-letter record under Kafka's default 1 MiB `message.max.bytes` whatever the broker's MQTT
 * packet limit. A shortened copy says so in its detail; `payloadBytes` stays the received size.
 * The one cap for every dead letter: the gateway's (raw device payloads) and the stream writer's
 * (unstorable Kafka record values).
 */
export const DEAD_LETTER_MAX_PAYLOAD_BYTES = 512 * 1024;

/** Builds the dead-letter value for a rejection (raw payload base64-encoded). */
export function deadLetter(rejection: Rejection, ctx: DeadLetterContext): DeadLetter {
  return {
    reason: rejection.reason,
    code: REJECT_REASONS[rejection.reason],
    detail: rejection.detail,
    stage: ctx.stage,
    deviceId: ctx.deviceId,
    mqttTopic: ctx.mqttTopic,
    path: ctx.path,
    source: ctx.source,
    receivedAt: ctx.receivedAt.toISOString(),
    payload: ctx.payload.toString('base64'),
    payloadEncoding: 'base64',
    payloadBytes: ctx.payload.length,
  };
}

/** Kafka record of a dead letter: key = device id (or MQTT topic), reason in a header. */
export function deadLetterRecord(d: DeadLetter): Message {
  return {
    key: d.deviceId ?? d.mqttTopic ?? null,
    value: JSON.stringify(d),
    headers: {
      [KAFKA_HEADERS.schema]: SCHEMA_IDS.deadletter,
      [KAFKA_HEADERS.contentType]: 'application/json',
      [KAFKA_HEADERS.reason]: d.reason,
    },
  };
}
