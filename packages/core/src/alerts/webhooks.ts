import { createHmac, randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
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

/** A block list of networks given as `address/prefix` (IPv6 when the address has a colon). */
function blockList(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const c of cidrs) {
    const [net, bits] = c.split('/') as [string, string];
    list.addSubnet(net, Number(bits), net.includes(':') ? 'ipv6' : 'ipv4');
  }
  return list;
}

/** Networks a webhook may never target: unspecified, link-local (cloud metadata at 169.254.169.254), multicast, reserved and broadcast (RFC 6890). */
const NEVER = blockList(['0.0.0.0/8', '169.254.0.0/16', '224.0.0.0/4', '240.0.0.0/4', '::/128', 'fe80::/10', 'ff00::/8']);
/** Loopback and private networks (RFC 1918, RFC 6598 shared space, RFC 4193 unique local): only with `allowPrivate`. */
const PRIVATE = blockList(['127.0.0.0/8', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '::1/128', 'fc00::/7']);

/**
 * Why a webhook may not be sent to `address` (an IP literal), or undefined when it may. An
 * IPv4-mapped IPv6 address (`::ffff:127.0.0.1`) is judged as its IPv4 address.
 */
export function refusedTarget(address: string, allowPrivate: boolean): string | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  const a = mapped ?? address;
  const type = isIP(a) === 6 ? 'ipv6' : 'ipv4';
  if (NEVER.check(a, type)) return `${address} is an unspecified, link-local, multicast or reserved address`;
  if (!allowPrivate && PRIVATE.check(a, type))
    return `${address} is a loopback or private address (set VOC_WEBHOOK_ALLOW_PRIVATE=true for a receiver on the intranet)`;
  return undefined;
}

/**
 * Checks a webhook URL's host against {@link refusedTarget}: an IP literal as it is, a name by every
 * address DNS gives it (at registration and again before each delivery, so a name re-pointed at an
 * internal address is refused then).
 * @throws VocError `VOC_ERR_INVALID_REQUEST` naming the address, or when the name does not resolve
 */
export async function checkWebhookTarget(url: URL, allowPrivate: boolean): Promise<void> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = (await lookup(host, { all: true, verbatim: true })).map((r) => r.address);
    } catch {
      throw new VocError(ERROR_CODES.invalid_request, `url: the host "${host}" does not resolve`);
    }
  }
  for (const a of addresses) {
    const why = refusedTarget(a, allowPrivate);
    if (why) throw new VocError(ERROR_CODES.invalid_request, `url: ${host === a ? '' : `${host} resolves to `}${why}`);
  }
}

/**
 * Registers a webhook (admin only). The URL must be http(s) without credentials, on an address
 * {@link checkWebhookTarget} allows (never link-local or metadata; loopback and private networks only
 * with `opts.allowPrivate`); deliveries start
 * with alerts raised after registration. @returns the hook and its secret, shown once
 * @throws VocError `VOC_ERR_INVALID_REQUEST` naming `url` or `eventTypes`
 */
export async function registerWebhook(
  store: WebhookStore,
  log: AlertLog,
  input: { url: string; eventTypes?: readonly string[]; createdBy: string },
  opts: { allowPrivate: boolean } = { allowPrivate: false },
): Promise<{ webhook: Webhook; secret: string }> {
  let u: URL;
  try {
    u = new URL(input.url);
  } catch {
    throw new VocError(ERROR_CODES.invalid_request, `url: "${input.url}" is not a URL`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new VocError(ERROR_CODES.invalid_request, 'url: must be http or https');
  if (u.username || u.password) throw new VocError(ERROR_CODES.invalid_request, 'url: must not carry credentials');
  await checkWebhookTarget(u, opts.allowPrivate);
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
  /** Loopback and private targets allowed (VOC_WEBHOOK_ALLOW_PRIVATE); checked again before each delivery. */
  readonly allowPrivate?: boolean;
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

  private stopping = false;
  private wake: () => void = () => undefined;
  private readonly stopped = new Promise<void>((r) => (this.wake = r));

  /**
   * Stops retrying: a delivery waiting for its next attempt gives up at once without settling, so the
   * alert is delivered again after a restart (at least once). Call before waiting for `runOnce`.
   */
  stop(): void {
    this.stopping = true;
    this.wake();
  }

  /**
   * One pass over every enabled hook, the hooks side by side (a slow or failing receiver delays only
   * its own alerts), each hook's alerts in outbox order. @returns alerts settled (delivered or given up)
   */
  async runOnce(batch = 100): Promise<number> {
    const counts = await Promise.all((await this.store.enabled()).map((hook) => this.runHook(hook, batch)));
    return counts.reduce((a, b) => a + b, 0);
  }

  private async runHook(hook: Webhook & { secret: string }, batch: number): Promise<number> {
    let settled = 0;
    const alerts = await this.log.after(hook.cursor, batch);
    let failures = hook.failures;
    for (const a of alerts) {
      const type = String(a.payload.type);
      if (!hook.eventTypes.includes(type)) {
        await this.store.settle(hook.id, a.id, true, this.settings.disableAfter);
        continue;
      }
      if (this.stopping) break;
      const ok = await this.deliver(hook, a.id, JSON.stringify({ id: a.id, alert: a.payload }));
      if (ok === undefined) break; // stopping: not settled, delivered again after a restart
      await this.store.settle(hook.id, a.id, ok, this.settings.disableAfter);
      settled++;
      failures = ok ? 0 : failures + 1;
      if (failures >= this.settings.disableAfter) break;
    }
    return settled;
  }

  /** @returns true delivered, false given up after the last attempt, undefined when stopped before the end */
  private async deliver(hook: Webhook & { secret: string }, outboxId: number, body: string): Promise<boolean | undefined> {
    for (let attempt = 1; attempt <= this.settings.attempts; attempt++) {
      if (this.stopping) return undefined;
      const ts = Math.floor(this.clock() / 1000);
      const started = this.clock();
      let status: number | null = null;
      let error: string | null = null;
      try {
        // Checked before every attempt: a name may have been re-pointed at an internal address.
        await checkWebhookTarget(new URL(hook.url), this.settings.allowPrivate ?? false);
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
      if (attempt < this.settings.attempts) await Promise.race([this.sleep(this.settings.backoffMs * 2 ** (attempt - 1)), this.stopped]);
    }
    return false;
  }
}
