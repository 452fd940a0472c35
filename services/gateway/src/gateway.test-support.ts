import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Admin, Consumer } from 'kafkajs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Config } from '@voc/config';
import { deadLetterSchema, readingMessageSchema, type DeadLetter, type Logger, type ReadingMessage } from '@voc/domain';
import { createKafka, ensureAcls, ensureTopics, headerString, kafkaAcls, topicNames, type TopicNames } from '@voc/messaging';
import { KAFKA_HEADERS } from '@voc/domain';

// Helpers of the gateway's integration tests (not compiled into dist): a gateway process, Kafka
// topics and a collector, MQTT device connections, a test CA, polling.

/** The built gateway, started by the process tests (`npx tsc -b` first). */
export const GATEWAY_MAIN = 'services/gateway/dist/main.js';

/** Resolves once `cond()` holds (polled every 50 ms), or rejects naming `what` after `timeoutMs`. */
export async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A free loopback TCP port (bound and released; the caller binds it next). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A running gateway process and its bound ports. */
export interface GatewayProcess {
  readonly child: ChildProcess;
  readonly mqttPort: number;
  readonly tlsPort?: number;
  readonly metricsPort: number;
  /** Log lines (JSON) seen so far. */
  readonly lines: string[];
  /** SIGKILL; resolves on exit. */
  kill(): Promise<void>;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `node services/gateway/dist/main.js` with `env` added; resolves once it logged "gateway ready". */
export function startGatewayProcess(env: Record<string, string>): Promise<GatewayProcess> {
  const child = spawn(process.execPath, [GATEWAY_MAIN], {
    env: { ...process.env, LOG_LEVEL: 'info', VOC_GATEWAY_METRICS_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines: string[] = [];
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (l) => {
      lines.push(l);
      if (!l.includes('"gateway ready"')) return;
      const ready = JSON.parse(l) as { mqttPort: number; mqttTlsPort?: number; metricsPort: number };
      resolve({
        child,
        mqttPort: ready.mqttPort,
        ...(ready.mqttTlsPort ? { tlsPort: ready.mqttTlsPort } : {}),
        metricsPort: ready.metricsPort,
        lines,
        async kill() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await exited;
        },
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          return exited;
        },
      });
    });
    void exited.then((code) => reject(new Error(`gateway exited with ${code} before it was ready: ${stderr}`)));
  });
}

/** Creates the catalogue topics with `prefix` and the service ACLs on them; returns their names and a cleanup. */
export async function createTestTopics(admin: Admin, cfg: Config, prefix: string): Promise<{ topics: TopicNames; drop(): Promise<void> }> {
  const topics = topicNames(prefix);
  await ensureTopics(admin, topics);
  await ensureAcls(admin, kafkaAcls(topics, prefix), cfg.kafka.principals);
  return {
    topics,
    drop: () =>
      admin.deleteTopics({ topics: Object.values(topics) }).then(
        () => undefined,
        () => undefined,
      ),
  };
}

/** What a collector has read so far. */
export interface Seen {
  readings: { key: string | undefined; msg: ReadingMessage; schema: string | undefined; mqttTopic: string | undefined }[];
  dead: DeadLetter[];
}

/** Reads the readings and dead-letter topics from the beginning into memory. */
export async function collect(cfg: Config, log: Logger, topics: TopicNames, groupId: string): Promise<{ seen: Seen; consumer: Consumer }> {
  const seen: Seen = { readings: [], dead: [] };
  const consumer = createKafka(cfg.kafka, log).consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topics.readings, topics.deadletter], fromBeginning: true });
  await consumer.run({
    eachMessage: ({ topic, message }) => {
      const value: unknown = JSON.parse(String(message.value));
      if (topic === topics.readings) {
        seen.readings.push({
          key: message.key?.toString(),
          msg: readingMessageSchema.parse(value),
          schema: headerString(message.headers, KAFKA_HEADERS.schema),
          mqttTopic: headerString(message.headers, KAFKA_HEADERS.mqttTopic),
        });
      } else seen.dead.push(deadLetterSchema.parse(value));
      return Promise.resolve();
    },
  });
  return { seen, consumer };
}

/** Connects as a device (MQTT 5 by default); rejects with the CONNACK error (its `code` is the reason code). */
export async function connectDevice(port: number, id: string, password: string, opts: IClientOptions = {}): Promise<MqttClient> {
  const c = mqtt.connect({
    host: '127.0.0.1',
    port,
    protocolVersion: 5,
    clientId: id,
    username: id,
    password,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...opts,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      c.once('connect', () => resolve());
      c.once('error', reject);
      c.once('close', () => reject(Object.assign(new Error('connection closed before CONNACK'), { code: -2 })));
    });
  } catch (err) {
    c.end(true);
    throw err;
  }
  c.on('error', () => undefined);
  return c;
}

/** The CONNACK reason code a device gets (0 when accepted). */
export async function connackCode(port: number, id: string, password: string, opts: IClientOptions = {}): Promise<number> {
  try {
    const c = await connectDevice(port, id, password, opts);
    await c.endAsync();
    return 0;
  } catch (err) {
    return (err as { code?: number }).code ?? -1;
  }
}

/** A throwaway CA and a server certificate for `localhost`/127.0.0.1, made with the openssl CLI. */
export interface TestPki {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly ca: Buffer;
  remove(): void;
}

/** Makes a {@link TestPki} in a temporary directory (RSA 2048, valid 2 days). */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'voc-gw-pki-'));
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=voc gateway test CA',
  ]);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  execFileSync('sh', ['-c', `printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > ext.cnf`], { cwd: dir });
  run([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '2',
    '-extfile',
    'ext.cnf',
  ]);
  return {
    caFile: join(dir, 'ca.pem'),
    certFile: join(dir, 'server.pem'),
    keyFile: join(dir, 'server.key'),
    ca: readFileSync(join(dir, 'ca.pem')),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
