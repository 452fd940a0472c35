import { mkdir, readFile } from 'node:fs/promises';
import mqtt from 'mqtt';
import { createLogger, loadConfig, type Config } from '@voc/config';
import { ApiKeyRepository, createPool, DeviceRepository, type Pool } from '@voc/db';
import { createKafka, ensureAcls, ensureTopics, kafkaAcls, topicNames } from '@voc/messaging';
import { commandArgs as args, mergeCredentialsFile, parseDeviceFile, runDemoHotspots, type Command } from '@voc/cli';
import { createApiKey, createProvisioning } from '@voc/core';
import { NO_FIXED_METRICS_PORTS, REPO_ROOT, startService, type ServiceProcess } from '../spawn.js';
import { replayDeps } from '../replay/adapters.js';
import { replay, type ReplayResult } from '../replay/engine.js';
import { barProgress, lineProgress } from '../replay/progress.js';
import { runSimulatedDemo } from '../detection/demo.js';

const ROOT = REPO_ROOT;

/**
 * Allowed lateness the demo gives its gateway: the replayed data sets are from 2004, 2017 and 2019,
 * so the production default (7 days) would refuse them all as too old. 30 years, in ms.
 */
export const DEMO_ALLOWED_LATENESS_MS = 30 * 365 * 24 * 3600 * 1000;

/**
 * Plausibility floor the demo gives its gateway (VOC_EARLIEST_READING_TIME): the UCI multisensor
 * readings are from March 2004 to April 2005, before the production default (2013-01-01, the start
 * of the Beijing station archive) that refuses reset device clocks.
 */
export const DEMO_EARLIEST_READING_TIME = '2004-01-01T00:00:00Z';

/** A started service process and a promise of its first log line carrying `msg`. */

/** Values a dead letter stands for: the whole payload, one reading of it, or one value (by its `path`). */
export function rejectedValues(payload: Buffer, path: string | null): number {
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString('utf8'));
  } catch {
    return 0;
  }
  const readings: { values?: unknown[] }[] = Array.isArray((doc as { readings?: unknown[] }).readings)
    ? (doc as { readings: { values?: unknown[] }[] }).readings
    : [doc as { values?: unknown[] }];
  if (path && /values\[\d+\]$/.test(path)) return 1;
  const m = path ? /^readings\[(\d+)\]$/.exec(path) : null;
  if (m) return readings[Number(m[1])]?.values?.length ?? 0;
  return readings.reduce((n, r) => n + (Array.isArray(r.values) ? r.values.length : 0), 0);
}

/** Percentile (nearest rank) of a sorted array. */
function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

async function storedCount(pool: Pool): Promise<number> {
  return (await pool.query<{ n: number }>('select count(*)::int as n from readings')).rows[0]!.n;
}

async function latencies(pool: Pool, r: ReplayResult): Promise<number[]> {
  const { rows } = await pool.query<{ device_id: string; t: number; s: number }>(
    `select device_id, (extract(epoch from time) * 1000)::float8 as t, (extract(epoch from min(stored_at)) * 1000)::float8 as s
     from readings group by device_id, time`,
  );
  const out: number[] = [];
  for (const row of rows) {
    const pub = r.publishedAt.get(row.device_id)?.get(Math.round(row.t));
    if (pub !== undefined) out.push(row.s - pub);
  }
  return out.sort((a, b) => a - b);
}

/**
 * Deliberately bad messages the demo sends from an authenticated device after the replay, to show each
 * ending on the dead-letter topic with its reason (the real data carry no such faults). Each entry:
 * expected reason, payload.
 */
export const DRILL: readonly (readonly [string, string])[] = [
  ['malformed_json', '{"ts": "2024-01-01T00:00:00Z", "values": [ {"metric": "tvoc", '],
  ['schema_violation', JSON.stringify({ ts: '2024-01-01T00:00:00Z', values: [{ metric: 'tvoc', value: true, unit: 'ppb' }] })],
  ['non_finite_value', JSON.stringify({ ts: '2024-01-01T00:00:00Z', values: [{ metric: 'benzene', value: 'NaN', unit: 'ug/m3' }] })],
  ['value_out_of_range', JSON.stringify({ ts: '2024-01-01T00:00:00Z', values: [{ metric: 'rh', value: 140, unit: '%' }] })],
  ['unit_not_convertible', JSON.stringify({ ts: '2024-01-01T00:00:00Z', values: [{ metric: 'nmhc', value: 12, unit: 'ppb' }] })],
  ['timestamp_in_future', JSON.stringify({ ts: '2999-01-01T00:00:00Z', values: [{ metric: 'benzene', value: 1, unit: 'ug/m3' }] })],
  [
    'device_id_mismatch',
    JSON.stringify({ deviceId: 'someone-else', ts: '2024-01-01T00:00:00Z', values: [{ metric: 'benzene', value: 1, unit: 'ug/m3' }] }),
  ],
];

async function badInputDrill(
  pool: Pool,
  cfg: Config,
  cred: { username: string; password: string; topic: string } | undefined,
): Promise<{ ok: boolean; text: string }> {
  if (!cred) return { ok: false, text: 'bad-input drill skipped: no credentials for uci-mos-01\n' };
  const since = new Date();
  const client = await mqtt.connectAsync(cfg.mqtt.url, {
    username: cred.username,
    password: cred.password,
    protocolVersion: 5,
    clientId: `demo-drill-${Date.now()}`,
  });
  for (const [, payload] of DRILL) await client.publishAsync(cred.topic, payload, { qos: 1 });
  await client.endAsync();
  let rows: { reason: string }[] = [];
  for (let i = 0; i < 60 && rows.length < DRILL.length; i++) {
    await new Promise((r) => setTimeout(r, 500));
    rows = (
      await pool.query<{ reason: string }>('select reason from dead_letters where device_id = $1 and received_at >= $2 order by id', [
        cred.username,
        since,
      ])
    ).rows;
  }
  const got = rows.map((r) => r.reason).sort();
  const want = DRILL.map(([r]) => r).sort();
  const ok = JSON.stringify(got) === JSON.stringify(want);
  return {
    ok,
    text: `bad-input drill: ${DRILL.length} deliberately bad messages from uci-mos-01 -> ${rows.length} dead letters (${got.join(', ')})${ok ? '' : `; expected ${want.join(', ')}`}\n`,
  };
}

/**
 * Starts the HTTP API on the demo database and prints its URL and a ready-made admin key (shown once,
 * stored hashed; `voc keys revoke <prefix>` ends it).
 */
async function startApi(cfg: Config, pool: Pool, env: Record<string, string>): Promise<ServiceProcess> {
  const api = startService('api', 'services/api/dist/main.js', {
    env,
    readyMsg: 'HTTP API listening',
    logFile: `${ROOT}.cache/demo/api.log`,
  });
  await api.ready;
  const { key, record } = await createApiKey(
    new ApiKeyRepository(pool),
    { role: 'admin', label: 'demo', team: 'demo', createdBy: 'voc demo', expiresAt: new Date(Date.now() + 7 * 86_400_000).toISOString() },
    Date.now(),
    7,
  );
  const url = cfg.api.publicUrl;
  process.stdout.write(
    [
      `HTTP API:   ${url}  (browse ${url}/docs; log in .cache/demo/api.log)`,
      `API key:    ${key}  (admin, expires ${record.expiresAt}; shown once)`,
      `try:        curl -H "Authorization: Bearer ${key}" "${url}/v1/devices?limit=5"`,
      `alerts:     curl -N -H "Authorization: Bearer ${key}" ${url}/v1/alerts/stream`,
      '',
    ].join('\n'),
  );
  return api;
}

/** Publishes, waits for storage and prints the demo summary. @returns exit code */
async function runDemo(cfg: Config, dataDir: string, speed: number, serve: boolean): Promise<number> {
  const log = createLogger('demo', 'error');
  const pool = createPool(cfg.pg, log, 'voc-demo');
  const services: ServiceProcess[] = [];
  try {
    const topics = topicNames(cfg.kafka.topicPrefix);
    const admin = createKafka(cfg.kafka, log).admin();
    await admin.connect();
    const stale = (await admin.listTopics()).filter((t) => Object.values(topics).includes(t));
    if (stale.length > 0) await admin.deleteTopics({ topics: stale, timeout: 30_000 });
    for (let i = 0; i < 50 && (await admin.listTopics()).some((t) => stale.includes(t)); i++) await new Promise((r) => setTimeout(r, 200));
    await ensureTopics(admin, topics);
    await admin.disconnect();

    const text = await readFile(`${dataDir}/devices.csv`, 'utf8');
    const parsed = parseDeviceFile(text, 'csv');
    if (!parsed.ok) throw new Error(`${dataDir}/devices.csv: ${parsed.errors.map((e) => `line ${e.line}: ${e.message}`).join('; ')}`);
    const credPath = `${ROOT}.cache/demo/credentials.json`;
    await mkdir(`${ROOT}.cache/demo`, { recursive: true });
    const provisioning = createProvisioning({ registry: new DeviceRepository(pool) });
    const reg = await provisioning.register(parsed.devices, {
      rotate: true,
      deliver: async (issued) => void (await mergeCredentialsFile(credPath, issued)),
    });
    process.stdout.write(
      `devices: ${parsed.devices.length} registered from ${dataDir}/devices.csv, credentials in .cache/demo/credentials.json\n`,
    );
    const run = Date.now().toString(36);
    const env = {
      PGDATABASE: cfg.pg.database,
      VOC_KAFKA_TOPIC_PREFIX: cfg.kafka.topicPrefix,
      VOC_KAFKA_GROUP_PREFIX: `${cfg.kafka.groupPrefix}${run}.`,
      VOC_ALLOWED_LATENESS_MS: String(DEMO_ALLOWED_LATENESS_MS),
      VOC_EARLIEST_READING_TIME: DEMO_EARLIEST_READING_TIME,
      ...NO_FIXED_METRICS_PORTS,
      LOG_LEVEL: 'info',
    };
    // The services run as their own Kafka principals: ACLs for this run's consumer groups.
    const aclAdmin = createKafka(cfg.kafka, log).admin();
    await aclAdmin.connect();
    await ensureAcls(aclAdmin, kafkaAcls(topics, env.VOC_KAFKA_GROUP_PREFIX), cfg.kafka.principals).finally(() => aclAdmin.disconnect());
    services.push(
      startService('gateway', 'services/gateway/dist/main.js', {
        env,
        readyMsg: 'gateway ready',
        logFile: `${ROOT}.cache/demo/gateway.log`,
      }),
    );
    services.push(
      startService('writer', 'services/writer/dist/main.js', { env, readyMsg: 'writer started', logFile: `${ROOT}.cache/demo/writer.log` }),
    );
    await Promise.all(services.map((s) => s.ready));
    process.stdout.write('services: gateway and stream writer running (logs in .cache/demo/)\n');
    const api = await startApi(cfg, pool, env);

    const before = await storedCount(pool);
    const result = await replay(
      { sources: ['beijing', 'uci', 'mobile'], credentials: reg.issued, speed },
      { ...replayDeps(dataDir, cfg.mqtt.url), progress: process.stderr.isTTY ? barProgress() : lineProgress() },
    );
    const published = Object.values(result.sources).reduce((a, s) => ({ m: a.m + s.messages, r: a.r + s.readings, v: a.v + s.values }), {
      m: 0,
      r: 0,
      v: 0,
    });

    // Wait until every published value is stored or dead-lettered (or nothing moved for 20 s).
    // Only letters of the demo devices: a broker shared with other clients may carry foreign traffic.
    const ids = parsed.devices.map((d) => d.id);
    let stored = 0;
    let rejected = 0;
    let lastChange = Date.now();
    let lastSeen = -1;
    for (;;) {
      stored = (await storedCount(pool)) - before;
      const letters = await pool.query<{ payload: Buffer; path: string | null }>(
        'select payload, path from dead_letters where device_id = any($1)',
        [ids],
      );
      rejected = letters.rows.reduce((n, l) => n + rejectedValues(l.payload, l.path), 0);
      if (stored + rejected >= published.v) break;
      if (stored + rejected !== lastSeen) {
        lastSeen = stored + rejected;
        lastChange = Date.now();
      }
      if (Date.now() - lastChange > 20_000) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const reasons = (
      await pool.query<{ reason: string; stage: string; count: number }>(
        'select reason, stage, count(*)::int as count from dead_letters where device_id = any($1) group by 1, 2 order by 3 desc, 1',
        [ids],
      )
    ).rows;
    const lat = await latencies(pool, result);
    const unexplained = published.v - stored - rejected;
    const sec = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
    const lines = [
      '',
      '== Ingest summary ==',
      `published   ${published.m} MQTT messages, ${published.r} readings, ${published.v} values (${Object.entries(result.sources)
        .map(([k, s]) => `${k} ${s.values}`)
        .join(', ')})`,
      `stored      ${stored} values in table readings`,
      `rejected    ${rejected} values in ${reasons.reduce((n, r) => n + r.count, 0)} dead letters${reasons.length ? ':' : ''}`,
      ...reasons.map((r) => `              ${r.reason.padEnd(26)} ${r.count} (${r.stage})`),
      `unexplained ${unexplained} values${unexplained === 0 ? '' : '  <-- published but neither stored nor dead-lettered'}`,
      `latency     publish-to-stored p50 ${sec(pct(lat, 0.5))}, p99 ${sec(pct(lat, 0.99))} over ${lat.length} readings`,
      `failed      ${Object.values(result.sources).reduce((n, s) => n + s.failedMessages, 0)} MQTT messages without PUBACK`,
      '',
    ];
    process.stdout.write(lines.join('\n'));
    const drill = await badInputDrill(pool, cfg, reg.issued['uci-mos-01']);
    process.stdout.write(drill.text);
    await Promise.all(services.map((svc) => svc.stop()));
    process.stdout.write("\n== Hotspot grid over the replayed data (alerts appear on the API's SSE stream) ==\n");
    const hotspots = await runDemoHotspots(dataDir);
    process.stdout.write('\n== SIMULATED Xicheng scenario (simulated devices, sources and readings; real weather) ==\n');
    process.stdout.write(await runSimulatedDemo(pool, cfg));
    if (serve) {
      process.stdout.write(`\nThe HTTP API stays up at ${cfg.api.publicUrl} until Ctrl-C.\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
    }
    await api.stop();
    return unexplained === 0 && drill.ok && hotspots === 0 ? 0 : 1;
  } finally {
    await Promise.all(services.map((svc) => svc.stop()));
    await pool.end();
  }
}

/** `voc demo`: the end-to-end run on the committed real-data slice (see README). */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'replay the real-data slice through MQTT, Kafka and the database and print a summary',
  usage: `voc demo [--data data/demo] [--speed 100000] [--serve]

  Expects the stack up and the schema migrated (npm run demo does both). Deletes and recreates the
  Kafka topics of its prefix (VOC_KAFKA_TOPIC_PREFIX, "demo." under npm run demo), registers the demo
  devices with fresh credentials, starts the gateway and the stream writer, replays every source at
  --speed times real time, waits until each published value is stored or dead-lettered and prints
  published, stored, rejected by reason and publish-to-stored latency p50/p99. The HTTP API runs
  throughout (its URL and a ready-made admin key are printed); --serve keeps it up after the summary
  until Ctrl-C.`,
  async run(argv) {
    const { values } = args(argv, { data: { type: 'string' }, speed: { type: 'string' }, serve: { type: 'boolean' } }, 0);
    const cfg = loadConfig();
    const speed = Number(values.speed ?? 100000);
    return runDemo(cfg, (values.data as string | undefined) ?? `${ROOT}data/demo`, speed, values.serve === true);
  },
};
