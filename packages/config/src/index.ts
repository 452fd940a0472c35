import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { VocError, ERROR_CODES, formatIssues } from '@voc/domain';
import { resolveSecretFiles, weakSecrets } from './secrets.js';
import { DEFAULT_METHOD_SETTINGS as M } from '@voc/hotspot';
import { KAFKA_PRINCIPALS, kafkaSecretName, PG_ROLES, SERVICE_IDENTITIES, type KafkaPrincipal, type PgRoleKey } from './principals.js';
import { complianceConfig, hj212Config } from './hj212.js';
import { envSchema, type Env } from './env.js';
import type { Config, LoadConfigOptions } from './types.js';

/** Report thresholds: VOC_REPORT_THRESHOLDS per metric, else VOC_HOTSPOT_THRESHOLDS, each with its source. */
function reportThresholds(report: string, hotspot: string): Record<string, { value: number; source: string }> {
  const out: Record<string, { value: number; source: string }> = {};
  for (const [k, v] of Object.entries(parseThresholds(hotspot))) out[k] = { value: v, source: 'setting VOC_HOTSPOT_THRESHOLDS' };
  for (const [k, v] of Object.entries(parseThresholds(report, 'VOC_REPORT_THRESHOLDS')))
    out[k] = { value: v, source: 'setting VOC_REPORT_THRESHOLDS' };
  return out;
}

function parseThresholds(raw: string, name = 'VOC_HOTSPOT_THRESHOLDS'): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [k, v] = part.split('=');
    const n = Number(v);
    if (!k || !Number.isFinite(n)) throw new VocError(ERROR_CODES.config_invalid, `${name}: "${part}" is not metric=number`);
    out[k.trim()] = n;
  }
  return out;
}

function configError(lines: string[]): VocError {
  return new VocError(ERROR_CODES.config_invalid, `invalid configuration:\n  ${lines.join('\n  ')}`);
}

function readCa(file: string | undefined, problems: string[]): string | undefined {
  if (file === undefined || file === '') return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    problems.push(`VOC_KAFKA_CA_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    return undefined;
  }
}

/**
 * Parses the environment once and returns a frozen {@link Config} for one service. Every secret may
 * come from a file (`<NAME>_FILE`, see `SECRET_DEFAULTS`). Under `VOC_ENV=production` the secrets the
 * service uses must not be empty, the public development default or shorter than 16 characters;
 * `NODE_ENV=production` without `VOC_ENV` is refused (it must be chosen explicitly).
 * @param env defaults to `process.env`; tests pass their own object
 * @param opts.service whose database role, Kafka principal and secrets to use (default `admin`)
 * @throws VocError `VOC_ERR_CONFIG_INVALID` listing every bad variable at once (names, never secret values)
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, opts: LoadConfigOptions = {}): Config {
  const service = opts.service ?? 'admin';
  const identity = SERVICE_IDENTITIES[service];
  const resolved = resolveSecretFiles(env);
  const parsed = envSchema.safeParse(resolved.env);
  const problems = [...resolved.problems];
  if (!parsed.success) problems.push(...parsed.error.issues.map((i) => formatIssues([i], { root: '' })));
  if (!parsed.success) throw configError(problems);
  const e = parsed.data;
  // A deployment that says NODE_ENV=production without VOC_ENV would otherwise run with the development
  // secrets unchecked: it must say which it means.
  if (resolved.env.VOC_ENV === undefined && resolved.env.NODE_ENV === 'production')
    problems.push('VOC_ENV: not set while NODE_ENV=production; set VOC_ENV=production (secrets checked) or VOC_ENV=development explicitly');
  if (e.VOC_ENV === 'production') problems.push(...weakSecrets(e, identity.secrets));
  const ca = e.VOC_KAFKA_SECURITY === 'sasl_ssl' ? readCa(e.VOC_KAFKA_CA_FILE, problems) : undefined;
  if (!e.VOC_MQTT_TLS_CERT !== !e.VOC_MQTT_TLS_KEY)
    problems.push('VOC_MQTT_TLS_CERT and VOC_MQTT_TLS_KEY: set both (or both *_FILE) for the TLS listener, or neither');
  if (problems.length > 0) throw configError(problems);

  const logins = Object.fromEntries(
    (Object.keys(PG_ROLES) as PgRoleKey[]).map((k) => [k, { role: PG_ROLES[k].role, password: e[PG_ROLES[k].secret] }]),
  ) as Record<PgRoleKey, { role: string; password: string }>;
  const pgLogin =
    identity.pg === 'migration'
      ? { user: e.PGUSER, password: e.PGPASSWORD }
      : { user: logins[identity.pg].role, password: logins[identity.pg].password };
  const principals = Object.fromEntries(
    KAFKA_PRINCIPALS.map((p) => [p, e[`VOC_KAFKA_${p.toUpperCase()}_USERNAME` as keyof Env] as string]),
  ) as Record<KafkaPrincipal, string>;
  const cfg: Config = {
    env: e.VOC_ENV,
    service,
    logLevel: e.LOG_LEVEL,
    pg: { host: e.PGHOST, port: e.PGPORT, ...pgLogin, database: e.PGDATABASE, poolMax: e.VOC_PG_POOL_MAX, logins },
    kafka: {
      brokers: (e.VOC_KAFKA_BROKERS ?? `127.0.0.1:${e.VOC_KAFKA_PORT}`).split(',').map((s) => s.trim()),
      clientId: e.VOC_KAFKA_CLIENT_ID,
      topicPrefix: e.VOC_KAFKA_TOPIC_PREFIX,
      groupPrefix: e.VOC_KAFKA_GROUP_PREFIX,
      ssl: e.VOC_KAFKA_SECURITY === 'sasl_ssl' ? (ca === undefined ? {} : { ca }) : false,
      sasl: { mechanism: 'scram-sha-512', username: principals[identity.kafka], password: e[kafkaSecretName(identity.kafka)] ?? '' },
      principals,
    },
    mqtt: {
      url: e.VOC_MQTT_URL ?? `mqtt://127.0.0.1:${e.VOC_MQTT_PORT}`,
      host: e.VOC_MQTT_HOST,
      port: e.VOC_MQTT_PORT,
      ...(e.VOC_MQTT_TLS_CERT && e.VOC_MQTT_TLS_KEY
        ? {
            tls: {
              port: e.VOC_MQTT_TLS_PORT,
              cert: e.VOC_MQTT_TLS_CERT,
              key: e.VOC_MQTT_TLS_KEY,
              ...(e.VOC_MQTT_TLS_CA ? { ca: e.VOC_MQTT_TLS_CA } : {}),
            },
          }
        : {}),
      receiveMaximum: e.VOC_MQTT_RECEIVE_MAXIMUM,
      maxInflightBytes: e.VOC_MQTT_MAX_INFLIGHT_BYTES,
      maxConnections: e.VOC_MQTT_MAX_CONNECTIONS,
      maxConnectionsPerAddress: e.VOC_MQTT_MAX_CONNECTIONS_PER_ADDRESS,
      connectTimeoutMs: e.VOC_MQTT_CONNECT_TIMEOUT_MS,
      idleTimeoutMs: e.VOC_MQTT_IDLE_TIMEOUT_MS,
      serverKeepAliveSeconds: e.VOC_MQTT_SERVER_KEEP_ALIVE_S,
    },
    gatewayMetrics: { host: e.VOC_GATEWAY_METRICS_HOST, port: e.VOC_GATEWAY_METRICS_PORT },
    redis: { url: e.REDIS_URL ?? `redis://127.0.0.1:${e.VOC_REDIS_PORT}`, username: e.VOC_REDIS_USERNAME, password: e.VOC_REDIS_PASSWORD },
    ingest: {
      maxPayloadBytes: e.VOC_MAX_PAYLOAD_BYTES,
      allowedLatenessMs: e.VOC_ALLOWED_LATENESS_MS,
      maxClockSkewMs: e.VOC_MAX_CLOCK_SKEW_MS,
      earliestTimeMs: Date.parse(e.VOC_EARLIEST_READING_TIME),
      lingerMs: e.VOC_GATEWAY_LINGER_MS,
      maxBatch: e.VOC_GATEWAY_MAX_BATCH,
      deviceRefreshMs: e.VOC_DEVICE_REFRESH_MS,
      deviceFullRefreshMs: e.VOC_DEVICE_FULL_REFRESH_MS,
    },
    writer: {
      maxBatchRows: e.VOC_WRITER_MAX_BATCH_ROWS,
      retryMaxMs: e.VOC_WRITER_RETRY_MAX_MS,
      partitionsConsumedConcurrently: e.VOC_WRITER_PARTITIONS_CONCURRENTLY,
      sessionTimeoutMs: e.VOC_WRITER_SESSION_TIMEOUT_MS,
      heartbeatMs: Math.min(e.VOC_WRITER_HEARTBEAT_MS, Math.floor(e.VOC_WRITER_SESSION_TIMEOUT_MS / 3)),
    },
    hotspot: {
      resolution: e.VOC_HOTSPOT_RESOLUTION,
      windowMinutes: e.VOC_HOTSPOT_WINDOW_MINUTES,
      latenessMs: e.VOC_HOTSPOT_LATENESS_MS,
      reevaluateHours: e.VOC_HOTSPOT_REEVALUATE_HOURS,
      minReadings: e.VOC_HOTSPOT_MIN_READINGS,
      minVanPassReadings: e.VOC_HOTSPOT_MIN_VAN_PASS_READINGS,
      ratio: e.VOC_HOTSPOT_RATIO,
      robustZ: e.VOC_HOTSPOT_ROBUST_Z,
      vanMaxSpeedKmh: e.VOC_HOTSPOT_VAN_MAX_SPEED_KMH,
      openK: e.VOC_HOTSPOT_OPEN_K,
      openN: e.VOC_HOTSPOT_OPEN_N,
      clearN: e.VOC_HOTSPOT_CLEAR_N,
      metrics: e.VOC_HOTSPOT_METRICS.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      thresholds: parseThresholds(e.VOC_HOTSPOT_THRESHOLDS),
      minExcessFactor: e.VOC_HOTSPOT_MIN_EXCESS_FACTOR,
      uncertainty: { ...M.uncertainty, ...parseThresholds(e.VOC_HOTSPOT_UNCERTAINTY, 'VOC_HOTSPOT_UNCERTAINTY') },
      upperQuantile: e.VOC_HOTSPOT_UPPER_QUANTILE,
      meanTest: e.VOC_HOTSPOT_MEAN_TEST,
      temporalDays: e.VOC_HOTSPOT_TEMPORAL_DAYS,
      temporalMinDays: e.VOC_HOTSPOT_TEMPORAL_MIN_DAYS,
      temporalWindows: e.VOC_HOTSPOT_TEMPORAL_WINDOWS,
      temporalMinWindows: e.VOC_HOTSPOT_TEMPORAL_MIN_WINDOWS,
      regionalFraction: e.VOC_HOTSPOT_REGIONAL_FRACTION,
      regionalMinCells: e.VOC_HOTSPOT_REGIONAL_MIN_CELLS,
      suspectHigh: e.VOC_HOTSPOT_SUSPECT_HIGH,
      suspectWindows: e.VOC_HOTSPOT_SUSPECT_WINDOWS,
      plumeFluctuation: e.VOC_HOTSPOT_PLUME_FLUCTUATION,
      plumeMaxSpacingS: e.VOC_HOTSPOT_PLUME_MAX_SPACING_S,
      concurrency: e.VOC_HOTSPOT_CONCURRENCY,
      vanPassGapSeconds: e.VOC_HOTSPOT_VAN_PASS_GAP_S,
      windMaxKm: e.VOC_HOTSPOT_WIND_MAX_KM,
      calmWindMs: e.VOC_HOTSPOT_CALM_WIND_MS,
      candidateRing: e.VOC_HOTSPOT_CANDIDATE_RING,
      traceHours: e.VOC_HOTSPOT_TRACE_HOURS,
      plumeSpreadDeg: e.VOC_HOTSPOT_PLUME_SPREAD_DEG,
      distanceScaleM: e.VOC_HOTSPOT_DISTANCE_SCALE_M,
      rollupConnections: e.VOC_HOTSPOT_ROLLUP_CONNECTIONS,
      workMem: e.VOC_HOTSPOT_WORK_MEM,
      scheduler: e.VOC_HOTSPOT_SCHEDULER,
      queue: e.VOC_HOTSPOT_QUEUE,
      tickMs: e.VOC_HOTSPOT_TICK_MS,
      attempts: e.VOC_HOTSPOT_ATTEMPTS,
      backoffMs: e.VOC_HOTSPOT_BACKOFF_MS,
      lockDurationMs: e.VOC_HOTSPOT_LOCK_DURATION_MS,
      stalledIntervalMs: e.VOC_HOTSPOT_STALLED_INTERVAL_MS,
      orderWaitMs: e.VOC_HOTSPOT_ORDER_WAIT_MS,
      watermarkMarginMs: e.VOC_HOTSPOT_WATERMARK_MARGIN_MS,
      alertDispatchIntervalMs: e.VOC_ALERT_DISPATCH_INTERVAL_MS,
    },
    timescale: { compressAfter: e.VOC_TIMESCALE_COMPRESS_AFTER, retention: e.VOC_TIMESCALE_RETENTION },
    hj212: hj212Config(e),
    compliance: complianceConfig(e, problems),
    api: {
      host: e.VOC_API_HOST,
      port: e.VOC_API_PORT,
      publicUrl: e.VOC_API_PUBLIC_URL ?? `http://${e.VOC_API_HOST}:${e.VOC_API_PORT}`,
      statementTimeoutMs: e.VOC_API_STATEMENT_TIMEOUT_MS,
      rateLimit: e.VOC_API_RATE_LIMIT,
      rateWindowS: e.VOC_API_RATE_WINDOW_S,
      maxPage: e.VOC_API_MAX_PAGE,
      defaultPage: e.VOC_API_DEFAULT_PAGE,
      maxRangeDays: e.VOC_API_MAX_RANGE_DAYS,
      maxBuckets: e.VOC_API_MAX_BUCKETS,
      maxExportDays: e.VOC_API_MAX_EXPORT_DAYS,
      staleAfterS: e.VOC_API_STALE_AFTER_S,
      keyDefaultDays: e.VOC_API_KEY_DEFAULT_DAYS,
      instanceId:
        e.VOC_API_INSTANCE_ID ??
        `${hostname()
          .replace(/[^A-Za-z0-9._-]/g, '-')
          .slice(0, 80)}-${process.pid}`,
    },
    webhooks: {
      timeoutMs: e.VOC_WEBHOOK_TIMEOUT_MS,
      attempts: e.VOC_WEBHOOK_ATTEMPTS,
      backoffMs: e.VOC_WEBHOOK_BACKOFF_MS,
      disableAfter: e.VOC_WEBHOOK_DISABLE_AFTER,
      intervalMs: e.VOC_WEBHOOK_INTERVAL_MS,
      allowPrivate: e.VOC_WEBHOOK_ALLOW_PRIVATE,
    },
    metrics: { writerPort: e.VOC_WRITER_METRICS_PORT, hotspotPort: e.VOC_HOTSPOT_METRICS_PORT },
    reports: {
      thresholds: reportThresholds(e.VOC_REPORT_THRESHOLDS, e.VOC_HOTSPOT_THRESHOLDS),
      taskDueHours: e.VOC_REPORT_TASK_DUE_HOURS,
      timeZone: e.VOC_REPORT_TIMEZONE,
    },
  };
  if (problems.length > 0) throw configError(problems);
  return deepFreeze(cfg);
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

export { envSchema, type Env } from './env.js';
export type { Config, KafkaSasl, LoadConfigOptions } from './types.js';

export { createLogger } from './logger.js';
export { SECRET_DEFAULTS, MIN_PRODUCTION_SECRET_LENGTH, type SecretName } from './secrets.js';
export {
  SERVICES,
  SERVICE_IDENTITIES,
  KAFKA_PRINCIPALS,
  PG_ROLES,
  type ServiceName,
  type KafkaPrincipal,
  type PgRoleKey,
  type ServiceIdentity,
} from './principals.js';
export { installShutdown } from './shutdown.js';
export { listenErrorMessage, listenOn } from './listen.js';
export type { ComplianceConfig, Hj212Config } from './hj212.js';
