import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, loadConfig } from '@voc/config';
import { createPool, DeviceRepository, type Pool } from '@voc/db';
import { hashPassword } from '@voc/core';
import { createKafka, ensureAcls, ensureTopics, kafkaAcls, topicNames } from '@voc/messaging';
import { replay, replayDeps, startService, type ServiceProcess } from '@voc/tools';

// The whole ingest path on real data: the van drive of data/demo published over MQTT as `van-01` to
// the gateway's endpoint (VOC_TEST_MQTT_PORT), through Kafka into PostgreSQL by the built services
// (npm test builds first).

const RUN = randomUUID().slice(0, 8);
const cfg = loadConfig();
const log = createLogger('pipeline-test', 'silent');
const PREFIX = `pipe-${RUN}.`;
const VAN = 'van-01';
const VAN_VALUES = 14_995; // values of the 3,000 one-second rows of joined_file.csv with NA left out
let pool: Pool;
const children: ServiceProcess[] = [];
const password = `pw-${RUN}-van`;

async function start(script: string, readyMsg: string): Promise<ServiceProcess> {
  const svc = startService(script, script, {
    env: {
      PGDATABASE: cfg.pg.database,
      LOG_LEVEL: 'info',
      VOC_KAFKA_TOPIC_PREFIX: PREFIX,
      VOC_KAFKA_GROUP_PREFIX: PREFIX,
      VOC_ALLOWED_LATENESS_MS: String(30 * 365 * 24 * 3600 * 1000),
    },
    readyMsg,
  });
  children.push(svc);
  await svc.ready;
  return svc;
}

async function storedVan(): Promise<{ rows: number; keys: number }> {
  const r = await pool.query<{ rows: number; keys: number }>(
    `select count(*)::int as rows, count(distinct (metric, time))::int as keys from readings where device_id = $1`,
    [VAN],
  );
  return r.rows[0]!;
}

async function waitFor(n: number): Promise<number> {
  let last = -1;
  for (let i = 0; i < 240; i++) {
    last = (await storedVan()).rows;
    if (last >= n) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  return last;
}

/** Waits until the writer's consumer group has committed the end offset of every readings partition. */
async function waitForNoLag(): Promise<void> {
  const admin = createKafka(cfg.kafka, log).admin();
  await admin.connect();
  const topic = topicNames(PREFIX).readings;
  try {
    for (let i = 0; i < 240; i++) {
      const ends = await admin.fetchTopicOffsets(topic);
      const [committed] = await admin.fetchOffsets({ groupId: `${PREFIX}voc-stream-writer`, topics: [topic] });
      const lag = ends.reduce((n, e) => {
        const c = committed?.partitions.find((p) => p.partition === e.partition);
        return n + Number(e.offset) - Math.max(0, Number(c?.offset ?? 0));
      }, 0);
      if (lag === 0) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error('writer did not catch up');
  } finally {
    await admin.disconnect();
  }
}

async function replayVan(): Promise<number> {
  const r = await replay(
    {
      sources: ['mobile'],
      credentials: { [VAN]: { username: VAN, password, topic: `voc/v1/van/${VAN}/up` } },
      speed: Number.POSITIVE_INFINITY,
    },
    replayDeps('data/demo', cfg.mqtt.url),
  );
  return r.sources.mobile?.values ?? 0;
}

beforeAll(async () => {
  pool = createPool(cfg.pg, log);
  const admin = createKafka(cfg.kafka, log).admin();
  await admin.connect();
  await ensureTopics(admin, topicNames(PREFIX));
  await ensureAcls(admin, kafkaAcls(topicNames(PREFIX), PREFIX), cfg.kafka.principals);
  await admin.disconnect();
  await pool.query('delete from readings where device_id = $1', [VAN]);
  const devices = new DeviceRepository(pool);
  await devices.upsert([{ id: VAN, kind: 'van', name: 'pipeline test van' }]);
  await devices.setCredentialHash(VAN, await hashPassword(password));
  await start('services/gateway/dist/main.js', 'gateway ready');
  await start('services/writer/dist/main.js', 'writer started');
});

afterAll(async () => {
  await Promise.all(children.map((c) => c.stop()));
  await pool.query('delete from readings where device_id = $1', [VAN]);
  await pool.query('delete from devices where id = $1', [VAN]);
  const admin = createKafka(cfg.kafka, log).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: Object.values(topicNames(PREFIX)) }).catch(() => undefined);
  await admin.disconnect();
  await pool.end();
});

describe('ingest pipeline on real data', () => {
  it('stores every value published over MQTT exactly once', async () => {
    const published = await replayVan();
    expect(published).toBe(VAN_VALUES);
    expect(await waitFor(VAN_VALUES)).toBe(VAN_VALUES);
    expect(await storedVan()).toEqual({ rows: VAN_VALUES, keys: VAN_VALUES });
  });

  it('gives the same row count when the same file is replayed twice', async () => {
    expect(await replayVan()).toBe(VAN_VALUES);
    // The second replay is fully redundant: wait until the writer has committed everything on Kafka.
    await waitForNoLag();
    expect(await storedVan()).toEqual({ rows: VAN_VALUES, keys: VAN_VALUES });
    const suspect = await pool.query<{ n: number }>(
      `select count(*)::int as n from readings where device_id = $1 and metric = 'bc' and value < 0 and qa = 'suspect'`,
      [VAN],
    );
    expect(suspect.rows[0]!.n).toBe(120); // the 120 negative raw black-carbon values are kept, flagged
  });
});
