/**
 * Ports of the enforcement routes beyond tasks: hotspot listing, the alert log (the alert outbox read
 * back for the live stream's replay) and webhooks. `@voc/db` implements them.
 */

/** Filter of {@link HotspotQueryStore.list}. */
export interface HotspotFilter {
  readonly states?: readonly ('open' | 'cleared' | 'withdrawn')[];
  readonly metric?: string;
  /** H3 cell (hex). */
  readonly cell?: string;
  /** Opened window in [from, to). */
  readonly from?: string;
  readonly to?: string;
  /** Street offices of the hotspot's task; hotspots without a task never match. */
  readonly streetOffices?: readonly string[];
  readonly beforeId?: number;
  readonly limit: number;
}

/** A hotspot as listed. */
export interface HotspotSummary {
  readonly id: number;
  readonly metric: string;
  readonly resolution: number;
  readonly windowMinutes: number;
  readonly cell: string;
  readonly state: 'open' | 'cleared' | 'withdrawn';
  readonly openedWindow: string;
  readonly lastWindow: string;
  readonly clearedWindow: string | null;
  readonly taskId: number | null;
  readonly streetOffice: { id: string; name: string } | null;
}

/** Hotspots for the enforcement and analyst routes. */
export interface HotspotQueryStore {
  list(f: HotspotFilter): Promise<HotspotSummary[]>;
}

/** One alert as stored in the outbox: `id` orders every alert ever raised and is the SSE event id. */
export interface LoggedAlert {
  readonly id: number;
  readonly alertId: string;
  readonly payload: Record<string, unknown>;
}

/** The alert outbox, read back. */
export interface AlertLog {
  /** Alerts with an id above `afterId`, oldest first. */
  after(afterId: number, limit: number): Promise<LoggedAlert[]>;
  /** Highest outbox id (0 when empty). */
  lastId(): Promise<number>;
  /** Outbox id of an alert id seen on Kafka, or undefined. */
  idOf(alertId: string): Promise<number | undefined>;
}

/** A webhook subscription (admin-registered). */
export interface Webhook {
  readonly id: number;
  readonly url: string;
  readonly eventTypes: readonly string[];
  readonly enabled: boolean;
  readonly failures: number;
  readonly disabledAt: string | null;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly cursor: number;
}

/** One delivery attempt of the delivery log. */
export interface WebhookDelivery {
  readonly id: number;
  readonly webhookId: number;
  readonly alertOutboxId: number;
  readonly attempt: number;
  readonly at: string;
  readonly status: number | null;
  readonly error: string | null;
  readonly ok: boolean;
  readonly durationMs: number | null;
}

/** Storage of webhooks and their delivery log. */
export interface WebhookStore {
  create(w: { url: string; secret: string; eventTypes: readonly string[]; createdBy: string; startAfter: number }): Promise<Webhook>;
  list(): Promise<Webhook[]>;
  get(id: number): Promise<(Webhook & { secret: string }) | undefined>;
  /** Enabled hooks with their secrets. */
  enabled(): Promise<(Webhook & { secret: string })[]>;
  setEnabled(id: number, enabled: boolean): Promise<Webhook | undefined>;
  remove(id: number): Promise<boolean>;
  logAttempt(d: Omit<WebhookDelivery, 'id' | 'at'>): Promise<void>;
  /** After an alert was delivered or given up: move the cursor, reset or count failures, disable at `disableAfter` consecutive failures. */
  settle(id: number, alertOutboxId: number, ok: boolean, disableAfter: number): Promise<void>;
  deliveries(id: number, limit: number): Promise<WebhookDelivery[]>;
  /**
   * Runs `fn` while holding the deployment-wide webhook dispatch lock, or skips it when another API
   * instance holds it (so several instances deliver each alert once, not once each).
   * @returns `fn`'s result, or undefined when skipped
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T | undefined>;
}
