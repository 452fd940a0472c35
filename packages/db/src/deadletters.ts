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

  /**
   * Dead letters, newest first, by reason and device (keyset on id), without payloads (see `payload`).
   */
  async list(f: { reason?: string; deviceId?: string; beforeId?: number; limit: number }): Promise<Record<string, unknown>[]> {
    const { rows } = await this.pool.query<Record<string, unknown> & { receivedAt: Date; storedAt: Date }>(
      `select id, received_at as "receivedAt", stored_at as "storedAt", stage, reason, code, detail, device_id as "deviceId", mqtt_topic as "mqttTopic",
              length(payload) as "payloadBytes"
       from dead_letters where ($1::text is null or reason = $1) and ($2::text is null or device_id = $2) and ($3::int8 is null or id < $3)
       order by id desc limit $4`,
      [f.reason ?? null, f.deviceId ?? null, f.beforeId ?? null, f.limit],
    );
    return rows.map((r) => ({ ...r, receivedAt: r.receivedAt.toISOString(), storedAt: r.storedAt.toISOString() }));
  }

  /** Dead letters per reason (and per device when `byDevice`) since a time. */
  async counts(since: string, byDevice: boolean): Promise<{ reason: string; deviceId: string | null; n: number }[]> {
    const { rows } = await this.pool.query<{ reason: string; device_id: string | null; n: number }>(
      `select reason, case when $2 then device_id end as device_id, count(*)::int8 as n from dead_letters where received_at >= $1
       group by 1, 2 order by n desc limit 1000`,
      [since, byDevice],
    );
    return rows.map((r) => ({ reason: r.reason, deviceId: r.device_id, n: r.n }));
  }
}
