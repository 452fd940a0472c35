import { createHmac, randomBytes } from 'node:crypto';
import { ALERT_TYPES, ERROR_CODES, VocError } from '@voc/domain';
import type { AlertLog, Webhook, WebhookStore } from './ports.js';

/** Headers of a signed delivery. */
export const WEBHOOK_HEADERS = {
  /** `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the hook's secret>`. */
  signature: 'x-voc-signature',
  /** Unix time (s) of the attempt; receivers refuse old ones (replay protection). */
  timestamp: 'x-voc-timestamp',
  /** Outbox id of the alert (the same across retries: receivers deduplicate on it). */
  id: 'x-voc-delivery',
} as const;

/**
 * Signature of a delivery: hex HMAC-SHA256 over `<timestamp>.<body>` (the scheme of Stripe's and
 * Slack's webhooks: the timestamp inside the MAC stops replays of an old body with a new time).
 */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * Registers a webhook (admin only). The URL must be http(s) without credentials; deliveries start
 * with alerts raised after registration. @returns the hook and its secret, shown once
 * @throws VocError `VOC_ERR_INVALID_REQUEST` naming `url` or `eventTypes`
 */
export async function registerWebhook(
  store: WebhookStore,
  log: AlertLog,
  input: { url: string; eventTypes?: readonly string[]; createdBy: string },
): Promise<{ webhook: Webhook; secret: string }> {
  let u: URL;
  try {
    u = new URL(input.url);
  } catch {
    throw new VocError(ERROR_CODES.invalid_request, `url: "${input.url}" is not a URL`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new VocError(ERROR_CODES.invalid_request, 'url: must be http or https');
  if (u.username || u.password) throw new VocError(ERROR_CODES.invalid_request, 'url: must not carry credentials');
  const types = input.eventTypes?.length ? [...input.eventTypes] : [...ALERT_TYPES];
  for (const t of types)
    if (!(ALERT_TYPES as readonly string[]).includes(t))
      throw new VocError(ERROR_CODES.invalid_request, `eventTypes: "${t}" is not one of ${ALERT_TYPES.join(', ')}`);
  const startAfter = await log.lastId();
  const secret = randomBytes(32).toString('base64url');
  const webhook = await store.create({ url: u.toString(), secret, eventTypes: types, createdBy: input.createdBy, startAfter });
  return { webhook, secret };
}

/** Settings of {@link WebhookDispatcher} (`config.webhooks`). */
export interface WebhookSettings {
  readonly timeoutMs: number;
  readonly attempts: number;
  readonly backoffMs: number;
  readonly disableAfter: number;
}

/** How a delivery is sent: an HTTP POST (fetch in production; tests use a real local server). */
export type PostFn = (url: string, body: string, headers: Record<string, string>, timeoutMs: number) => Promise<number>;

/** The default {@link PostFn}: fetch with a timeout, no redirects followed (a redirect is a failure). */
export const fetchPost: PostFn = async (url, body, headers, timeoutMs) => {
  const res = await fetch(url, { method: 'POST', body, headers, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  await res.body?.cancel();
  return res.status;
};

/**
 * Delivers alerts to every enabled webhook in outbox order, one alert at a time per hook: up to
 * `attempts` tries with exponential backoff (`backoffMs` × 2^(attempt−1)); every attempt is logged;
 * after the last failed try the alert is given up and the hook's failure count grows, and a hook
 * with `disableAfter` consecutive failed alerts is disabled. A 2xx answer is success.
 */
export class WebhookDispatcher {
  constructor(
    private readonly store: WebhookStore,
    private readonly log: AlertLog,
    private readonly settings: WebhookSettings,
    private readonly post: PostFn = fetchPost,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
    private readonly clock: () => number = Date.now,
  ) {}

  /** One pass over every enabled hook. @returns alerts settled (delivered or given up) */
  async runOnce(batch = 100): Promise<number> {
    let settled = 0;
    for (const hook of await this.store.enabled()) {
      const alerts = await this.log.after(hook.cursor, batch);
      let failures = hook.failures;
      for (const a of alerts) {
        const type = String(a.payload.type);
        if (!hook.eventTypes.includes(type)) {
          await this.store.settle(hook.id, a.id, true, this.settings.disableAfter);
          continue;
        }
        const ok = await this.deliver(hook, a.id, JSON.stringify({ id: a.id, alert: a.payload }));
        await this.store.settle(hook.id, a.id, ok, this.settings.disableAfter);
        settled++;
        failures = ok ? 0 : failures + 1;
        if (failures >= this.settings.disableAfter) break;
      }
    }
    return settled;
  }

  private async deliver(hook: Webhook & { secret: string }, outboxId: number, body: string): Promise<boolean> {
    for (let attempt = 1; attempt <= this.settings.attempts; attempt++) {
      const ts = Math.floor(this.clock() / 1000);
      const started = this.clock();
      let status: number | null = null;
      let error: string | null = null;
      try {
        status = await this.post(
          hook.url,
          body,
          {
            'content-type': 'application/json',
            [WEBHOOK_HEADERS.signature]: signWebhook(hook.secret, ts, body),
            [WEBHOOK_HEADERS.timestamp]: String(ts),
            [WEBHOOK_HEADERS.id]: String(outboxId),
          },
          this.settings.timeoutMs,
        );
      } catch (err) {
        error = err instanceof Error ? err.message : String(err);
      }
      const ok = status !== null && status >= 200 && status < 300;
      await this.store.logAttempt({
        webhookId: hook.id,
        alertOutboxId: outboxId,
        attempt,
        status,
        error: ok ? null : (error ?? `HTTP ${status}`),
        ok,
        durationMs: this.clock() - started,
      });
      if (ok) return true;
      if (attempt < this.settings.attempts) await this.sleep(this.settings.backoffMs * 2 ** (attempt - 1));
    }
    return false;
  }
}
