import type { DeadLetter } from '@voc/domain';
import type { Pool } from './pool.js';

/** A dead letter with its own position on the dead-letter topic (the idempotency key). */
export interface StoredDeadLetter {
  letter: DeadLetter;
  partition: number;
  offset: string;
  /** Name of the dead-letter topic the letter was read from; part of the position (default ''). */
  topic?: string;
}

/** Dead letters operators can inspect (table `dead_letters`). */
export class DeadLetterRepository {
  constructor(private readonly pool: Pool) {}

  /** Stores dead letters; redelivered ones (same topic, partition and offset) are skipped. @returns rows inserted */
  async insertBatch(items: readonly StoredDeadLetter[]): Promise<number> {
    if (items.length === 0) return 0;
    const r = await this.pool.query(
      `insert into dead_letters (received_at, stage, reason, code, detail, device_id, mqtt_topic, path, source_topic, source_partition, source_offset, payload, dlq_topic, dlq_partition, dlq_offset)
       select t.received_at, t.stage, t.reason, t.code, t.detail, t.device_id, t.mqtt_topic, t.path, t.source_topic, t.source_partition, t.source_offset,
              decode(t.payload, 'base64'), t.dlq_topic, t.dlq_partition, t.dlq_offset
       from unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::int[], $11::int8[], $12::text[], $13::int[], $14::int8[], $15::text[])
         as t(received_at, stage, reason, code, detail, device_id, mqtt_topic, path, source_topic, source_partition, source_offset, payload, dlq_partition, dlq_offset, dlq_topic)
       on conflict (dlq_topic, dlq_partition, dlq_offset) do nothing`,
      [
        items.map((i) => i.letter.receivedAt),
        items.map((i) => i.letter.stage),
        items.map((i) => i.letter.reason),
        items.map((i) => i.letter.code),
        items.map((i) => i.letter.detail),
        items.map((i) => i.letter.deviceId ?? null),
        items.map((i) => i.letter.mqttTopic ?? null),
        items.map((i) => i.letter.path ?? null),
        items.map((i) => i.letter.source?.topic ?? null),
        items.map((i) => i.letter.source?.partition ?? null),
        items.map((i) => i.letter.source?.offset ?? null),
        items.map((i) => i.letter.payload),
        items.map((i) => i.partition),
        items.map((i) => i.offset),
        items.map((i) => i.topic ?? ''),
      ],
    );
    return r.rowCount ?? 0;
  }
}
