import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, loadConfig } from '@voc/config';
import { createPool, type Pool } from '@voc/db';
import { createKafka, topicNames } from '@voc/messaging';
import { runFumeDemo } from '@voc/tools';

// End to end, as deployed: the HJ 212 gateway and the stream writer run as their own processes with
// their own database roles and Kafka principals; the simulator plays fume monitors over real TCP;
// the compliance engine reads what was stored and opens tasks. Unique topics, prefixes and ids.

const RUN = randomUUID().slice(0, 6);
const cfg = loadConfig({ ...process.env, VOC_KAFKA_TOPIC_PREFIX: `e2e-fume-${RUN}.`, VOC_KAFKA_GROUP_PREFIX: `e2e-fume-${RUN}.` });

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

// The fume demo imports the demo street offices (data/demo/jurisdictions.geojson) into the shared test
// database; those it added are removed again, so later tests that route by their own polygons in
// Xicheng are not answered by a demo office.
let pool: Pool;
let officesBefore: Set<string>;
beforeAll(async () => {
  pool = createPool(cfg.pg, createLogger('e2e', 'silent'), 'e2e-fume');
  officesBefore = new Set((await pool.query<{ id: string }>(`select id from jurisdictions`)).rows.map((r) => r.id));
});

afterAll(async () => {
  const added = (await pool.query<{ id: string }>(`select id from jurisdictions`)).rows
    .map((r) => r.id)
    .filter((id) => !officesBefore.has(id));
  if (added.length > 0) {
    await pool.query(`delete from jurisdictions where id = any($1)`, [added]);
  }
  await pool.end();
  const admin = createKafka(cfg.kafka, createLogger('e2e', 'silent')).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: Object.values(topicNames(cfg.kafka.topicPrefix)) }).catch(() => undefined);
  await admin.disconnect();
});

describe('fume monitors end to end: simulator → HJ 212 gateway → Kafka → storage → compliance task', () => {
  it('stores every acknowledged frame and opens the tasks each scenario should, and none for the normal restaurant', async () => {
    const r = await runFumeDemo(cfg, { prefix: `E${RUN.slice(0, 3)}`.toUpperCase(), port: await freePort(), minutes: 60 });
    expect(r.sim.unacked).toBe(0);
    expect(r.storedReadings).toBe(r.sim.acked * 7);
    const rulesOf = (scenario: string) =>
      r.tasks
        .filter((t) => r.fleet.find((f) => f.deviceId === t.deviceId)?.scenario === scenario)
        .map((t) => t.rule)
        .sort();
    expect(rulesOf('normal')).toEqual([]);
    expect(rulesOf('exceedance')).toEqual(['exceedance_fume_nmhc', 'exceedance_fume_pm', 'exceedance_oil_fume']);
    expect(rulesOf('purifier_off')).toContain('fan_on_purifier_off');
    expect(rulesOf('low_current')).toEqual(['purifier_current_low']);
    expect(rulesOf('offline')).toEqual(['offline_opening_hours']);
    expect(rulesOf('flat_line')).toEqual(['tamper_flat_line']);
    expect(rulesOf('drop')).toContain('tamper_drop_purifier_off');
    expect(rulesOf('twin')).toEqual(['tamper_identical_series', 'tamper_identical_series']);
    for (const t of r.tasks) expect(t).toMatchObject({ category: 'fume_compliance', state: 'open' });
    expect(r.tasks.every((t) => t.streetOffice !== null)).toBe(true);
  });
});
