import type {
  AlertLog,
  HotspotFilter,
  HotspotSummary,
  HotspotQueryStore,
  LoggedAlert,
  Webhook,
  WebhookDelivery,
  WebhookStore,
} from '@voc/core';
import { bigintToH3, h3ToBigint } from './h3.js';
import type { Pool } from './pool.js';

/** {@link HotspotQueryStore} on `hotspots` joined with their tasks' street offices. */
export class HotspotQueryRepository implements HotspotQueryStore {
  constructor(private readonly pool: Pool) {}

  async list(f: HotspotFilter): Promise<HotspotSummary[]> {
    const { rows } = await this.pool.query<{
      id: number;
      metric: string;
      resolution: number;
      window_minutes: number;
      cell: string;
      state: HotspotSummary['state'];
      opened_window: Date;
      last_window: Date;
      cleared_window: Date | null;
      task_id: number | null;
      so_id: string | null;
      so_name: string | null;
    }>(
      `select h.id, h.metric, h.resolution, h.window_minutes, h.cell::text as cell, h.state, h.opened_window, h.last_window, h.cleared_window, h.task_id,
              t.street_office_id as so_id, t.street_office_name as so_name
       from hotspots h left join tasks t on t.id = h.task_id
       where ($1::text[] is null or h.state = any($1)) and ($2::text is null or h.metric = $2) and ($3::int8 is null or h.cell = $3)
         and ($4::timestamptz is null or h.opened_window >= $4) and ($5::timestamptz is null or h.opened_window < $5)
         and ($6::text[] is null or t.street_office_id = any($6)) and ($7::int8 is null or h.id < $7)
       order by h.id desc limit $8`,
      [
        f.states?.length ? f.states : null,
        f.metric ?? null,
        f.cell ? h3ToBigint(f.cell) : null,
        f.from ?? null,
        f.to ?? null,
        f.streetOffices ?? null,
        f.beforeId ?? null,
        f.limit,
      ],
    );
    return rows.map((r) => ({
      id: r.id,
      metric: r.metric,
      resolution: r.resolution,
      windowMinutes: r.window_minutes,
      cell: bigintToH3(r.cell),
      state: r.state,
      openedWindow: r.opened_window.toISOString(),
      lastWindow: r.last_window.toISOString(),
      clearedWindow: r.cleared_window?.toISOString() ?? null,
      taskId: r.task_id,
      streetOffice: r.so_id ? { id: r.so_id, name: r.so_name ?? r.so_id } : null,
    }));
  }
}

/** {@link AlertLog} on `alert_outbox`. */
export class AlertLogRepository implements AlertLog {
  constructor(private readonly pool: Pool) {}

  async after(afterId: number, limit: number): Promise<LoggedAlert[]> {
    const { rows } = await this.pool.query<{ id: number; alert_id: string; payload: Record<string, unknown> }>(
      `select id, alert_id, payload from alert_outbox where id > $1 order by id limit $2`,
      [afterId, limit],
    );
    return rows.map((r) => ({ id: r.id, alertId: r.alert_id, payload: r.payload }));
  }

  async lastId(): Promise<number> {
    const { rows } = await this.pool.query<{ id: number | null }>(`select max(id) as id from alert_outbox`);
    return rows[0]?.id ?? 0;
  }

  async idOf(alertId: string): Promise<number | undefined> {
    const { rows } = await this.pool.query<{ id: number }>(`select id from alert_outbox where alert_id = $1`, [alertId]);
    return rows[0]?.id;
  }
}

interface HookRow {
  id: number;
  url: string;
  secret: string;
  event_types: string[];
  enabled: boolean;
  failures: number;
  disabled_at: Date | null;
  created_at: Date;
  created_by: string;
  cursor: number;
}
const HOOK_COLS = 'id, url, secret, event_types, enabled, failures, disabled_at, created_at, created_by, cursor';
const hook = (r: HookRow): Webhook => ({
  id: r.id,
  url: r.url,
  eventTypes: r.event_types,
  enabled: r.enabled,
  failures: r.failures,
  disabledAt: r.disabled_at?.toISOString() ?? null,
  createdAt: r.created_at.toISOString(),
  createdBy: r.created_by,
  cursor: r.cursor,
});

/** {@link WebhookStore} on `webhooks` and `webhook_deliveries`. */
/**
 * Key of the PostgreSQL advisory lock held while one API instance dispatches webhooks (an arbitrary
 * 64-bit constant of this project: the first 8 bytes of SHA-256("voc.webhooks.dispatch"), as a signed bigint).
 */
export const WEBHOOK_DISPATCH_LOCK = '3240137634047116844';

export class WebhookRepository implements WebhookStore {
  constructor(private readonly pool: Pool) {}

  /** Session-level `pg_try_advisory_lock` on a client of its own for the length of `fn`. */
  async exclusive<T>(fn: () => Promise<T>): Promise<T | undefined> {
    const client = await this.pool.connect();
    let locked = false;
    try {
      const { rows } = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1::bigint) as ok', [WEBHOOK_DISPATCH_LOCK]);
      locked = rows[0]!.ok;
      if (!locked) return undefined;
      return await fn();
    } finally {
      let broken = false;
      if (locked)
        await client.query('select pg_advisory_unlock($1::bigint)', [WEBHOOK_DISPATCH_LOCK]).catch(() => {
          broken = true;
        });
      // A connection that could not unlock is closed, never pooled: closing it frees the lock.
      client.release(broken);
    }
  }

  async create(w: { url: string; secret: string; eventTypes: readonly string[]; createdBy: string; startAfter: number }): Promise<Webhook> {
    const { rows } = await this.pool.query<HookRow>(
      `insert into webhooks (url, secret, event_types, created_by, cursor) values ($1, $2, $3, $4, $5) returning ${HOOK_COLS}`,
      [w.url, w.secret, w.eventTypes, w.createdBy, w.startAfter],
    );
    return hook(rows[0]!);
  }

  async list(): Promise<Webhook[]> {
    const { rows } = await this.pool.query<HookRow>(`select ${HOOK_COLS} from webhooks order by id`);
    return rows.map(hook);
  }

  async get(id: number): Promise<(Webhook & { secret: string }) | undefined> {
    const { rows } = await this.pool.query<HookRow>(`select ${HOOK_COLS} from webhooks where id = $1`, [id]);
    return rows[0] ? { ...hook(rows[0]), secret: rows[0].secret } : undefined;
  }

  async enabled(): Promise<(Webhook & { secret: string })[]> {
    const { rows } = await this.pool.query<HookRow>(`select ${HOOK_COLS} from webhooks where enabled order by id`);
    return rows.map((r) => ({ ...hook(r), secret: r.secret }));
  }

  async setEnabled(id: number, enabled: boolean): Promise<Webhook | undefined> {
    const { rows } = await this.pool.query<HookRow>(
      `update webhooks set enabled = $2, failures = case when $2 then 0 else failures end, disabled_at = case when $2 then null else now() end
       where id = $1 returning ${HOOK_COLS}`,
      [id, enabled],
    );
    return rows[0] ? hook(rows[0]) : undefined;
  }

  async remove(id: number): Promise<boolean> {
    const r = await this.pool.query(`update webhooks set enabled = false, disabled_at = now() where id = $1`, [id]);
    return (r.rowCount ?? 0) > 0;
  }

  async logAttempt(d: Omit<WebhookDelivery, 'id' | 'at'>): Promise<void> {
    await this.pool.query(
      `insert into webhook_deliveries (webhook_id, alert_outbox_id, attempt, status, error, ok, duration_ms) values ($1, $2, $3, $4, $5, $6, $7)`,
      [d.webhookId, d.alertOutboxId, d.attempt, d.status, d.error, d.ok, d.durationMs],
    );
  }

  async settle(id: number, alertOutboxId: number, ok: boolean, disableAfter: number): Promise<void> {
    await this.pool.query(
      `update webhooks set cursor = greatest(cursor, $2), failures = case when $3 then 0 else failures + 1 end,
         enabled = case when not $3 and failures + 1 >= $4 then false else enabled end,
         disabled_at = case when not $3 and failures + 1 >= $4 then now() else disabled_at end
       where id = $1`,
      [id, alertOutboxId, ok, disableAfter],
    );
  }

  async deliveries(id: number, limit: number): Promise<WebhookDelivery[]> {
    const { rows } = await this.pool.query<{
      id: number;
      webhook_id: number;
      alert_outbox_id: number;
      attempt: number;
      at: Date;
      status: number | null;
      error: string | null;
      ok: boolean;
      duration_ms: number | null;
    }>(`select * from webhook_deliveries where webhook_id = $1 order by id desc limit $2`, [id, limit]);
    return rows.map((r) => ({
      id: r.id,
      webhookId: r.webhook_id,
      alertOutboxId: r.alert_outbox_id,
      attempt: r.attempt,
      at: r.at.toISOString(),
      status: r.status,
      error: r.error,
      ok: r.ok,
      durationMs: r.duration_ms,
    }));
  }
}
