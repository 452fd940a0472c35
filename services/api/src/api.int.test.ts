import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import { latLngToCell } from 'h3-js';
import { API_ROLES, type ApiRole } from '@voc/core';
import { ReadingRepository } from '@voc/db';
import { buildReading } from '@voc/domain/testing';
import { allows } from './permissions.js';
import { harness, type Harness } from './testing/harness.js';

/** A problem document, a page of rows and the OpenAPI document, as the tests read them. */
interface ProblemBody {
  code: string;
  detail: string;
  status: number;
  type: string;
}
interface Row {
  time: string;
  metric: string;
  deviceId: string;
  [k: string]: unknown;
}
interface PageBody {
  meta: { next: string | null; found: number; [k: string]: unknown };
  results?: Row[];
  features?: unknown[];
}
interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, { parameters?: { name: string }[] }>>;
}
const problem = (res: { json<T>(): T }) => res.json<ProblemBody>();
const page = (res: { json<T>(): T }) => res.json<PageBody>();
const count = async (sql: string, p: unknown[]) => (await h.admin.query<{ n: number }>(sql, p)).rows[0]!.n;

const RUN = `t${Date.now().toString(36)}`;
const DEV = `${RUN}-dev`;
const CELL = latLngToCell(39.9139, 116.3663, 8);
const T0 = Date.parse('2026-10-01T00:00:00Z');

let h: Harness;
const keys = {} as Record<ApiRole, string>;

beforeAll(async () => {
  h = await harness();
  for (const r of API_ROLES) keys[r] = await h.key(r);
  await h.admin.query(`insert into devices (id, kind, lat, lon, metadata) values ($1, 'fixed', 39.9139, 116.3663, '{}')`, [DEV]);
  const readings = new ReadingRepository(h.admin);
  const msgs = [];
  for (let i = 0; i < 180; i++)
    msgs.push(
      buildReading(
        DEV,
        T0 + i * 60_000,
        [
          { metric: 'tvoc', value: 100 + i },
          { metric: 'benzene', value: 2 },
        ],
        { h3: latLngToCell(39.9139, 116.3663, 12) },
      ),
    );
  await readings.insertBatch(msgs);
});
afterAll(async () => {
  await h.admin.query(`delete from readings where device_id = $1`, [DEV]);
  await h.admin.query(`delete from devices where id = any($1)`, [[DEV, `${RUN}-new`]]);
  await h.close();
});

/** A request that reaches a route's handler: placeholders for path parameters, required query and body. */
function sample(method: string, url: string): { method: string; url: string; payload?: unknown } {
  const path = url.replace(':id', url.startsWith('/v1/devices') ? DEV : '999999999').replace(':cell', CELL);
  const q = 'metric=tvoc&datetime_from=2026-10-01T00:00:00Z&datetime_to=2026-10-01T03:00:00Z&since=2026-10-01T00:00:00Z';
  const bodies: Record<string, unknown> = {
    'POST /v1/keys': { role: 'analyst' },
    'POST /v1/webhooks': { url: 'http://127.0.0.1:9/hook' },
    'PUT /v1/webhooks/:id/enabled': { enabled: true },
    'POST /v1/tasks/:id/transitions': { to: 'acknowledged' },
    'POST /v1/tasks/:id/comments': { note: 'on site' },
    'PUT /v1/tasks/:id/assignee': { assignee: 'team a' },
    'POST /v1/devices': { id: `${RUN}-new`, kind: 'fixed', lat: 39.91, lon: 116.36 },
    'PATCH /v1/devices/:id': { status: 'active' },
    'POST /v1/facilities/import': { format: 'geojson', content: '{"type":"FeatureCollection","features":[]}' },
    'POST /v1/jurisdictions/import': { format: 'geojson', content: '{"type":"FeatureCollection","features":[]}' },
  };
  return { method, url: `${path}?${q}`, payload: bodies[`${method} ${url}`] };
}

describe('HTTP API', () => {
  it('gives each role exactly what the permission matrix says, anonymous 401 on every non-public route', async () => {
    const routes = h.app.routePermissions.filter((r) => !r.url.startsWith('/docs'));
    expect(routes.length).toBeGreaterThan(20);
    for (const r of routes) {
      const req = sample(r.method, r.url);
      const anon = await h.app.inject({ method: req.method as 'GET', url: req.url, payload: req.payload as object });
      if (r.permission === 'public') {
        expect(anon.statusCode, `${r.method} ${r.url} anonymous`).not.toBe(401);
        continue;
      }
      expect(anon.statusCode, `${r.method} ${r.url} anonymous`).toBe(401);
      expect(anon.headers['content-type']).toContain('application/problem+json');
      for (const role of API_ROLES) {
        const allowed = allows(role, r.permission);
        if (allowed && r.url === '/v1/alerts/stream') continue; // a stream never ends under inject(); tested below
        const res = await h.app.inject({
          method: req.method as 'GET',
          url: req.url,
          payload: req.payload as object,
          headers: { 'x-api-key': keys[role] },
        });
        if (allowed) expect([401, 403], `${r.method} ${r.url} as ${role}: ${res.body}`).not.toContain(res.statusCode);
        else expect(res.statusCode, `${r.method} ${r.url} as ${role}`).toBe(403);
        expect(res.statusCode, `${r.method} ${r.url} as ${role}: ${res.body}`).toBeLessThan(500);
      }
    }
  });

  it('refuses revoked and expired keys with 401, and accepts Bearer and X-API-Key alike', async () => {
    const k = await h.key('analyst');
    const ok = await h.app.inject({ url: '/v1/devices', headers: { authorization: `Bearer ${k}` } });
    expect(ok.statusCode).toBe(200);
    const prefix = k.split('_').slice(0, 2).join('_');
    await h.app.inject({
      method: 'DELETE',
      url: `/v1/keys/${(await h.repos.apiKeys.byPrefix(prefix))!.record.id}`,
      headers: { 'x-api-key': keys.admin },
    });
    const revoked = await h.app.inject({ url: '/v1/devices', headers: { 'x-api-key': k } });
    expect(revoked.statusCode).toBe(401);
    expect(problem(revoked).detail).toContain('revoked');
    const old = await h.key('analyst', { expiresAt: new Date(Date.now() + 1000).toISOString() });
    await h.admin.query(`update api_keys set expires_at = now() - interval '1 s' where prefix = $1`, [
      old.split('_').slice(0, 2).join('_'),
    ]);
    const expired = await h.app.inject({ url: '/v1/devices', headers: { 'x-api-key': old } });
    expect(expired.statusCode).toBe(401);
    expect(problem(expired).detail).toContain('expired');
  });

  it('refuses an enforcement key scoped to a street office the jurisdiction map does not hold', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/keys',
      headers: { 'x-api-key': keys.admin },
      payload: { role: 'enforcement', streetOffices: [`${RUN}-no-such-office`] },
    });
    expect(res.statusCode).toBe(400);
    expect(problem(res).detail).toContain(`"${RUN}-no-such-office" is not in the jurisdiction map`);
  });

  it('refuses webhooks to loopback, private, link-local and metadata addresses by default', async () => {
    for (const url of [
      'http://127.0.0.1:5432/',
      'http://0x7f000001:6379/',
      'http://[::1]:6379/',
      'http://10.1.2.3/hook',
      'http://169.254.169.254/latest/meta-data/',
      'http://localhost:3000/v1/keys',
    ]) {
      const res = await h.app.inject({ method: 'POST', url: '/v1/webhooks', headers: { 'x-api-key': keys.admin }, payload: { url } });
      expect(res.statusCode, url).toBe(400);
      expect(problem(res).detail, url).toMatch(/loopback or private|link-local/);
    }
  });

  it('answers 404 and 405 as problem+json with a stable type and the Allow header', async () => {
    const nf = await h.app.inject({ url: '/v1/nothing-here' });
    expect(nf.statusCode).toBe(404);
    expect(nf.json()).toMatchObject({ status: 404, code: 'VOC_ERR_ROUTE_NOT_FOUND', type: expect.stringContaining('/route_not_found') });
    const q = 'metric=tvoc&datetime_from=2026-10-01T00:00:00Z&datetime_to=2026-10-01T03:00:00Z';
    const typo = await h.app.inject({ url: `/v1/devices/${RUN}-no-such-device/readings?${q}`, headers: { 'x-api-key': keys.admin } });
    expect(typo.statusCode).toBe(404); // an unknown device is not "no data"
    expect(problem(typo).detail).toContain(`no device "${RUN}-no-such-device"`);
    const na = await h.app.inject({ method: 'DELETE', url: '/v1/devices' });
    expect(na.statusCode).toBe(405);
    expect(na.headers.allow).toContain('GET');
    expect(problem(na).code).toBe('VOC_ERR_METHOD_NOT_ALLOWED');
  });

  it('names the offending parameter in every validation error', async () => {
    const get = (url: string) => h.app.inject({ url, headers: { 'x-api-key': keys.analyst } });
    const base = `/v1/devices/${DEV}/readings?metric=tvoc&datetime_from=2026-10-01T00:00:00Z&datetime_to=2026-10-01T03:00:00Z`;
    const cases: [string, string, string][] = [
      [`${base}&limit=100000`, 'query.limit', 'VOC_ERR_INVALID_REQUEST'],
      [
        `/v1/devices/${DEV}/readings?metric=tvoc&datetime_from=2026-01-01T00:00:00Z&datetime_to=2026-10-01T00:00:00Z`,
        'datetime_to',
        'VOC_ERR_LIMIT_EXCEEDED',
      ],
      [
        `/v1/devices/${DEV}/readings?metric=tvoc&datetime_from=yesterday&datetime_to=2026-10-01T00:00:00Z`,
        'query.datetime_from',
        'VOC_ERR_INVALID_REQUEST',
      ],
      [`${base}&metric=nope`, 'metric', 'VOC_ERR_INVALID_REQUEST'],
      [`${base}&unit=ppb`.replace('metric=tvoc', 'metric=voc_index'), 'unit', 'VOC_ERR_CONVERSION_IMPOSSIBLE'],
      [`${base}&cursor=bm90LWEtY3Vyc29y`, 'cursor', 'VOC_ERR_INVALID_REQUEST'],
      [`/v1/devices?bbox=1,2,3`, 'query.bbox', 'VOC_ERR_INVALID_REQUEST'],
      [`/v1/devices?coordinates=39.9,116.3`, 'radius', 'VOC_ERR_INVALID_REQUEST'],
      [
        `/v1/devices/${DEV}/buckets?metric=tvoc&datetime_from=2026-10-01T00:00:00Z&datetime_to=2026-10-31T00:00:00Z&bucket=1`,
        'bucket',
        'VOC_ERR_LIMIT_EXCEEDED',
      ],
    ];
    for (const [url, param, code] of cases) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(problem(res).code, url).toBe(code);
      expect(problem(res).detail, url).toContain(param);
    }
  });

  it('answers injection and traversal attempts in every filter with 400 or an empty result, never 500', async () => {
    const evil = ["' or 1=1 --", '../../etc/passwd', '%2e%2e%2f%2e%2e%2f', "tvoc'; drop table readings; --", '\u0000', '<script>'];
    const params = [
      'metric',
      'kind',
      'status',
      'street_office',
      'bbox',
      'coordinates',
      'cursor',
      'unit',
      'state',
      'cell',
      'facility',
      'reason',
      'device_id',
      'stored_after',
    ];
    const urls = [
      '/v1/devices',
      `/v1/devices/${DEV}/readings`,
      '/v1/latest',
      '/v1/tasks',
      '/v1/hotspots',
      '/v1/readings/feed',
      '/v1/dead-letters',
      '/v1/cells/map',
    ];
    const doc = (await h.app.inject({ url: '/openapi.json' })).json<OpenApiDoc>();
    for (const u of urls)
      for (const p of params.filter((x) => (doc.paths[u.replace(DEV, '{id}')]?.get?.parameters ?? []).some((d) => d.name === x)))
        for (const e of evil) {
          const res = await h.app.inject({ url: `${u}?${p}=${encodeURIComponent(e)}`, headers: { 'x-api-key': keys.admin } });
          expect(res.statusCode, `${u}?${p}=${e}: ${res.body}`).toBeLessThan(500);
          if (res.statusCode === 200) expect(page(res).results ?? page(res).features).toEqual([]);
        }
    for (const e of evil) {
      const res = await h.app.inject({
        url: `/v1/devices/${encodeURIComponent(e)}/readings?datetime_from=2026-10-01T00:00:00Z&datetime_to=2026-10-02T00:00:00Z`,
        headers: { 'x-api-key': keys.admin },
      });
      expect(res.statusCode).toBeLessThan(500);
      for (const path of [`/v1/devices/${encodeURIComponent(e)}`, `/v1/devices/${encodeURIComponent(e)}/health`]) {
        const r = await h.app.inject({ url: path, headers: { 'x-api-key': keys.admin } });
        expect(r.statusCode, path).toBeGreaterThanOrEqual(400);
        expect(r.statusCode, path).toBeLessThan(500);
      }
    }
    expect(await count(`select count(*)::int as n from readings where device_id = $1`, [DEV])).toBe(360);
  });

  it('pages raw readings with a keyset cursor that neither skips nor repeats while inserts continue', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let i = 0;
    do {
      const res: Awaited<ReturnType<typeof h.app.inject>> = await h.app.inject({
        url: `/v1/devices/${DEV}/readings?datetime_from=2026-10-01T00:00:00Z&datetime_to=2026-10-01T06:00:00Z&limit=37${cursor ? `&cursor=${cursor}` : ''}`,
        headers: { 'x-api-key': keys.analyst },
      });
      expect(res.statusCode).toBe(200);
      const body = page(res);
      for (const r of body.results ?? []) seen.push(`${r.time}/${r.metric}`);
      cursor = body.meta.next;
      // An insert behind the cursor (earlier than rows already read) and one ahead of it.
      await new ReadingRepository(h.admin).insertBatch([buildReading(DEV, T0 + 5 * 3600_000 + i * 1000, [{ metric: 'tvoc', value: 1 }])]);
      i++;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThanOrEqual(360);
    expect([...seen].sort()).toEqual(seen.slice().sort());
  });

  it('returns every stored reading once in storage order, late data included, through stored_after', async () => {
    const readAll = async (after: string | null) => {
      const rows: string[] = [];
      let next = after;
      for (;;) {
        const res = await h.app.inject({
          url: `/v1/readings/feed?limit=500${next ? `&stored_after=${next}` : ''}`,
          headers: { 'x-api-key': keys.analyst },
        });
        expect(res.statusCode).toBe(200);
        const b = page(res);
        for (const r of b.results ?? []) if (r.deviceId === DEV) rows.push(`${r.time}/${r.metric}`);
        if (!b.results?.length) return { rows, next: b.meta.next };
        next = b.meta.next;
      }
    };
    // The feed holds back rows of transactions younger than the oldest one still running anywhere on
    // the cluster (shared by other databases here), so a consumer polls until it has caught up.
    const until = async (after: string | null, n: number) => {
      const got = { rows: [] as string[], next: after };
      for (let i = 0; i < 100 && got.rows.length < n; i++) {
        const page = await readAll(got.next);
        got.rows.push(...page.rows);
        got.next = page.next;
        if (got.rows.length < n) await new Promise((r) => setTimeout(r, 200));
      }
      return got;
    };
    const total = await count(`select count(*)::int as n from readings where device_id = $1`, [DEV]);
    const first = await until(null, total);
    expect(first.rows.length).toBe(total);
    expect(new Set(first.rows).size).toBe(total);
    // A late reading (device time a day before everything else) arrives after the consumer caught up.
    await new ReadingRepository(h.admin).insertBatch([buildReading(DEV, T0 - 86_400_000, [{ metric: 'tvoc', value: 5 }])]);
    const second = await until(first.next, 1);
    expect(second.rows).toEqual([`${new Date(T0 - 86_400_000).toISOString()}/tvoc`]);
    const third = await readAll(second.next);
    expect(third.rows).toEqual([]);
  });

  it('serves hourly buckets with coverage and converts units only where the catalogue can', async () => {
    const res = await h.app.inject({
      url: `/v1/devices/${DEV}/buckets?metric=tvoc&datetime_from=2026-10-01T00:00:00Z&datetime_to=2026-10-01T03:00:00Z&bucket=60`,
      headers: { 'x-api-key': keys.analyst },
    });
    expect(res.statusCode).toBe(200);
    const b = page(res);
    expect(b.meta).toMatchObject({ unit: expect.any(String), refState: expect.any(String), source: 'raw' });
    expect(b.results).toHaveLength(3);
    expect(b.results?.[0]).toMatchObject({ count: 60, min: 100, max: 159, expected: 60, coverage: 1 });
    const ug = await h.app.inject({
      url: `/v1/devices/${DEV}/buckets?metric=benzene&datetime_from=2026-10-01T00:00:00Z&datetime_to=2026-10-01T01:00:00Z&bucket=60&unit=mg/m3`,
      headers: { 'x-api-key': keys.analyst },
    });
    expect(ug.statusCode, ug.body).toBe(200);
  });

  it('limits each key to its request budget with 429 and Retry-After', async () => {
    const small = await harness({}, (redis) => ({
      hit: async (id) => {
        const n = await redis.incr(`voc-api:rl:test:${RUN}:${id}`);
        await redis.expire(`voc-api:rl:test:${RUN}:${id}`, 60);
        return { allowed: n <= 3, limit: 3, remaining: Math.max(0, 3 - n), resetS: 42 };
      },
    }));
    try {
      const k = await small.key('analyst');
      const codes = [];
      for (let i = 0; i < 5; i++) codes.push((await small.app.inject({ url: '/v1/devices', headers: { 'x-api-key': k } })).statusCode);
      expect(codes).toEqual([200, 200, 200, 429, 429]);
      const res = await small.app.inject({ url: '/v1/devices', headers: { 'x-api-key': k } });
      expect(res.headers['retry-after']).toBe('42');
      expect(problem(res).code).toBe('VOC_ERR_RATE_LIMITED');
    } finally {
      await small.close();
    }
  });

  it('publishes an OpenAPI 3.1 document that lists every route and passes a third-party validator', async () => {
    const res = await h.app.inject({ url: '/openapi.json' });
    const doc = res.json<OpenApiDoc>();
    expect(doc.openapi).toBe('3.1.0');
    const v = new Validator();
    const result = await v.validate(doc as unknown as object);
    expect(result.errors ?? [], JSON.stringify(result.errors)).toEqual([]);
    expect(result.valid).toBe(true);
    for (const r of h.app.routePermissions.filter((x) => x.url.startsWith('/v1'))) {
      const p = r.url.replace(/:(\w+)/g, '{$1}');
      expect(doc.paths[p]?.[r.method.toLowerCase()], `${r.method} ${r.url}`).toBeDefined();
    }
    const docs = await h.app.inject({ url: '/docs/' });
    expect(docs.statusCode).toBe(200);
  });

  it('reports readiness and exposes Prometheus metrics by route template', async () => {
    expect((await h.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await h.app.inject({ url: '/readyz' })).statusCode).toBe(200);
    const m = await h.app.inject({ url: '/metrics' });
    expect(m.body).toContain('voc_api_requests_total');
    expect(m.body).toContain('route="/v1/devices/:id/readings"');
    expect(m.body).toContain('voc_api_request_duration_seconds_bucket');
  });
});
