import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { Kafka, logLevel, type Admin, type Consumer } from 'kafkajs';
import { loadConfig, SECRET_DEFAULTS, type KafkaPrincipal, type ServiceName } from '@voc/config';
import { createPool, type Pool } from '@voc/db';
import { apiAlertsGroup, createKafka, ensureAcls, ensureTopics, kafkaAcls, topicNames } from '@voc/messaging';
import { CONSUMER_GROUPS } from '@voc/domain';
import { silentLogger } from '@voc/domain/testing';

// Tries each credential as an attacker on the same network would, against the real Kafka, Redis and
// PostgreSQL that infra/scripts/stack.sh starts. Owns a topic and group prefix and removes its topics.
const RUN = randomUUID().slice(0, 8);
const PREFIX = `sec-${RUN}.`;
const topics = topicNames(PREFIX);
const cfg = loadConfig();
const silent = silentLogger;

/** A kafkajs client of one principal (password from the development defaults, as the services load it); `undefined`: anonymous. */
function client(principal: KafkaPrincipal | undefined, password?: string): Kafka {
  const sasl =
    principal === undefined
      ? undefined
      : { mechanism: 'scram-sha-512' as const, username: cfg.kafka.principals[principal], password: password ?? passwordOf(principal) };
  return new Kafka({
    clientId: `sec-test-${principal ?? 'anonymous'}`,
    brokers: cfg.kafka.brokers,
    sasl,
    connectionTimeout: 3000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
}

const SERVICE_OF: Partial<Record<KafkaPrincipal, ServiceName>> = {
  gateway: 'gateway',
  writer: 'writer',
  deadletters: 'deadletters',
  hotspot: 'hotspot-worker',
};

function passwordOf(p: KafkaPrincipal): string {
  const service = SERVICE_OF[p];
  if (service) return loadConfig(process.env, { service }).kafka.sasl.password;
  return p === 'api' ? SECRET_DEFAULTS.VOC_KAFKA_API_PASSWORD : cfg.kafka.sasl.password;
}

/** `ok`, or the kafkajs error type (e.g. `TOPIC_AUTHORIZATION_FAILED`) or error name of a failed produce. */
async function produce(principal: KafkaPrincipal | undefined, topic: string, password?: string): Promise<string> {
  const producer = client(principal, password).producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
  try {
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: 'sec-test', value: `from ${principal ?? 'anonymous'}` }] });
    return 'ok';
  } catch (err) {
    return outcome(err);
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}

/** The innermost Kafka error code of a kafkajs error (`type`, through `cause`), else its name. */
function outcome(err: unknown): string {
  let e = err as { type?: string; name?: string; cause?: unknown } | undefined;
  const name = e?.name ?? String(err);
  for (let depth = 0; e && depth < 5; depth++, e = e.cause as typeof e) if (e.type) return e.type;
  return name;
}

/** `ok` when `principal` reads one record of `topic` in `group`, else the error type that stopped it. */
async function consume(principal: KafkaPrincipal, topic: string, group: string): Promise<string> {
  const consumer: Consumer = client(principal).consumer({
    groupId: group,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    retry: { retries: 0 },
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    return await new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), 30_000);
      consumer.on(consumer.events.CRASH, (e) => {
        clearTimeout(timer);
        resolve(outcome(e.payload.error));
      });
      consumer
        .run({
          eachMessage: () => {
            clearTimeout(timer);
            resolve('ok');
            return Promise.resolve();
          },
        })
        .catch((err: unknown) => {
          clearTimeout(timer);
          resolve(outcome(err));
        });
    });
  } catch (err) {
    return outcome(err);
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}

let admin: Admin;
let pool: Pool;

beforeAll(async () => {
  admin = createKafka(cfg.kafka, silent).admin();
  await admin.connect();
  await ensureTopics(admin, topics);
  await ensureAcls(admin, kafkaAcls(topics, PREFIX), cfg.kafka.principals);
  const seed = createKafka(cfg.kafka, silent).producer({ allowAutoTopicCreation: false });
  await seed.connect();
  for (const topic of Object.values(topics)) await seed.send({ topic, acks: -1, messages: [{ key: 'seed', value: 'seed' }] });
  await seed.disconnect();
  pool = createPool(cfg.pg, silent, 'voc-security-test');
});

afterAll(async () => {
  await admin?.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
  await admin?.disconnect();
  await pool?.end();
});

/**
 * Sends one unauthenticated DescribeCluster v1 request (endpoint type: controller) to the KRaft
 * controller listener on `VOC_KAFKA_CONTROLLER_PORT` (stack.sh's default 9093), as
 * `kafka-configs --bootstrap-controller` would.
 * @returns `answered` when the controller replied (it served an anonymous client), `closed` when it
 *   dropped the connection without a reply
 */
function anonymousControllerRequest(): Promise<'answered' | 'closed'> {
  const port = Number(process.env.VOC_KAFKA_CONTROLLER_PORT ?? '9093');
  const clientId = Buffer.from('sec-test');
  const header = Buffer.alloc(10);
  header.writeInt16BE(60, 0); // DescribeCluster
  header.writeInt16BE(1, 2);
  header.writeInt32BE(1, 4); // correlation id
  header.writeInt16BE(clientId.length, 8);
  // header tagged fields; include_cluster_authorized_operations=false; endpoint_type=2 (controller); tagged fields
  const request = Buffer.concat([header, clientId, Buffer.from([0, 0, 2, 0])]);
  const size = Buffer.alloc(4);
  size.writeInt32BE(request.length);
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => socket.write(Buffer.concat([size, request])));
    const timer = setTimeout(() => socket.destroy(), 10_000);
    let answered = false;
    socket.on('data', () => {
      answered = true;
      socket.destroy();
    });
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answered ? 'answered' : 'closed');
    });
  });
}

describe('Kafka principals', () => {
  it('refuses an anonymous client on the controller listener (it answers admin requests directly)', async () => {
    expect(await anonymousControllerRequest()).toBe('closed');
  });

  it('refuses an anonymous client and a wrong password', async () => {
    expect(await produce(undefined, topics.readings)).not.toBe('ok');
    expect(await produce('gateway', topics.readings, 'not-the-password')).toMatch(/SASL|Authentication|KafkaJSSASLAuthenticationError/i);
  });

  it('lets the gateway write readings and dead letters, and nothing else', async () => {
    expect(await produce('gateway', topics.readings)).toBe('ok');
    expect(await produce('gateway', topics.deadletter)).toBe('ok');
    expect(await produce('gateway', topics.alerts)).toBe('TOPIC_AUTHORIZATION_FAILED');
    // Refused at the group (FindCoordinator), which kafkajs reports as "coordinator not found".
    expect(await consume('gateway', topics.readings, PREFIX + CONSUMER_GROUPS.writer)).toMatch(
      /AUTHORIZATION_FAILED|KafkaJSGroupCoordinatorNotFound/,
    );
  });

  it('lets the stream writer read readings in its group and write dead letters, never write readings', async () => {
    expect(await produce('writer', topics.readings)).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(await produce('writer', topics.deadletter)).toBe('ok');
    expect(await consume('writer', topics.readings, PREFIX + CONSUMER_GROUPS.writer)).toBe('ok');
    // The broker refuses FindCoordinator for a group the principal may not use; kafkajs reports it as "coordinator not found".
    expect(await consume('writer', topics.readings, `${PREFIX}another-group`)).toMatch(
      /GROUP_AUTHORIZATION_FAILED|KafkaJSGroupCoordinatorNotFound/,
    );
  });

  it('lets the dead-letter store read dead letters in its group, and write nothing', async () => {
    expect(await consume('deadletters', topics.deadletter, PREFIX + CONSUMER_GROUPS.deadletterStore)).toBe('ok');
    expect(await produce('deadletters', topics.readings)).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(await produce('deadletters', topics.deadletter)).toBe('TOPIC_AUTHORIZATION_FAILED');
  });

  it('lets the hotspot worker write alerts only, and the API read them only', async () => {
    expect(await produce('hotspot', topics.alerts)).toBe('ok');
    expect(await produce('hotspot', topics.readings)).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(await consume('api', topics.alerts, apiAlertsGroup(PREFIX, 'api-1'))).toBe('ok');
    expect(await consume('api', topics.alerts, PREFIX + CONSUMER_GROUPS.writer)).toMatch(
      /GROUP_AUTHORIZATION_FAILED|KafkaJSGroupCoordinatorNotFound/,
    );
    expect(await produce('api', topics.alerts)).toBe('TOPIC_AUTHORIZATION_FAILED');
  });

  it('shows a service principal only its own topics', async () => {
    const gw = client('gateway').admin();
    await gw.connect();
    try {
      const seen = (await gw.listTopics()).filter((t) => t.startsWith(PREFIX));
      expect(seen.sort()).toEqual([topics.deadletter, topics.readings].sort());
    } finally {
      await gw.disconnect();
    }
  });
});

describe('Redis', () => {
  const redisCfg = loadConfig(process.env, { service: 'hotspot-worker' }).redis;
  const connect = (opts: { username?: string; password?: string }) =>
    new Redis(redisCfg.url, { ...opts, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  const errorOf = async (p: Promise<unknown>) => p.then(() => 'ok').catch((err: Error) => err.message);

  /** The first reply line of a plain RESP command sent over TCP without authenticating. */
  const raw = (command: string) =>
    new Promise<string>((resolve, reject) => {
      const url = new URL(redisCfg.url);
      const s = createConnection({ host: url.hostname, port: Number(url.port) }, () => s.write(`${command}\r\n`));
      s.once('data', (d) => {
        resolve(d.toString().split('\r\n')[0] ?? '');
        s.destroy();
      });
      s.once('error', reject);
    });

  it('refuses a client without credentials and the default user', async () => {
    expect(await raw('PING')).toMatch(/^-NOAUTH/);
    expect(await raw('SET bull:x 1')).toMatch(/^-NOAUTH/);
    expect(await raw('AUTH default anything')).toMatch(/^-WRONGPASS/);
  });

  it('lets the BullMQ user at BullMQ keys only, and not at dangerous commands', async () => {
    const r = connect({ username: redisCfg.username, password: redisCfg.password });
    await r.connect();
    try {
      const key = `bull:sec-${RUN}`;
      expect(await r.set(key, '1', 'EX', 60)).toBe('OK');
      await r.del(key);
      expect(await errorOf(r.set(`other:sec-${RUN}`, '1'))).toMatch(/NOPERM/);
      expect(await errorOf(r.flushall())).toMatch(/NOPERM/);
      expect(await errorOf(r.config('GET', 'requirepass'))).toMatch(/NOPERM/);
      expect(await errorOf(r.script('FLUSH'))).toMatch(/NOPERM/);
    } finally {
      r.disconnect();
    }
  });
});

describe('PostgreSQL roles', () => {
  /** `ok` or the SQLSTATE of `sql` run as `role` (SET ROLE inside a transaction that is rolled back). */
  async function asRole(role: string, sql: string): Promise<string> {
    const c = await pool.connect();
    try {
      await c.query('begin');
      await c.query(`set local role ${role}`);
      await c.query(sql);
      return 'ok';
    } catch (err) {
      return (err as { code?: string }).code ?? String(err);
    } finally {
      await c.query('rollback').catch(() => undefined);
      c.release();
    }
  }
  const READING = `insert into readings (time, device_id, metric, value, unit, raw_value, raw_unit, ref_state, received_at)
    values (now(), 'sec-${RUN}', 'tvoc', 1, 'ppb', 1, 'ppb', 'ambient', now())`;
  const DENIED = '42501';

  it('lets the gateway read devices and nothing more', async () => {
    expect(await asRole('voc_gateway', 'select id, status, credential_hash from devices limit 1')).toBe('ok');
    expect(await asRole('voc_gateway', READING)).toBe(DENIED);
    expect(await asRole('voc_gateway', `update devices set status = 'active'`)).toBe(DENIED);
    expect(await asRole('voc_gateway', 'select 1 from readings limit 1')).toBe(DENIED);
  });

  it('lets the writer insert readings and dead letters, never read, change or delete them', async () => {
    expect(await asRole('voc_writer', READING + ' on conflict (device_id, metric, time) do nothing')).toBe('ok');
    expect(await asRole('voc_writer', 'select 1 from devices limit 1')).toBe(DENIED);
    expect(await asRole('voc_writer', 'delete from readings')).toBe(DENIED);
    expect(await asRole('voc_writer', 'update readings set qa = $$valid$$')).toBe(DENIED);
    expect(await asRole('voc_writer', 'select 1 from tasks limit 1')).toBe(DENIED);
  });

  it('lets the hotspot worker at its own tables and read readings, never write readings or devices', async () => {
    expect(await asRole('voc_hotspot', 'select 1 from readings limit 1')).toBe('ok');
    expect(await asRole('voc_hotspot', 'delete from hotspot_schedule where false')).toBe('ok');
    expect(await asRole('voc_hotspot', READING)).toBe(DENIED);
    expect(await asRole('voc_hotspot', `update devices set status = 'disabled'`)).toBe(DENIED);
    expect(await asRole('voc_hotspot', 'delete from dead_letters')).toBe(DENIED);
  });

  it('lets the admin role change data but not the schema or the migration history', async () => {
    expect(await asRole('voc_admin', `update devices set status = status where false`)).toBe('ok');
    expect(await asRole('voc_admin', 'drop table readings')).toBe(DENIED);
    expect(await asRole('voc_admin', `insert into schema_migrations (name) values ('sec-${RUN}')`)).toBe(DENIED);
  });

  it('lets each service role log in with its own password', async () => {
    for (const service of ['gateway', 'writer', 'hotspot-worker', 'cli'] as const) {
      const own = createPool({ ...loadConfig(process.env, { service }).pg, poolMax: 1 }, silent, 'voc-security-test');
      try {
        const { rows } = await own.query<{ u: string }>('select current_user as u');
        expect(rows[0]?.u).toBe(loadConfig(process.env, { service }).pg.user);
      } finally {
        await own.end();
      }
    }
  });
});

describe('production mode', () => {
  /** Runs a service's main.js with `env` and returns its exit code and standard error. */
  function boot(main: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [main], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr });
      });
    });
  }

  it.each([
    ['services/gateway/dist/main.js', ['VOC_PG_GATEWAY_PASSWORD', 'VOC_KAFKA_GATEWAY_PASSWORD']],
    ['services/writer/dist/main.js', ['VOC_PG_WRITER_PASSWORD', 'VOC_KAFKA_WRITER_PASSWORD']],
    ['services/hotspot-worker/dist/main.js', ['VOC_PG_HOTSPOT_PASSWORD', 'VOC_KAFKA_HOTSPOT_PASSWORD', 'VOC_REDIS_PASSWORD']],
  ])('%s refuses to boot with the default secrets and names each one', async (main, names) => {
    const { code, stderr } = await boot(main, { VOC_ENV: 'production' });
    expect(code).toBe(1);
    expect(stderr).toContain('invalid configuration');
    for (const n of names) expect(stderr).toContain(`${n}:`);
    for (const v of Object.values(SECRET_DEFAULTS)) if (v !== '') expect(stderr).not.toContain(v);
  });
});
