// Test support (not part of the build): a server on a random loopback port with recording ports.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@voc/config';
import { createMqttServer, type MqttServer } from './server.js';
import type { MqttServerOptions } from './options.js';
import type { AuthResult, ConnectRequest, InboundPublish, MqttServerMetrics, Ports, PublishOutcome, RefusedPublish } from './types.js';

/** A promise with its resolve and reject. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
}

/** A promise settled from outside, for handlers the test releases. */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Device accounts of the tests: id → password. */
export const DEVICES: Readonly<Record<string, string>> = { 'dev-1': 'secret-1', 'dev-2': 'secret-2', 'dev-off': 'secret-off' };
export const upTopic = (id: string): string => `voc/v1/fixed/${id}/up`;

/** Counters by name and label, e.g. `connects_refused{reason=bad_credentials}`. */
export class RecordingMetrics implements MqttServerMetrics {
  readonly counts = new Map<string, number>();
  inc(name: string, labels?: Readonly<Record<string, string>>, n = 1): void {
    const key = labels
      ? `${name}{${Object.entries(labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(',')}}`
      : name;
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }
  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }
}

/** A running server and what its ports saw. */
export interface Harness {
  readonly server: MqttServer;
  readonly port: number;
  readonly tlsPort: number | undefined;
  readonly received: InboundPublish[];
  readonly refused: RefusedPublish[];
  readonly connects: ConnectRequest[];
  readonly metrics: RecordingMetrics;
  /** Replaceable behaviour of the publish port (default: resolve at once). */
  onPublish: (msg: InboundPublish) => Promise<PublishOutcome | void>;
  /** Replaceable behaviour of the authenticate port (default: DEVICES, `dev-off` disabled). */
  authenticate: (req: ConnectRequest) => Promise<AuthResult>;
  close(): Promise<void>;
}

/** The test directory: DEVICES with their passwords, `dev-off` disabled, a client id naming another device refused. */
export function defaultAuthenticate(req: ConnectRequest): Promise<AuthResult> {
  const id = req.username ?? '';
  const pw = DEVICES[id];
  if (pw === undefined || req.password?.toString() !== pw) return Promise.resolve({ ok: false, reason: 'bad_credentials' });
  if (id === 'dev-off') return Promise.resolve({ ok: false, reason: 'not_authorized' });
  // A client id that is another device's id names that device.
  if (req.clientId !== id && DEVICES[req.clientId] !== undefined) return Promise.resolve({ ok: false, reason: 'client_id_not_allowed' });
  return Promise.resolve({ ok: true, deviceId: id });
}

/** Starts a server on a random loopback port (and TLS when given) with recording ports. */
export async function startHarness(options: Partial<MqttServerOptions> = {}): Promise<Harness> {
  const metrics = new RecordingMetrics();
  const h: Omit<Harness, 'server' | 'port' | 'tlsPort' | 'close'> = {
    received: [],
    refused: [],
    connects: [],
    metrics,
    onPublish: () => Promise.resolve(),
    authenticate: defaultAuthenticate,
  };
  const ports: Ports = {
    authenticate: (req) => {
      h.connects.push(req);
      return h.authenticate(req);
    },
    authorizePublish: (deviceId, topic) => topic === upTopic(deviceId),
    onPublish: (msg) => {
      h.received.push(msg);
      return h.onPublish(msg);
    },
    onRefused: (r) => {
      h.refused.push(r);
      return Promise.resolve();
    },
  };
  const server = createMqttServer({
    ports,
    log: createLogger('mqtt-server-test', process.env.LOG_LEVEL ?? 'silent'),
    metrics,
    tcp: { host: '127.0.0.1', port: 0 },
    ...options,
  });
  const addr = await server.listen();
  return Object.assign(h, {
    server,
    port: addr.tcp?.port ?? 0,
    tlsPort: addr.tls?.port,
    close: async () => {
      await server.close(2_000);
    },
  });
}

/** A throwaway CA and a server certificate for 127.0.0.1 / localhost, made with the openssl CLI. */
export interface TestPki {
  readonly dir: string;
  readonly caFile: string;
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
  remove(): void;
}

/** Makes a CA and a server certificate in a temporary directory (`remove()` deletes it). */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'voc-mqtt-pki-'));
  const run = (args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  };
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=voc test CA']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  const ext = join(dir, 'ext.cnf');
  execFileSync('sh', ['-c', `printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > ${JSON.stringify(ext)}`]);
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
    dir,
    caFile: join(dir, 'ca.pem'),
    ca: readFileSync(join(dir, 'ca.pem')),
    cert: readFileSync(join(dir, 'server.pem')),
    key: readFileSync(join(dir, 'server.key')),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Resolves once `cond()` holds (polled every 10 ms), or rejects after `ms`. */
export async function until(cond: () => boolean, ms = 5_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
