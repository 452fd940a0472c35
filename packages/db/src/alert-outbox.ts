import type { Alert } from '@voc/domain';
import type { AlertOutboxWritePort } from '@voc/core';
import { type Queryable } from './sql.js';
import type { AlertOutbox, PendingAlert } from '@voc/core';
import { withTransaction, type Pool } from './pool.js';

/** {@link AlertOutbox} on the `alert_outbox` table. */
export class AlertOutboxRepository implements AlertOutbox {
  constructor(private readonly pool: Pool) {}

  drain(limit: number, publish: (items: readonly PendingAlert[]) => Promise<void>): Promise<number> {
    return withTransaction(this.pool, async (c) => {
      const { rows } = await c.query<{ id: number; alert_id: string; kafka_key: string; payload: unknown }>(
        `select id, alert_id, kafka_key, payload from alert_outbox where published_at is null order by id limit $1 for update skip locked`,
        [limit],
      );
      if (rows.length === 0) return 0;
      await publish(rows.map((r) => ({ id: r.id, alertId: r.alert_id, key: r.kafka_key, value: JSON.stringify(r.payload) })));
      await c.query(`update alert_outbox set published_at = now() where id = any($1::int8[])`, [rows.map((r) => r.id)]);
      return rows.length;
    });
  }
}

/** Writes alerts to the outbox (table `alert_outbox`) on the evaluation transaction. */
export class AlertOutboxWrites implements AlertOutboxWritePort {
  constructor(private readonly db: Queryable) {}

  async enqueueAlert(alert: Alert, kafkaKey: string): Promise<void> {
    await this.db.query(`insert into alert_outbox (alert_id, kafka_key, payload) values ($1, $2, $3) on conflict (alert_id) do nothing`, [
      alert.alertId,
      kafkaKey,
      JSON.stringify(alert),
    ]);
  }
}
