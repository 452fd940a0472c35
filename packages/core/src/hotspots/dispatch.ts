import type { Logger } from '@voc/domain';

/** One alert waiting in the outbox. */
export interface PendingAlert {
  readonly id: number;
  readonly alertId: string;
  readonly key: string;
  /** The alert as JSON text (schema `voc.alert.v1`). */
  readonly value: string;
}

/** The outbox as the dispatcher sees it. */
export interface AlertOutbox {
  /**
   * Claims up to `limit` unpublished alerts in id order (rows locked, skipping rows another dispatcher
   * holds), runs `publish`, and marks them published in the same transaction only if it succeeds.
   * @returns number of alerts published
   */
  drain(limit: number, publish: (items: readonly PendingAlert[]) => Promise<void>): Promise<number>;
}

/** Where alerts go (the Kafka alerts topic). */
export interface AlertSink {
  /** Resolves once the broker acknowledged every record (acks = all). */
  publish(items: readonly PendingAlert[]): Promise<void>;
}

/**
 * Publishes the alert outbox to Kafka after the evaluations that wrote it have committed. Delivery is
 * at least once: a dispatcher killed between the broker's acknowledgement and its own commit publishes
 * those alerts again, with the same `alertId` for consumers to deduplicate on. Nothing is lost: an
 * alert leaves the outbox only when the broker has acknowledged it.
 */
export class AlertDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly outbox: AlertOutbox,
    private readonly sink: AlertSink,
    private readonly log: Logger,
    private readonly intervalMs: number,
    private readonly batch = 500,
  ) {}

  /** Publishes everything pending now. @returns number of alerts published */
  async dispatchOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.outbox.drain(this.batch, (items) => this.sink.publish(items));
      total += n;
      if (n < this.batch) return total;
    }
  }

  /** Starts periodic dispatching. */
  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.kick(), this.intervalMs);
  }

  /** Dispatches soon (coalesces calls while a run is in progress). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.dispatchOnce()
      .then((n) => {
        if (n > 0) this.log.info({ alerts: n }, 'alerts published');
      })
      .catch((err: unknown) => this.log.warn({ err }, 'alert dispatch failed; retrying on the next tick'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Stops the timer and waits for a run in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
