import type { Producer } from 'kafkajs';
import { alertHeaders } from '@voc/domain';

/**
 * Publishes outbox alerts (`@voc/core`'s `AlertSink`) on a connected kafkajs producer with acks = all;
 * delivery is at least once, consumers deduplicate on `alertId`.
 */
export class KafkaAlertSink {
  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
  ) {}

  /** @param items alerts as Kafka key and JSON text (schema `voc.alert.v1`); resolves once the broker acknowledged every record */
  async publish(items: readonly { readonly key: string; readonly value: string }[]): Promise<void> {
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: items.map((i) => ({ key: i.key, value: i.value, headers: alertHeaders() })),
    });
  }
}
