import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latLngToCell } from 'h3-js';
import { loadConfig } from '@voc/config';
import { signWebhook, WebhookDispatcher, WEBHOOK_HEADERS } from '@voc/core';
import { silentLogger } from '@voc/domain/testing';
import { createKafka, ensureAcls, ensureTopics, kafkaAcls, KafkaAlertSink, topicNames } from '@voc/messaging';
import { startAlertConsumer } from './alert-consumer.js';
import { createAlertHub } from './alert-hub.js';
import { harness, type Harness } from './testing/harness.js';

const prefix = `t-${randomUUID().slice(0, 8)}.`;
/** Street offices of this test's alerts (SO_A is in the jurisdiction map: a key is scoped to it). */
const SO_A = `${prefix}so-a`;
const SO_B = `${prefix}so-b`;
const topics = topicNames(prefix);
const adminCfg = loadConfig(process.env);
const kafka = createKafka(adminCfg.kafka, silentLogger);
const kadmin = kafka.admin();
const producer = kafka.producer();
const CELL = latLngToCell(39.91, 116.36, 8);
let h: Harness;
let base = '';

/** A valid `voc.alert.v1` hotspot_opened alert for street office `so`. */
function alert(n: number, so: string | null) {
  return {
    alertId: `${prefix}task_opened/${n}`,
    schema: 'voc.alert.v1',
    type: 'task_opened',
    occurredAt: new Date().toISOString(),
    metric: 'tvoc',
    unit: 'ppb',
    cell: CELL,
    resolution: 8,
    lat: 39.91,
    lon: 116.36,
    windowMinutes: 60,
    hotspotId: n,
    openedWindow: '2026-10-01T00:00:00.000Z',
    windowStart: '2026-10-01T00:00:00.000Z',
    windowEnd: '2026-10-01T01:00:00.000Z',
    taskId: n,
    streetOffice: so ? { id: so, name: so } : null,
    stats: {
      n: 10,
      devices: 2,
      vanPasses: 0,
      mean: 1,
      median: 1,
      p90: 1,
      max: 1,
      baseline: 0.5,
      ratio: 2,
      robustZ: 4,
      giStar: 2,
      reasons: ['relative'],
    },
    candidates: [],
  };
}

/** Stores alerts in the outbox (as the evaluation does) and publishes them on Kafka (as the dispatcher does). @returns their outbox ids */
async function raise(alerts: ReturnType<typeof alert>[]): Promise<number[]> {
  const ids: number[] = [];
  for (const a of alerts) {
    const { rows } = await h.admin.query<{ id: number }>(
      `insert into alert_outbox (alert_id, kafka_key, payload) values ($1, $2, $3) returning id`,
      [a.alertId, a.cell, JSON.stringify(a)],
    );
    ids.push(rows[0]!.id);
  }
  await new KafkaAlertSink(producer, topics.alerts).publish(alerts.map((a) => ({ key: a.cell, value: JSON.stringify(a) })));
  return ids;
}

/** Reads SSE events until `n` arrived (or 20 s). */
async function events(key: string, n: number, lastEventId?: number): Promise<{ id: number; event: string; data: { alertId: string } }[]> {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), 20_000);
  const res = await fetch(`${base}/v1/alerts/stream`, {
    headers: { 'x-api-key': key, ...(lastEventId !== undefined ? { 'last-event-id': String(lastEventId) } : {}) },
    signal: ctrl.signal,
  });
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const out: { id: number; event: string; data: { alertId: string } }[] = [];
  const reader = res.body!.getReader();
  let buf = '';
  try {
    while (out.length < n) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += Buffer.from(value).toString('utf8');
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const f = Object.fromEntries(
          block
            .split('\n')
            .filter((l) => !l.startsWith(':'))
            .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]),
        );
        if (f.data) out.push({ id: Number(f.id), event: f.event ?? '', data: JSON.parse(f.data) as { alertId: string } });
      }
    }
  } finally {
    clearTimeout(timer);
    ctrl.abort();
  }
  return out;
}

/** Alert ids a second API instance (its own consumer group) received while the first one ran. */
let secondInstance: string[] = [];

async function startApi(): Promise<() => Promise<void>> {
  // The test's webhook receiver listens on loopback: allowed here, refused by default.
  h = await harness({ VOC_KAFKA_TOPIC_PREFIX: prefix, VOC_KAFKA_GROUP_PREFIX: prefix, VOC_WEBHOOK_ALLOW_PRIVATE: 'true' });
  const apiKafka = createKafka(h.config.kafka, silentLogger);
  const stop = await startAlertConsumer(apiKafka, topics.alerts, prefix, 'one', h.repos.alertLog, h.hub, silentLogger);
  const hub2 = createAlertHub();
  secondInstance = [];
  hub2.subscribe((a) => secondInstance.push(a.alertId));
  const stop2 = await startAlertConsumer(apiKafka, topics.alerts, prefix, 'two', h.repos.alertLog, hub2, silentLogger);
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  return async () => {
    await stop2();
    await stop();
    await h.close();
  };
}

beforeAll(async () => {
  await kadmin.connect();
  await producer.connect();
  await ensureTopics(kadmin, topics);
  await ensureAcls(kadmin, kafkaAcls(topics, prefix), adminCfg.kafka.principals);
});
afterAll(async () => {
  await h.admin.query(`delete from alert_outbox where alert_id like $1`, [`${prefix}%`]).catch(() => undefined);
  await h.admin.query(`delete from jurisdictions where id = $1`, [SO_A]).catch(() => undefined);
  await producer.disconnect();
  await kadmin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
  await kadmin.disconnect();
});

describe('live alert stream and webhooks', () => {
  it('streams alerts from the alerts topic and resumes with Last-Event-ID across an API restart', async () => {
    let stop = await startApi();
    const key = await h.key('enforcement');
    const live = events(key, 2);
    await new Promise((r) => setTimeout(r, 3000)); // the consumer joins its group
    const ids = await raise([alert(1, SO_A), alert(2, SO_B)]);
    const got = await live;
    expect(got.map((e) => e.id)).toEqual(ids);
    expect(got[0]!.event).toBe('task_opened');
    // A second API instance (its own group, voc-api-alerts.two) sees every alert too, not half the partitions.
    const deadline = Date.now() + 10_000;
    while (secondInstance.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(secondInstance.sort()).toEqual(got.map((e) => e.data.alertId).sort());
    await stop();
    // While the API is down two more alerts are raised; the restarted API replays them from the outbox.
    stop = await startApi();
    const later = await raise([alert(3, SO_A), alert(4, SO_B)]);
    const key2 = await h.key('enforcement');
    const resumed = await events(key2, 2, ids[1]);
    expect(resumed.map((e) => e.id)).toEqual(later);
    // A key scoped to one street office sees only its alerts.
    const square = {
      type: 'Polygon',
      coordinates: [
        [
          [116.3, 39.9],
          [116.31, 39.9],
          [116.31, 39.91],
          [116.3, 39.91],
          [116.3, 39.9],
        ],
      ],
    };
    await h.admin.query(`insert into jurisdictions (id, name, geometry) values ($1, 'Office A', $2) on conflict do nothing`, [
      SO_A,
      JSON.stringify(square),
    ]);
    const scoped = await h.key('enforcement', { streetOffices: [SO_A] });
    const mine = await events(scoped, 2, ids[0]! - 1);
    expect(mine.map((e) => e.data.alertId)).toEqual([`${prefix}task_opened/1`, `${prefix}task_opened/3`]);
    await stop();
  });

  it('signs webhook deliveries, retries with backoff, logs every attempt and disables a hook that keeps failing', async () => {
    const stop = await startApi();
    const received: { body: string; sig: string; ts: string }[] = [];
    let failFirst = 2;
    const server: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (req.url === '/down') return void res.writeHead(500).end();
        if (failFirst-- > 0) return void res.writeHead(503).end();
        received.push({ body, sig: String(req.headers[WEBHOOK_HEADERS.signature]), ts: String(req.headers[WEBHOOK_HEADERS.timestamp]) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const admin = await h.key('admin');
      const reg = await h.app.inject({
        method: 'POST',
        url: '/v1/webhooks',
        headers: { 'x-api-key': admin },
        payload: { url: `http://127.0.0.1:${port}/hook` },
      });
      expect(reg.statusCode).toBe(201);
      const { webhook, secret } = reg.json<{ webhook: { id: number }; secret: string }>();
      const bad = await h.app.inject({
        method: 'POST',
        url: '/v1/webhooks',
        headers: { 'x-api-key': admin },
        payload: { url: `http://127.0.0.1:${port}/down` },
      });
      const badId = bad.json<{ webhook: { id: number } }>().webhook.id;
      // Never a link-local (cloud metadata) target, even where private ones are allowed; no unknown fields.
      for (const payload of [{ url: 'http://169.254.169.254/latest/meta-data/' }, { url: 'http://[::ffff:169.254.169.254]/' }]) {
        const meta = await h.app.inject({ method: 'POST', url: '/v1/webhooks', headers: { 'x-api-key': admin }, payload });
        expect(meta.statusCode, payload.url).toBe(400);
        expect(meta.json<{ detail: string }>().detail).toContain('link-local');
      }
      const unknownField = await h.app.inject({
        method: 'POST',
        url: '/v1/webhooks',
        headers: { 'x-api-key': admin },
        payload: { url: `http://127.0.0.1:${port}/hook`, events: ['task_opened'] },
      });
      expect(unknownField.statusCode).toBe(400);
      const sleeps: number[] = [];
      const d = new WebhookDispatcher(
        h.repos.webhooks,
        h.repos.alertLog,
        { timeoutMs: 2000, attempts: 3, backoffMs: 100, disableAfter: 2, allowPrivate: true },
        undefined,
        async (ms) => {
          sleeps.push(ms);
        },
      );
      await raise([alert(11, null), alert(12, null)]);
      await d.runOnce();
      expect(received).toHaveLength(2);
      for (const r of received) expect(r.sig).toBe(signWebhook(secret, Number(r.ts), r.body));
      // Exponential backoff per delivery (the two hooks retry side by side, so their sleeps interleave).
      expect([...new Set(sleeps)].sort((a, b) => a - b)).toEqual([100, 200]);
      const log = await h.app.inject({ url: `/v1/webhooks/${webhook.id}/deliveries`, headers: { 'x-api-key': admin } });
      const attempts = log.json<{ results: { ok: boolean }[] }>().results;
      expect(attempts.filter((a) => !a.ok)).toHaveLength(2);
      expect(attempts.filter((a) => a.ok)).toHaveLength(2);
      const hooks = (await h.repos.webhooks.list()).find((x) => x.id === badId)!;
      expect(hooks.enabled).toBe(false);
      expect(hooks.failures).toBe(2);
    } finally {
      server.close();
      await h.admin.query(`delete from webhooks where url like $1`, [`http://127.0.0.1:${port}/%`]);
      await stop();
    }
  });
});
