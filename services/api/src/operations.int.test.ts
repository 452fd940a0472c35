import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '@voc/core';
import { ReadingRepository } from '@voc/db';
import { REJECT_REASON_LIST } from '@voc/domain';
import { buildReading } from '@voc/domain/testing';
import { harness, type Harness } from './testing/harness.js';

const RUN = `o${Date.now().toString(36)}`;
const NEW = `${RUN}-new`;
const SEEN = `${RUN}-seen`;
const NOW = Date.now();

let h: Harness;
let operator: string;
let analyst: string;
const hashOf = async (id: string) =>
  (await h.admin.query<{ credential_hash: string | null }>(`select credential_hash from devices where id = $1`, [id])).rows[0]
    ?.credential_hash;

beforeAll(async () => {
  h = await harness();
  operator = await h.key('operator');
  analyst = await h.key('analyst');
  await h.admin.query(`insert into devices (id, kind, lat, lon) values ($1, 'fixed', 39.9, 116.36)`, [SEEN]);
  // Readings of the last hour: one message every 290 s with two metrics, device clock 2 s ahead.
  const msgs = [];
  for (let i = 1; i <= 12; i++) {
    const t = NOW - i * 290_000;
    msgs.push(
      buildReading(
        SEEN,
        t + 2000,
        [
          { metric: 'tvoc', value: 10 },
          { metric: 'benzene', value: 1 },
        ],
        { receivedAt: new Date(t).toISOString() },
      ),
    );
  }
  await new ReadingRepository(h.admin).insertBatch(msgs);
  const reasons = [REJECT_REASON_LIST[0]!, REJECT_REASON_LIST[0]!, REJECT_REASON_LIST[1]!];
  for (const [i, reason] of reasons.entries())
    await h.admin.query(
      `insert into dead_letters (received_at, stage, reason, code, detail, device_id, payload, dlq_partition, dlq_offset)
       values ($1, 'gateway', $2, 'VOC_ERR_TEST', 'constructed', $3, '\\x7b7d', 0, $4)`,
      [new Date(NOW - 60_000 * (i + 1)), reason, SEEN, NOW * 10 + i],
    );
});

afterAll(async () => {
  await h.admin.query(`delete from readings where device_id = $1`, [SEEN]);
  await h.admin.query(`delete from dead_letters where device_id = $1`, [SEEN]);
  await h.admin.query(`delete from sensor_checks where device_id = $1`, [SEEN]);
  await h.admin.query(`delete from devices where id = any($1)`, [[NEW, SEEN]]);
  await h.admin.query(`delete from facilities where id like $1`, [`${RUN}%`]);
  await h.admin.query(`delete from jurisdictions where id like $1`, [`${RUN}%`]);
  await h.close();
});

describe('operations', () => {
  it('registers a device with its MQTT password shown once, only its scrypt hash stored', async () => {
    const post = (body: object) => h.app.inject({ method: 'POST', url: '/v1/devices', payload: body, headers: { 'x-api-key': operator } });
    const res = await post({ id: NEW, kind: 'fixed', name: 'roof', lat: 39.91, lon: 116.37 });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json<{ device: { id: string; status: string }; credentials: { username: string; password: string; topic: string } }>();
    expect(body.device).toMatchObject({ id: NEW, status: 'active' });
    expect(body.credentials.username).toBe(NEW);
    expect(body.credentials.password).toHaveLength(32);
    const hash = await hashOf(NEW);
    expect(hash).toMatch(/^\$scrypt\$/);
    expect(hash).not.toContain(body.credentials.password);
    expect(await verifyPassword(body.credentials.password, hash ?? '')).toBe(true);
    const again = await post({ id: NEW, kind: 'fixed', lat: 39.91, lon: 116.37 });
    expect(again.statusCode).toBe(409);
    const noPos = await post({ id: `${RUN}-x`, kind: 'fixed' });
    expect(noPos.statusCode).toBe(400);
    expect(noPos.json<{ detail: string }>().detail).toContain('lat');
    const detail = await h.app.inject({ url: `/v1/devices/${NEW}`, headers: { 'x-api-key': analyst } });
    expect(detail.json()).toMatchObject({ id: NEW, name: 'roof' });
    expect(detail.body).not.toContain('$scrypt$');
    expect((await h.app.inject({ url: `/v1/devices/${RUN}-none`, headers: { 'x-api-key': analyst } })).statusCode).toBe(404);
  });

  it('disables and enables a device, changes fields and rotates the password', async () => {
    const patch = (body: object) =>
      h.app.inject({ method: 'PATCH', url: `/v1/devices/${NEW}`, payload: body, headers: { 'x-api-key': operator } });
    const off = await patch({ status: 'disabled' });
    expect(off.statusCode, off.body).toBe(200);
    expect(off.json()).toMatchObject({ device: { status: 'disabled' } });
    expect((await patch({ status: 'active', name: 'roof 2' })).json()).toMatchObject({ device: { status: 'active', name: 'roof 2' } });
    expect((await patch({})).statusCode).toBe(400);
    const before = await hashOf(NEW);
    const rot = await h.app.inject({ method: 'POST', url: `/v1/devices/${NEW}/credentials`, headers: { 'x-api-key': operator } });
    expect(rot.statusCode).toBe(201);
    expect(rot.json<{ credentials: { password: string } }>().credentials.password).toHaveLength(32);
    expect(await hashOf(NEW)).not.toBe(before);
  });

  it('reports device health: last seen, message rate, clock skew, rejected by reason', async () => {
    const res = await h.app.inject({ url: `/v1/devices/${SEEN}/health`, headers: { 'x-api-key': operator } });
    expect(res.statusCode, res.body).toBe(200);
    const b = res.json<{
      messages: number;
      readings: number;
      messagesPerHour: number;
      clockSkewS: number;
      lastReceivedAt: string;
      rejected: unknown[];
    }>();
    expect(b.messages).toBe(12);
    expect(b.readings).toBe(24);
    expect(b.messagesPerHour).toBe(12);
    expect(b.clockSkewS).toBeCloseTo(2, 3);
    expect(Date.parse(b.lastReceivedAt)).toBe(NOW - 290_000);
    expect(b.rejected).toEqual([
      { reason: REJECT_REASON_LIST[0], n: 2 },
      { reason: REJECT_REASON_LIST[1], n: 1 },
    ]);
    expect((await h.app.inject({ url: `/v1/devices/${SEEN}/health`, headers: { 'x-api-key': analyst } })).statusCode).toBe(403);
    expect((await h.app.inject({ url: `/v1/devices/${SEEN}/health?hours=1000`, headers: { 'x-api-key': operator } })).statusCode).toBe(400);
  });

  it('lists the check-sensor tasks for the operators, by reason and device', async () => {
    await h.admin.query(
      `insert into sensor_checks (device_id, metric, resolution, window_minutes, cell, opened_window, last_window, reason, details)
       values ($1, 'tvoc', 8, 60, x'8831aa4067fffff'::bigint, $2, $2, 'level_shift', '{"excess": 30}')`,
      [SEEN, new Date(NOW - 3_600_000)],
    );
    const res = await h.app.inject({ url: `/v1/sensor-checks?device_id=${SEEN}&reason=level_shift`, headers: { 'x-api-key': operator } });
    expect(res.statusCode).toBe(200);
    const b = res.json<{ results: { deviceId: string; reason: string; cell: string; state: string; details: { excess: number } }[] }>();
    expect(b.results).toEqual([
      expect.objectContaining({ deviceId: SEEN, reason: 'level_shift', cell: '8831aa4067fffff', state: 'open', details: { excess: 30 } }),
    ]);
    expect(
      (await h.app.inject({ url: `/v1/sensor-checks?device_id=${SEEN}&reason=stuck`, headers: { 'x-api-key': operator } })).json<{
        results: unknown[];
      }>().results,
    ).toEqual([]);
    expect((await h.app.inject({ url: '/v1/sensor-checks?reason=nonsense', headers: { 'x-api-key': operator } })).statusCode).toBe(400);
    expect((await h.app.inject({ url: '/v1/sensor-checks', headers: { 'x-api-key': analyst } })).statusCode).toBe(403);
  });

  it('browses dead letters by reason and device', async () => {
    const res = await h.app.inject({
      url: `/v1/dead-letters?device_id=${SEEN}&reason=${REJECT_REASON_LIST[0]}&limit=1`,
      headers: { 'x-api-key': operator },
    });
    const p1 = res.json<{ meta: { next: string | null }; results: { reason: string; deviceId: string }[] }>();
    expect(p1.results).toHaveLength(1);
    expect(p1.results[0]).toMatchObject({ reason: REJECT_REASON_LIST[0], deviceId: SEEN });
    const res2 = await h.app.inject({
      url: `/v1/dead-letters?device_id=${SEEN}&reason=${REJECT_REASON_LIST[0]}&limit=1&cursor=${p1.meta.next}`,
      headers: { 'x-api-key': operator },
    });
    const p2 = res2.json<{ meta: { next: string | null }; results: unknown[] }>();
    expect(p2.results).toHaveLength(1);
    expect(p2.meta.next).toBeNull();
  });

  it('imports facilities (CSV, GeoJSON) and jurisdictions (GeoJSON) in the CLI formats, with precise errors', async () => {
    const post = (url: string, body: object) => h.app.inject({ method: 'POST', url, payload: body, headers: { 'x-api-key': operator } });
    const csv = `id,category,name,lat,lon\n${RUN}-f1,restaurant,Noodles,39.91,116.36\n${RUN}-f2,auto_repair,Garage,39.92,116.37\n`;
    expect((await post('/v1/facilities/import', { format: 'csv', content: csv })).json()).toEqual({ inserted: 2, updated: 0 });
    const gj = JSON.stringify({
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          geometry: { type: 'Point', coordinates: [116.36, 39.91] },
          properties: { id: `${RUN}-f1`, category: 'restaurant', name: 'Noodles 2' },
        },
      ],
    });
    expect((await post('/v1/facilities/import', { format: 'geojson', content: gj })).json()).toEqual({ inserted: 0, updated: 1 });
    const bad = await post('/v1/facilities/import', {
      format: 'csv',
      content: `id,category,name,lat,lon\n${RUN}-f3,volcano,X,39.9,116.3\n`,
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ detail: string }>().detail).toContain('row 1');
    const broken = await post('/v1/facilities/import', { format: 'csv', content: 'id,category\n"unterminated' });
    expect(broken.statusCode).toBe(400);
    const twice = await post('/v1/facilities/import', { format: 'csv', content: csv + `${RUN}-f1,restaurant,Again,39.91,116.36\n` });
    expect(twice.statusCode).toBe(400);
    expect(twice.json<{ detail: string }>().detail).toContain('repeats id');
    const area = JSON.stringify({
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          geometry: {
            type: 'Polygon',
            coordinates: [
              [
                [116.3, 39.9],
                [116.31, 39.9],
                [116.31, 39.91],
                [116.3, 39.9],
              ],
            ],
          },
          properties: { id: `${RUN}-j1`, name: 'Office J1' },
        },
      ],
    });
    const j = await post('/v1/jurisdictions/import', { format: 'geojson', content: area });
    expect(j.statusCode, j.body).toBe(200);
    expect(j.json()).toEqual({ inserted: 1, updated: 0 });
    expect((await post('/v1/jurisdictions/import', { format: 'csv', content: 'a' })).statusCode).toBe(400);
    expect(
      (
        await h.app.inject({
          method: 'POST',
          url: '/v1/jurisdictions/import',
          payload: { format: 'geojson', content: area },
          headers: { 'x-api-key': analyst },
        })
      ).statusCode,
    ).toBe(403);
  });
});
