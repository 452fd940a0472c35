/** The ingest benchmark's stages measured alone: the MQTT endpoint, Kafka, the bulk load. */
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { createLogger, type loadConfig } from '@voc/config';
import { ReadingRepository, type Pool } from '@voc/db';
import type { ReadingMessage } from '@voc/domain';
import { buildReading } from '@voc/domain/testing';
import { createKafka, ensureTopics, readingRecord, topicNames } from '@voc/messaging';
import { createMqttServer } from '@voc/mqtt-server';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A sample normalised reading as the gateway produces it (3 values), for the Kafka and DB stages. */
function sampleMessage(deviceId: string, ms: number): ReadingMessage {
  return buildReading(
    deviceId,
    ms,
    [
      { metric: 'tvoc', value: 512.3, raw: { value: 223, unit: 'ppb' } },
      { metric: 'temp', value: 12.5 },
      { metric: 'rh', value: 48 },
    ],
    { position: { lat: 39.91, lon: 116.36 }, h3: '8c31aa5a8d8a9ff' },
  );
}

/** The device endpoint alone: `@voc/mqtt-server` acknowledging at once, one MQTT.js client with a window of 500. */
export async function stageEndpoint(seconds: number): Promise<number> {
  const log = createLogger('bench', 'error');
  const server = createMqttServer({
    log,
    tcp: { host: '127.0.0.1', port: 0 },
    receiveMaximum: 1000,
    ports: {
      authenticate: (req) => Promise.resolve({ ok: true, deviceId: req.username ?? 'bench' }),
      authorizePublish: () => true,
      onPublish: () => Promise.resolve(),
    },
  });
  const { tcp } = await server.listen();
  const pub = await mqtt.connectAsync(`mqtt://127.0.0.1:${tcp!.port}`, {
    username: 'bench-stage',
    password: 'x',
    clientId: `bench-pub-${randomBytes(3).toString('hex')}`,
    protocolVersion: 5,
    clean: true,
  });
  const payload = JSON.stringify({
    ts: new Date().toISOString(),
    values: [
      { metric: 'tvoc', value: 1, unit: 'ppb' },
      { metric: 'temp', value: 1, unit: '°C' },
      { metric: 'rh', value: 1, unit: '%' },
    ],
  });
  const end = Date.now() + seconds * 1000;
  const t0 = Date.now();
  let inflight = 0;
  let acked = 0;
  while (Date.now() < end) {
    if (inflight >= 500) {
      await sleep(1);
      continue;
    }
    inflight++;
    pub.publish('voc/v1/fixed/bench-stage/up', payload, { qos: 1 }, (err) => {
      inflight--;
      if (!err) acked++;
    });
    if (inflight % 100 === 0) await new Promise((r) => setImmediate(r));
  }
  const elapsed = (Date.now() - t0) / 1000;
  await pub.endAsync();
  await server.close(2000);
  return acked / elapsed;
}

export async function stageKafka(cfg: ReturnType<typeof loadConfig>, prefix: string, seconds: number): Promise<number> {
  const log = createLogger('bench', 'error');
  const kafka = createKafka(cfg.kafka, log);
  const topic = topicNames(`${prefix}stage.`).readings;
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, topicNames(`${prefix}stage.`));
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const consumer = kafka.consumer({ groupId: `${prefix}stage`, maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let consumed = 0;
  await consumer.run({ eachBatch: ({ batch }) => Promise.resolve(void (consumed += batch.messages.length)) });
  const t0 = Date.now();
  const end = t0 + seconds * 1000;
  let n = 0;
  while (Date.now() < end) {
    const messages = Array.from({ length: 1000 }, () => readingRecord(sampleMessage(`dev-${n % 200}`, 1_700_000_000_000 + n++)));
    await producer.send({ topic, acks: -1, messages });
  }
  const produced = n;
  while (consumed < produced && Date.now() < end + 30_000) await sleep(20);
  const elapsed = (Date.now() - t0) / 1000;
  await consumer.disconnect();
  await producer.disconnect();
  return consumed / elapsed;
}

export async function stageDb(pool: Pool, seconds: number): Promise<number> {
  const repo = new ReadingRepository(pool);
  const t0 = Date.now();
  let n = 0;
  while (Date.now() < t0 + seconds * 1000) {
    const batch = Array.from({ length: 2000 }, () => sampleMessage(`stage-${n % 200}`, 1_600_000_000_000 + n++));
    await repo.insertBatch(batch);
  }
  return n / ((Date.now() - t0) / 1000);
}
