import type { Kafka } from 'kafkajs';
import { apiAlertsGroup } from '@voc/messaging';
import { alertSchema, type Logger } from '@voc/domain';
import type { AlertLog } from '@voc/core';
import type { AlertHub } from './alert-hub.js';

/**
 * Feeds the {@link AlertHub} from the alerts topic: each alert is looked up in the outbox by its
 * `alertId` to get its event id (the outbox id), so a client can resume across API restarts from the
 * database. Consumer group `voc-api-alerts.<instance>` of this instance alone (the prefixed ACL of the
 * `api` principal), so each instance sees every alert; it starts at the newest offset: what happened
 * while the API was down is replayed from the outbox, not from Kafka.
 * @param instance this API instance's id (unique among running instances)
 * @returns a stop function
 */
export async function startAlertConsumer(
  kafka: Kafka,
  topic: string,
  groupPrefix: string,
  instance: string,
  log: AlertLog,
  hub: AlertHub,
  logger: Logger,
): Promise<() => Promise<void>> {
  const consumer = kafka.consumer({ groupId: apiAlertsGroup(groupPrefix, instance) });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: false });
  await consumer.run({
    eachMessage: async ({ message }) => {
      let parsed;
      try {
        parsed = alertSchema.parse(JSON.parse(message.value?.toString('utf8') ?? ''));
      } catch (err) {
        logger.warn({ err, offset: message.offset }, 'alert record is not a voc.alert.v1; skipped');
        return;
      }
      const id = await log.idOf(parsed.alertId);
      if (id === undefined) {
        logger.warn({ alertId: parsed.alertId }, 'alert not in the outbox; skipped');
        return;
      }
      hub.publish({ id, alertId: parsed.alertId, payload: parsed });
    },
  });
  return () => consumer.disconnect();
}
