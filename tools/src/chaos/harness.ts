import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createLogger, loadConfig, type Config } from '@voc/config';
import { hashPassword } from '@voc/core';
import { createPool, DeviceRepository, ensureRoleLogins, migrate, pgExecutor, type Pool } from '@voc/db';
import { deviceUpTopic, type Logger } from '@voc/domain';
import { createKafka, ensureAcls, ensureTopics, kafkaAcls, topicNames } from '@voc/messaging';
import { sampleTree } from '../bench/procstat.js';
import { REPO_ROOT, startService, type ServiceProcess } from '../spawn.js';
import type { ChaosSettings } from './settings.js';

/**
 * The chaos suite's shared harness: one prepared database with the simulated devices, then per
 * scenario fresh topics and consumer groups, the services as child processes (the one service
 * spawner), the project's load generator keeping QoS 1 windows, a sampler (stored rows, gateway RSS,
 * machine load), the drain and the reconciliation of acknowledged vs stored vs dead-lettered by
 * (device, metric, time).
 */

/** Comment that marks a database as created by this suite; nothing else is ever dropped or truncated. */
const OWNER_MARK = 'created by the voc chaos suite (tools/src/chaos); safe to drop';
/** Values per message of the load generator (tvoc, temp, rh). */
const VALUES_PER_MESSAGE = 3;
/** Longest drain after the load ended, ms. */
const DRAIN_MAX_MS = 240_000;
/** The drain gives up when stored rows did not grow for this long, ms. */
const DRAIN_STALL_MS = 45_000;

/** How long the load generator waits for outstanding PUBACKs after its schedule, s. */
const LOADGEN_DRAIN_S = 300;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One acknowledged message as the load generator logs it: device, reading time ms, PUBACK wall clock ms. */
interface Ack {
  d: string;
  t: number;
  a: number;
}

/** Counts of the load generator's final line (tools/src/bench/loadgen.ts). */
export interface LoadgenCounts {
  due: number;
  offered: number;
  acked: number;
  refused: number;
  failed: number;
  connectRefused: number;
  seconds: number;
  cpuSeconds: number;
  maxRssMiB: number;
}

/** A load generator process. */
export interface Load {
  /** Resolves with its counts when it exited (after its own drain of outstanding PUBACKs). */
  readonly done: Promise<LoadgenCounts>;
  /** File of acknowledged messages (JSON lines). */
  readonly ackFile: string;
  /** Resolves once every device is connected (its schedule starts then), or when it exited. */
  readonly connected: Promise<void>;
}

/** Reconciliation of one scenario, in values (one message = 3 values) unless named messages. */
export interface Reconciliation {
  acknowledgedMessages: number;
  acknowledgedValues: number;
  storedValues: number;
  /** Acknowledged values found in `dead_letters` instead of `readings`. */
  deadLetteredValues: number;
  /** Acknowledged values neither stored nor dead-lettered: must be 0. */
  lost: number;
  /** Keys held more than once across `readings` and `dead_letters` (stored and dead-lettered, or dead-lettered twice): must be 0. */
  duplicated: number;
  /** Stored values whose message had no PUBACK (the device would resend it; the store absorbs the copy). */
  storedNotAcknowledged: number;
  /** Dead letters in the database (all reasons), rows. */
  deadLetterRows: number;
  /** First lost keys, for the report. */
  lostSample: string[];
}

/** What a scenario returns to the runner. */
export interface ScenarioResult {
  scenario: string;
  title: string;
  when: string;
  machine: { cores: number; cpu: string; memGiB: number; node: string };
  /** Load average (1 min) of the machine: before, mean and max during, after. */
  machineLoad: { before: number; mean: number; max: number; after: number };
  settings: Record<string, number | string>;
  load: LoadgenCounts;
  reconciliation: Reconciliation;
  /** Per fault: seconds from the fault's end until acknowledgements resumed and everything acknowledged before it was stored. */
  recoverSeconds: number[];
  /** The worst of `recoverSeconds` (0 when the scenario has no fault). */
  timeToRecoverSeconds: number;
  peakGatewayRssMiB: number;
  /** Wall time of the scenario, s. */
  seconds: number;
  /** Scenario-specific findings (e.g. the hotspot evaluation's state). */
  extra: Record<string, unknown>;
  /** What the scenario could not measure or where it fell short of its design. */
  notMeasured: string[];
  /** Timestamped events (kills, restarts), ms since the scenario began. */
  events: { t: number; what: string }[];
  passed: boolean;
}

/** Credentials file format of the load generator. */
type Creds = Record<string, { username: string; password: string; topic: string }>;

/** The suite-wide state: settings, config, database pools and credentials files. */
export class ChaosSuite {
  private constructor(
    readonly settings: ChaosSettings,
    readonly cfg: Config,
    readonly log: Logger,
    /** Pool on the suite's database (migration role). */
    readonly pool: Pool,
    /** Pool on the `postgres` database, to switch the suite's database off and on. */
    readonly control: Pool,
    readonly steadyCreds: string,
    readonly stormCreds: string,
    readonly stormIds: readonly string[],
  ) {}

  /** Cache folder of the suite's logs and credentials. */
  static readonly dir = `${REPO_ROOT}.cache/chaos`;

  /**
   * Starts the checkout's stack if needed (`infra/scripts/stack.sh up`: Kafka and Redis of this
   * checkout), creates or reuses the suite's database (refusing one it did not create), migrates it,
   * registers the steady and storm devices with fresh passwords and writes the credentials files.
   */
  static async prepare(settings: ChaosSettings): Promise<ChaosSuite> {
    await mkdir(ChaosSuite.dir, { recursive: true });
    await stackUp();
    const cfg = loadConfig({ ...process.env, PGDATABASE: settings.database, LOG_LEVEL: 'error' });
    // Silent: the outage scenario terminates the suite's own sessions on purpose.
    const log = createLogger('chaos', 'silent');
    const control = createPool({ ...cfg.pg, database: 'postgres', poolMax: 2 }, log, 'voc-chaos-control');
    const db = settings.database;
    const found = await control.query<{ mark: string | null }>(
      `select shobj_description(oid, 'pg_database') as mark from pg_database where datname = $1`,
      [db],
    );
    if (found.rows.length === 0) {
      await control.query(`create database ${db}`);
      await control.query(`comment on database ${db} is '${OWNER_MARK}'`);
    } else if (found.rows[0]!.mark !== OWNER_MARK) {
      await control.end();
      throw new Error(`database ${db} exists and was not created by the chaos suite: choose another VOC_CHAOS_DATABASE`);
    }
    // A run interrupted during the outage scenario leaves the database closed.
    await control.query(`alter database ${db} allow_connections true`);
    const pool = createPool({ ...cfg.pg, database: db, poolMax: 4 }, log, 'voc-chaos');
    const client = await pool.connect();
    try {
      await migrate(pgExecutor(client));
      await ensureRoleLogins(pgExecutor(client), Object.values(cfg.pg.logins));
    } finally {
      client.release();
    }
    const devices = new DeviceRepository(pool);
    const steadyIds = Array.from({ length: settings.devices }, (_, i) => `chaos-${String(i).padStart(4, '0')}`);
    const stormIds = Array.from({ length: settings.stormDevices }, (_, i) => `storm-${String(i).padStart(4, '0')}`);
    // Positions on a grid over Xicheng (39.88-39.95 N, 116.33-116.40 E), about 390 m apart.
    const place = (ids: string[], lat0: number) =>
      ids.map((id, i) => ({ id, kind: 'fixed' as const, lat: lat0 + (i % 20) * 0.0035, lon: 116.33 + Math.floor(i / 20) * 0.0035 }));
    await devices.upsert([...place(steadyIds, 39.88), ...place(stormIds, 39.88)]);
    // One password per run for every device: the gateway still verifies (scrypt) each device on its
    // own connection; one hash keeps the preparation short.
    const password = `chaos-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
    const hash = await hashPassword(password);
    for (const id of [...steadyIds, ...stormIds]) await devices.setCredentialHash(id, hash);
    const creds = (ids: string[]): Creds =>
      Object.fromEntries(ids.map((id) => [id, { username: id, password, topic: deviceUpTopic('fixed', id) }]));
    const steadyCreds = `${ChaosSuite.dir}/credentials-steady.json`;
    const stormCreds = `${ChaosSuite.dir}/credentials-storm.json`;
    await writeFile(steadyCreds, JSON.stringify(creds(steadyIds)), { mode: 0o600 });
    await writeFile(stormCreds, JSON.stringify(creds(stormIds)), { mode: 0o600 });
    return new ChaosSuite(settings, cfg, log, pool, control, steadyCreds, stormCreds, stormIds);
  }

  /** Begins a scenario: empties the suite's own tables, creates the scenario's topics and ACLs. */
  async begin(name: string, title: string): Promise<ScenarioRun> {
    await this.pool.query(
      `truncate readings, dead_letters, hotspot_evaluations, hotspot_evaluation_runs, hotspot_cell_stats, hotspot_cell_states, hotspots, tasks cascade`,
    );
    const prefix = `chaos-${name}-${Date.now().toString(36)}.`;
    const admin = createKafka(this.cfg.kafka, this.log).admin();
    await admin.connect();
    try {
      await ensureTopics(admin, topicNames(prefix));
      await ensureAcls(admin, kafkaAcls(topicNames(prefix), prefix), this.cfg.kafka.principals);
    } finally {
      await admin.disconnect();
    }
    const run = new ScenarioRun(this, name, title, prefix);
    run.startSampling();
    return run;
  }

  /** Refuses connections to the suite's database and ends its sessions (the machine's PostgreSQL keeps running). */
  async databaseOff(): Promise<void> {
    const db = this.settings.database;
    await this.control.query(`alter database ${db} allow_connections false`);
    await this.control.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`, [db]);
  }

  /** Accepts connections to the suite's database again. */
  async databaseOn(): Promise<void> {
    await this.control.query(`alter database ${this.settings.database} allow_connections true`);
  }

  /** Closes the pools (after re-enabling the database). */
  async close(): Promise<void> {
    await this.databaseOn().catch(() => undefined);
    await this.pool.end().catch(() => undefined);
    await this.control.end().catch(() => undefined);
  }
}

/**
 * Runs `infra/scripts/stack.sh up` under the current environment (this checkout's Kafka and Redis;
 * asynchronously, so the services' log pipes keep flowing meanwhile).
 */
export async function stackUp(): Promise<void> {
  const child = spawn('bash', [`${REPO_ROOT}infra/scripts/stack.sh`, 'up'], {
    cwd: REPO_ROOT,
    env: process.env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`stack.sh up failed with status ${code}`);
}

/** Pid of this checkout's Kafka broker (from stack.sh's pid file). */
export async function kafkaPid(): Promise<number> {
  return Number((await readFile(`${REPO_ROOT}.cache/kafka/kafka.pid`, 'utf8')).trim());
}

/** Waits until `pid` has exited (at most `ms`). */
export async function waitExit(pid: number, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await sleep(100);
  }
  throw new Error(`process ${pid} did not exit within ${ms} ms`);
}

/** The services a scenario can run. */
export type ServiceName = 'gateway' | 'writer' | 'worker';

const SERVICE_SCRIPT: Record<ServiceName, { script: string; ready: string }> = {
  gateway: { script: 'services/gateway/dist/main.js', ready: 'gateway ready' },
  writer: { script: 'services/writer/dist/main.js', ready: 'writer started' },
  worker: { script: 'services/hotspot-worker/dist/main.js', ready: 'hotspot worker started' },
};

/** One scenario in progress: its services, load, sampler and result. */
export class ScenarioRun {
  readonly t0 = Date.now();
  readonly events: { t: number; what: string }[] = [];
  readonly notMeasured: string[] = [];
  readonly extra: Record<string, unknown> = {};
  readonly settings: Record<string, number | string> = {};
  /** Wall-clock ms at which the load generator was started (before its devices connected). */
  loadStartedAt = 0;
  /** Rows the scenario wrote itself (seeded readings), left out of `storedValues` and `storedNotAcknowledged`. */
  seededRows = 0;
  /** Recovery times a scenario measures itself (e.g. the hotspot evaluation's), s. */
  readonly recoverExtra: number[] = [];
  private readonly procs = new Map<ServiceName, ServiceProcess>();
  private readonly starts = new Map<ServiceName, number>();
  private readonly extraEnv = new Map<ServiceName, Record<string, string>>();
  private sampler: NodeJS.Timeout | undefined;
  private loadChild: ChildProcess | undefined;
  private loads: number[] = [];
  private readonly loadBefore = loadavg()[0]!;
  private peakGatewayRss = 0;
  private stored = 0;
  private lastGrowth = Date.now();

  constructor(
    readonly suite: ChaosSuite,
    readonly name: string,
    readonly title: string,
    readonly prefix: string,
  ) {}

  /** Environment of every service of this scenario (database, topics, groups, ports). */
  env(): Record<string, string> {
    return {
      PGDATABASE: this.suite.settings.database,
      LOG_LEVEL: 'info',
      VOC_KAFKA_TOPIC_PREFIX: this.prefix,
      VOC_KAFKA_GROUP_PREFIX: this.prefix,
      VOC_GATEWAY_METRICS_PORT: '0',
      VOC_MQTT_PORT: String(this.suite.settings.mqttPort),
    };
  }

  /** Records an event at the current time. */
  mark(what: string): number {
    const now = Date.now();
    this.events.push({ t: now - this.t0, what });
    process.stderr.write(`  [${this.name} +${((now - this.t0) / 1000).toFixed(1)} s] ${what}\n`);
    return now;
  }

  /** Starts (or restarts) a service and waits for its ready line; `env` is kept for later restarts. */
  async start(name: ServiceName, env?: Record<string, string>): Promise<void> {
    if (env) this.extraEnv.set(name, env);
    const n = (this.starts.get(name) ?? 0) + 1;
    this.starts.set(name, n);
    const { script, ready } = SERVICE_SCRIPT[name];
    const p = startService(name, script, {
      env: { ...this.env(), ...(this.extraEnv.get(name) ?? {}) },
      readyMsg: ready,
      logFile: `${ChaosSuite.dir}/${this.name}-${name}-${n}.log`,
    });
    this.procs.set(name, p);
    await p.ready;
  }

  /** The running process of a service. */
  proc(name: ServiceName): ChildProcess | undefined {
    return this.procs.get(name)?.child;
  }

  /** SIGKILLs a service and waits until it is gone. */
  async kill(name: ServiceName): Promise<void> {
    const p = this.procs.get(name);
    if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
    const exited = new Promise((r) => p.child.once('exit', r));
    p.child.kill('SIGKILL');
    await exited;
  }

  /**
   * Starts the project's load generator (`tools/dist/bench/loadgen.js`) on the gateway's endpoint.
   * @param creds credentials file (steady or storm devices)
   */
  load(opts: { rate: number; seconds: number; creds?: string; backlogMinutes?: number; window?: number }): Load {
    const ackFile = `${ChaosSuite.dir}/${this.name}-acks.jsonl`;
    const args = [
      fileURLToPath(new URL('../bench/loadgen.js', import.meta.url)),
      opts.creds ?? this.suite.steadyCreds,
      String(opts.rate),
      String(opts.seconds),
      `mqtt://127.0.0.1:${this.suite.settings.mqttPort}`,
      String(opts.window ?? 64),
      ackFile,
      ...(opts.backlogMinutes ? ['--backlog-minutes', String(opts.backlogMinutes)] : []),
      // Outstanding PUBACKs may wait for a restarted broker (its JVM start on a loaded machine took minutes).
      '--drain-seconds',
      String(LOADGEN_DRAIN_S),
    ];
    this.settings.rate = opts.rate;
    this.settings.loadSeconds = opts.seconds;
    if (opts.backlogMinutes) this.settings.backlogMinutes = opts.backlogMinutes;
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.loadChild = child;
    let out = '';
    let err = '';
    let onConnected: () => void = () => undefined;
    const connected = new Promise<void>((r) => (onConnected = r));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('"connected"')) onConnected();
    });
    child.once('exit', () => onConnected());
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const done = new Promise<LoadgenCounts>((resolve, reject) => {
      child.once('exit', (code) => {
        try {
          resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as LoadgenCounts);
        } catch {
          reject(new Error(`load generator exited with ${code}: ${err.slice(-500)}`));
        }
      });
    });
    this.loadStartedAt = this.mark(
      `load: ${opts.rate} msg/s for ${opts.seconds} s${opts.backlogMinutes ? ` after ${opts.backlogMinutes} buffered minutes per device` : ''}`,
    );
    return { done, ackFile, connected };
  }

  /** Samples stored rows (1 s), gateway RSS (0.5 s) and the machine's load average (5 s). */
  startSampling(): void {
    let tick = 0;
    const once = async () => {
      tick++;
      const gw = this.procs.get('gateway')?.child;
      if (gw?.pid && gw.exitCode === null && gw.signalCode === null) {
        const s = await sampleTree(gw.pid);
        if (s) this.peakGatewayRss = Math.max(this.peakGatewayRss, s.rssBytes);
      }
      if (tick % 2 === 0) {
        const n = await this.countStored().catch(() => undefined);
        if (n !== undefined && n > this.stored) {
          this.stored = n;
          this.lastGrowth = Date.now();
        }
      }
      if (tick % 10 === 0) this.loads.push(loadavg()[0]!);
    };
    let busy = false;
    this.sampler = setInterval(() => {
      if (busy) return;
      busy = true;
      once().then(
        () => (busy = false),
        () => (busy = false),
      );
    }, 500);
  }

  private async countStored(): Promise<number> {
    return (await this.suite.pool.query<{ n: number }>('select count(*)::int as n from readings')).rows[0]!.n;
  }

  /** Waits until every acknowledged value is stored or dead-lettered, or storage stalled (bounded). */
  async drain(acked: number): Promise<void> {
    this.mark('draining');
    const want = acked * VALUES_PER_MESSAGE;
    const end = Date.now() + DRAIN_MAX_MS;
    this.lastGrowth = Date.now();
    while (Date.now() < end) {
      const stored = await this.countStored().catch(() => 0);
      const dead = await this.suite.pool
        .query<{ n: number }>('select count(*)::int as n from dead_letters')
        .then((r) => r.rows[0]!.n * VALUES_PER_MESSAGE)
        .catch(() => 0);
      if (stored > this.stored) {
        this.stored = stored;
        this.lastGrowth = Date.now();
      }
      if (stored + dead >= want) break;
      if (Date.now() - this.lastGrowth > DRAIN_STALL_MS) {
        this.notMeasured.push(`drain stopped: no new rows for ${DRAIN_STALL_MS / 1000} s`);
        break;
      }
      await sleep(500);
    }
    // Dead letters travel a second topic and consumer: give them a moment.
    await sleep(3000);
    this.mark('drained');
  }

  /** Reconciles acknowledged (load generator's file) vs stored vs dead-lettered by (device, metric, time). */
  async reconcile(ackFile: string): Promise<{ rec: Reconciliation; acks: Ack[]; storedAt: Map<string, number> }> {
    const acks = (await readFile(ackFile, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Ack);
    const rows = await this.suite.pool.query<{ d: string; t: number; n: number; s: number }>(
      `select device_id as d, round(extract(epoch from time) * 1000)::float8 as t, count(*)::int as n,
              extract(epoch from max(stored_at)) * 1000 as s
       from readings group by 1, 2`,
    );
    const stored = new Map<string, { n: number; s: number }>();
    for (const r of rows.rows) stored.set(`${r.d}|${r.t}`, { n: r.n, s: r.s });
    const dl = await this.suite.pool.query<{ d: string | null; p: Buffer }>(`select device_id as d, payload as p from dead_letters`);
    const dead = new Map<string, number>();
    for (const r of dl.rows) {
      try {
        // The gateway dead-letters the device's payload (`ts`); the stream writer the normalised reading (`time`).
        const body = JSON.parse(r.p.toString('utf8')) as { ts?: string; time?: string; values?: unknown[] };
        const ts = body.ts ?? body.time;
        if (!r.d || !ts) continue;
        const k = `${r.d}|${Date.parse(ts)}`;
        dead.set(k, (dead.get(k) ?? 0) + (body.values?.length ?? VALUES_PER_MESSAGE));
      } catch {
        // A payload that is not JSON is no acknowledged reading of the load generator.
      }
    }
    let storedValues = 0;
    for (const v of stored.values()) storedValues += v.n;
    const ackedKeys = new Set<string>();
    let lost = 0;
    let deadLettered = 0;
    let duplicated = 0;
    const lostSample: string[] = [];
    for (const a of acks) {
      const k = `${a.d}|${a.t}`;
      if (ackedKeys.has(k)) continue; // acknowledged twice (a resend): one message
      ackedKeys.add(k);
      const n = stored.get(k)?.n ?? 0;
      const dv = dead.get(k) ?? 0;
      if (n > VALUES_PER_MESSAGE) duplicated += n - VALUES_PER_MESSAGE;
      if (n > 0 && dv > 0) duplicated += Math.min(n, dv);
      if (dv > VALUES_PER_MESSAGE) duplicated += dv - VALUES_PER_MESSAGE;
      deadLettered += Math.min(dv, VALUES_PER_MESSAGE);
      const missing = VALUES_PER_MESSAGE - Math.min(VALUES_PER_MESSAGE, n + dv);
      if (missing > 0) {
        lost += missing;
        if (lostSample.length < 10) lostSample.push(`${k} (${n} stored)`);
      }
    }
    let storedNotAcknowledged = 0;
    for (const [k, v] of stored) if (!ackedKeys.has(k)) storedNotAcknowledged += v.n;
    const storedAt = new Map<string, number>();
    for (const [k, v] of stored) storedAt.set(k, v.s);
    return {
      rec: {
        acknowledgedMessages: ackedKeys.size,
        acknowledgedValues: ackedKeys.size * VALUES_PER_MESSAGE,
        storedValues: storedValues - this.seededRows,
        deadLetteredValues: deadLettered,
        lost,
        duplicated,
        storedNotAcknowledged: storedNotAcknowledged - this.seededRows,
        deadLetterRows: dl.rows.length,
        lostSample,
      },
      acks,
      storedAt,
    };
  }

  /**
   * Ends the scenario: stops the services and the sampler, reconciles, computes the recovery time of
   * each fault and writes `bench/results/chaos-<name>-<time>.json`.
   * @param faultsClearedAt wall-clock ms at which each fault ended (service restarted, database back, overload over)
   * @param untilAllStored recovery ends when every acknowledged message is stored (the reconnect storm), not only those acknowledged before the fault ended
   */
  async finish(load: Load, counts: LoadgenCounts, faultsClearedAt: number[], untilAllStored = false): Promise<ScenarioResult> {
    for (const p of [...this.procs.values()].reverse()) await p.stop(20_000);
    clearInterval(this.sampler);
    await this.deleteTopics();
    const { rec, acks, storedAt } = await this.reconcile(load.ackFile);
    const ackTimes = acks.map((a) => a.a).sort((x, y) => x - y);
    const recoverSeconds = faultsClearedAt.map((T) => {
      // Acknowledgements resumed: the first PUBACK after the fault ended.
      const firstAck = ackTimes.find((a) => a >= T);
      // Storage caught up: the last of the messages acknowledged before the fault ended was stored.
      let lastStored = T;
      for (const a of acks) if (untilAllStored || a.a <= T) lastStored = Math.max(lastStored, storedAt.get(`${a.d}|${a.t}`) ?? T);
      return Math.round((Math.max(firstAck ?? T, lastStored) - T) / 100) / 10;
    });
    recoverSeconds.push(...this.recoverExtra);
    const mean = this.loads.length ? this.loads.reduce((a, b) => a + b, 0) / this.loads.length : this.loadBefore;
    const result: ScenarioResult = {
      scenario: this.name,
      title: this.title,
      when: new Date(this.t0).toISOString(),
      machine: {
        cores: cpus().length,
        cpu: cpus()[0]?.model ?? 'unknown',
        memGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
        node: process.version,
      },
      machineLoad: {
        before: round2(this.loadBefore),
        mean: round2(mean),
        max: round2(Math.max(this.loadBefore, ...this.loads)),
        after: round2(loadavg()[0]!),
      },
      settings: this.settings,
      load: counts,
      reconciliation: rec,
      recoverSeconds,
      timeToRecoverSeconds: recoverSeconds.length ? Math.max(...recoverSeconds) : 0,
      peakGatewayRssMiB: Math.round(this.peakGatewayRss / 2 ** 20),
      seconds: Math.round((Date.now() - this.t0) / 1000),
      extra: this.extra,
      notMeasured: this.notMeasured,
      events: this.events,
      passed: rec.lost === 0 && rec.duplicated === 0 && this.extra.passed !== false,
    };
    await mkdir(`${REPO_ROOT}bench/results`, { recursive: true });
    const stamp = new Date(this.t0).toISOString().replace(/[:.]/g, '-');
    await writeFile(`${REPO_ROOT}bench/results/chaos-${this.name}-${stamp}.json`, JSON.stringify(result, null, 2) + '\n');
    return result;
  }

  /** After a failure: SIGKILLs the scenario's services and load generator, stops sampling. */
  async abort(): Promise<void> {
    clearInterval(this.sampler);
    for (const name of this.procs.keys()) await this.kill(name);
    this.loadChild?.kill('SIGKILL');
  }

  /** Deletes the scenario's own topics (named with its prefix, created by `begin`). */
  private async deleteTopics(): Promise<void> {
    const admin = createKafka(this.suite.cfg.kafka, this.suite.log).admin();
    try {
      await admin.connect();
      const mine = (await admin.listTopics()).filter((t) => t.startsWith(this.prefix));
      if (mine.length) await admin.deleteTopics({ topics: mine });
    } catch {
      this.notMeasured.push('its topics could not be deleted');
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/**
 * The common shape of a scenario: gateway and writer up, steady load for `seconds`, `fault` running
 * alongside it (it returns the wall-clock ms at which each of its faults ended), then the drain and
 * the reconciliation.
 */
export async function underLoad(
  run: ScenarioRun,
  opts: { rate: number; seconds: number; creds?: string; backlogMinutes?: number; untilAllStored?: boolean },
  fault: (run: ScenarioRun) => Promise<number[]>,
): Promise<ScenarioResult> {
  try {
    await run.start('writer');
    await run.start('gateway');
    const load = run.load(opts);
    // The fault's clock starts once the devices are connected and publishing.
    await load.connected;
    run.mark('devices connected');
    const cleared = await fault(run);
    const counts = await load.done;
    run.mark(`load ended: offered ${counts.offered}, acknowledged ${counts.acked}, refused ${counts.refused}, failed ${counts.failed}`);
    await run.drain(counts.acked);
    return await run.finish(load, counts, cleared, opts.untilAllStored);
  } catch (err) {
    await run.abort();
    throw err;
  }
}

export { sleep, VALUES_PER_MESSAGE };
