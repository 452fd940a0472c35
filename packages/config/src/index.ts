import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { z } from 'zod';
import { VocError, ERROR_CODES, formatIssues } from '@voc/domain';
import { DEFAULT_METHOD_SETTINGS as M, DEFAULT_TRACE_SETTINGS as T } from '@voc/hotspot';
import { resolveSecretFiles, SECRET_DEFAULTS, weakSecrets, type SecretName } from './secrets.js';
import {
  KAFKA_PRINCIPALS,
  kafkaSecretName,
  PG_ROLES,
  SERVICE_IDENTITIES,
  type KafkaPrincipal,
  type PgRoleKey,
  type ServiceName,
} from './principals.js';
import { COMPLIANCE_ENV, complianceConfig, HJ212_ENV, hj212Config, type ComplianceConfig, type Hj212Config } from './hj212.js';

// The hotspot method's defaults have one home, `@voc/hotspot` settings.ts; the variables below only name them.

/**
 * A numeric variable as it comes from the environment: a string. A blank one is refused rather than
 * coerced (`Number('')` is 0, which would turn `VOC_ALLOWED_LATENESS_MS=` into "reject everything").
 */
const notBlank = z.string().refine((s) => s.trim() !== '', 'is empty; unset the variable to use its default');
const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  notBlank.pipe(z.coerce.number<string>().int().min(min).max(max)).default(def);
const num = (def: number, min = 0) => notBlank.pipe(z.coerce.number<string>().min(min)).default(def);
const bool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

/**
 * Every environment variable the system reads, with its default. The README's "Settings" table is
 * this schema. Durations are in milliseconds unless the name says otherwise.
 */
const secret = (name: SecretName) => z.string().default(SECRET_DEFAULTS[name]);
const kafkaUser = (p: KafkaPrincipal) => z.string().min(1).default(`voc-${p}`);
/** A URL that must not carry credentials (connection URLs end up in logs and error messages). */
const credentialFree = (u: string) => !URL.canParse(u) || (new URL(u).username === '' && new URL(u).password === '');

const envSchema = z.object({
  /** `production` refuses default, empty or weak secrets (SECURITY.md). */
  VOC_ENV: z.enum(['development', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PGHOST: z.string().default('127.0.0.1'),
  PGPORT: int(5432, 1, 65535),
  PGUSER: z.string().default('postgres'),
  PGPASSWORD: z.string().optional(),
  VOC_PG_GATEWAY_PASSWORD: secret('VOC_PG_GATEWAY_PASSWORD'),
  VOC_PG_WRITER_PASSWORD: secret('VOC_PG_WRITER_PASSWORD'),
  VOC_PG_HOTSPOT_PASSWORD: secret('VOC_PG_HOTSPOT_PASSWORD'),
  VOC_PG_ADMIN_PASSWORD: secret('VOC_PG_ADMIN_PASSWORD'),
  VOC_PG_HJ212_PASSWORD: secret('VOC_PG_HJ212_PASSWORD'),
  VOC_PG_COMPLIANCE_PASSWORD: secret('VOC_PG_COMPLIANCE_PASSWORD'),
  VOC_PG_API_PASSWORD: secret('VOC_PG_API_PASSWORD'),
  PGDATABASE: z.string().default('voc'),
  VOC_PG_POOL_MAX: int(8, 1),
  VOC_KAFKA_BROKERS: z.string().default('127.0.0.1:9092'),
  VOC_KAFKA_CLIENT_ID: z.string().default('voc'),
  VOC_KAFKA_TOPIC_PREFIX: z.string().default(''),
  VOC_KAFKA_GROUP_PREFIX: z.string().default(''),
  /** `sasl_ssl` adds TLS to the SCRAM-SHA-512 connection; `VOC_KAFKA_CA_FILE` (PEM) replaces the system CAs. */
  VOC_KAFKA_SECURITY: z.enum(['sasl_plaintext', 'sasl_ssl']).default('sasl_plaintext'),
  VOC_KAFKA_CA_FILE: z.string().optional(),
  VOC_KAFKA_ADMIN_USERNAME: kafkaUser('admin'),
  VOC_KAFKA_GATEWAY_USERNAME: kafkaUser('gateway'),
  VOC_KAFKA_WRITER_USERNAME: kafkaUser('writer'),
  VOC_KAFKA_DEADLETTERS_USERNAME: kafkaUser('deadletters'),
  VOC_KAFKA_HOTSPOT_USERNAME: kafkaUser('hotspot'),
  VOC_KAFKA_API_USERNAME: kafkaUser('api'),
  VOC_KAFKA_HJ212_USERNAME: kafkaUser('hj212'),
  VOC_KAFKA_ADMIN_PASSWORD: secret('VOC_KAFKA_ADMIN_PASSWORD'),
  VOC_KAFKA_GATEWAY_PASSWORD: secret('VOC_KAFKA_GATEWAY_PASSWORD'),
  VOC_KAFKA_WRITER_PASSWORD: secret('VOC_KAFKA_WRITER_PASSWORD'),
  VOC_KAFKA_DEADLETTERS_PASSWORD: secret('VOC_KAFKA_DEADLETTERS_PASSWORD'),
  VOC_KAFKA_HOTSPOT_PASSWORD: secret('VOC_KAFKA_HOTSPOT_PASSWORD'),
  VOC_KAFKA_API_PASSWORD: secret('VOC_KAFKA_API_PASSWORD'),
  VOC_KAFKA_HJ212_PASSWORD: secret('VOC_KAFKA_HJ212_PASSWORD'),
  /** Where the load generator, replay and demo connect as devices: the gateway's endpoint (default its TCP port). */
  VOC_MQTT_URL: z
    .string()
    .refine((u) => /^(mqtts?|wss?):\/\/[^/]/.test(u) && URL.canParse(u), 'must be a URL such as mqtt://host:1884 (mqtt, mqtts, ws or wss)')
    .refine(credentialFree, 'must not hold credentials (the URL is logged): devices authenticate with their own user name and password')
    .optional(),
  /** The gateway's device endpoint: interface, TCP port, TLS port (used when a certificate and key are set). */
  VOC_MQTT_HOST: z.string().min(1).default('127.0.0.1'),
  VOC_MQTT_PORT: int(1884, 0, 65535),
  VOC_MQTT_TLS_PORT: int(8884, 0, 65535),
  /** PEM text of the TLS certificate chain, key and (optional) client CA; `*_FILE` gives a path instead. */
  VOC_MQTT_TLS_CERT: z.string().optional(),
  VOC_MQTT_TLS_KEY: z.string().optional(),
  VOC_MQTT_TLS_CA: z.string().optional(),
  // MQTT 5 §3.2.2.3.3: Receive Maximum is a two-byte integer.
  VOC_MQTT_RECEIVE_MAXIMUM: int(64, 1, 65535),
  VOC_MQTT_MAX_INFLIGHT_BYTES: int(64 * 1024 * 1024, 64 * 1024),
  VOC_MQTT_MAX_CONNECTIONS: int(10_000, 1),
  VOC_MQTT_MAX_CONNECTIONS_PER_ADDRESS: int(1_000, 1),
  VOC_MQTT_CONNECT_TIMEOUT_MS: int(5_000, 100),
  VOC_MQTT_IDLE_TIMEOUT_MS: int(15 * 60_000, 0),
  VOC_MQTT_SERVER_KEEP_ALIVE_S: int(0, 0, 65535),
  /** Port of the gateway's Prometheus `/metrics` (0: a free port, logged at start). */
  VOC_GATEWAY_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  VOC_GATEWAY_METRICS_PORT: int(9464, 0, 65535),
  /** Port of the project's own Redis (stack.sh); the default of REDIS_URL. Never the machine's shared 6379. */
  VOC_REDIS_PORT: int(6380, 1, 65535),
  REDIS_URL: z
    .string()
    .refine((u) => /^rediss?:\/\/[^/]/.test(u) && URL.canParse(u), 'must be a URL such as redis://host:6380 (redis or rediss)')
    .refine(credentialFree, 'must not hold credentials (the URL is logged): use VOC_REDIS_USERNAME and VOC_REDIS_PASSWORD')
    .optional(),
  VOC_REDIS_USERNAME: z.string().min(1).default('voc-bullmq'),
  VOC_REDIS_PASSWORD: secret('VOC_REDIS_PASSWORD'),
  VOC_MAX_PAYLOAD_BYTES: int(256 * 1024, 64),
  VOC_ALLOWED_LATENESS_MS: int(7 * 24 * 3600 * 1000),
  VOC_MAX_CLOCK_SKEW_MS: int(5 * 60 * 1000),
  VOC_GATEWAY_LINGER_MS: int(5),
  VOC_GATEWAY_MAX_BATCH: int(2000, 1),
  /** Period of the gateway's device-directory refresh (changes since the last read), ms. */
  VOC_DEVICE_REFRESH_MS: int(2000, 100),
  /** Period of its full re-read (catches deleted rows), ms. */
  VOC_DEVICE_FULL_REFRESH_MS: int(300_000, 1000),
  VOC_WRITER_MAX_BATCH_ROWS: int(20000, 1),
  VOC_WRITER_RETRY_MAX_MS: int(30000, 100),
  VOC_WRITER_PARTITIONS_CONCURRENTLY: int(3, 1),
  VOC_WRITER_SESSION_TIMEOUT_MS: int(10000, 6000),
  VOC_WRITER_HEARTBEAT_MS: int(1000, 100),
  VOC_HOTSPOT_RESOLUTION: int(M.resolution, 7).pipe(z.number().max(10)),
  VOC_HOTSPOT_WINDOW_MINUTES: int(M.windowMinutes, 1),
  VOC_HOTSPOT_LATENESS_MS: int(10 * 60 * 1000),
  VOC_HOTSPOT_REEVALUATE_HOURS: int(48, 0),
  VOC_HOTSPOT_MIN_READINGS: int(M.minReadings, 1),
  VOC_HOTSPOT_MIN_VAN_PASS_READINGS: int(M.minVanPassReadings, 1),
  VOC_HOTSPOT_RATIO: num(M.ratio),
  VOC_HOTSPOT_ROBUST_Z: num(M.robustZ),
  VOC_HOTSPOT_VAN_MAX_SPEED_KMH: num(M.vanMaxSpeedKmh),
  VOC_HOTSPOT_OPEN_K: int(M.openK, 1),
  VOC_HOTSPOT_OPEN_N: int(M.openN, 1),
  VOC_HOTSPOT_CLEAR_N: int(M.clearN, 1),
  VOC_HOTSPOT_METRICS: z.string().default('tvoc,voc_index,benzene,toluene,xylene,nmhc,pm25'),
  VOC_HOTSPOT_THRESHOLDS: z.string().default(''),
  VOC_HOTSPOT_MIN_EXCESS_FACTOR: num(M.minExcessFactor),
  VOC_HOTSPOT_UNCERTAINTY: z.string().default(''),
  VOC_HOTSPOT_UPPER_QUANTILE: bool(M.upperQuantile),
  VOC_HOTSPOT_TEMPORAL_DAYS: int(M.temporalDays, 1),
  VOC_HOTSPOT_TEMPORAL_MIN_DAYS: int(M.temporalMinDays, 1),
  VOC_HOTSPOT_TEMPORAL_WINDOWS: int(M.temporalWindows, 1),
  VOC_HOTSPOT_TEMPORAL_MIN_WINDOWS: int(M.temporalMinWindows, 1),
  VOC_HOTSPOT_REGIONAL_FRACTION: num(M.regionalFraction),
  VOC_HOTSPOT_REGIONAL_MIN_CELLS: int(M.regionalMinCells, 1),
  VOC_HOTSPOT_SUSPECT_HIGH: int(M.suspectHigh, 1),
  VOC_HOTSPOT_SUSPECT_WINDOWS: int(M.suspectWindows, 1),
  VOC_EARLIEST_READING_TIME: z
    .string()
    .default('2013-01-01T00:00:00Z') // @voc/ingest DEFAULT_EARLIEST_TIME_MS
    .refine((v) => Number.isFinite(Date.parse(v)), 'must be an ISO 8601 time such as 2013-01-01T00:00:00Z'),
  VOC_HOTSPOT_CONCURRENCY: int(2, 1),
  VOC_HOTSPOT_VAN_PASS_GAP_S: int(M.vanPassGapSeconds, 1),
  VOC_HOTSPOT_WIND_MAX_KM: num(T.windMaxKm),
  VOC_HOTSPOT_CALM_WIND_MS: num(T.calmWindMs),
  VOC_HOTSPOT_CANDIDATE_RING: int(T.candidateRing, 0).pipe(z.number().max(3)),
  VOC_HOTSPOT_TRACE_HOURS: int(T.traceHours, 0),
  VOC_HOTSPOT_PLUME_SPREAD_DEG: num(T.plumeSpreadDeg),
  VOC_HOTSPOT_DISTANCE_SCALE_M: num(T.distanceScaleM),
  VOC_HOTSPOT_SCHEDULER: bool(true),
  VOC_HOTSPOT_ROLLUP_CONNECTIONS: int(1, 1),
  VOC_HOTSPOT_WORK_MEM: z
    .string()
    .regex(/^\d+\s*(kB|MB|GB)$/)
    .default('128MB'),
  VOC_HOTSPOT_QUEUE: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/)
    .default('voc-hotspot'),
  VOC_HOTSPOT_TICK_MS: int(60_000, 1000),
  VOC_HOTSPOT_ATTEMPTS: int(10, 1),
  VOC_HOTSPOT_BACKOFF_MS: int(5000, 100),
  VOC_HOTSPOT_LOCK_DURATION_MS: int(60_000, 1000),
  VOC_HOTSPOT_STALLED_INTERVAL_MS: int(30_000, 500),
  VOC_HOTSPOT_ORDER_WAIT_MS: int(10 * 60 * 1000),
  VOC_HOTSPOT_WATERMARK_MARGIN_MS: int(60_000),
  VOC_ALERT_DISPATCH_INTERVAL_MS: int(1000, 50),
  VOC_API_HOST: z.string().default('127.0.0.1'),
  VOC_API_PORT: int(3000, 0, 65535),
  /** Public base URL of the API as clients reach it (printed by the demo); default http://VOC_API_HOST:VOC_API_PORT. */
  VOC_API_PUBLIC_URL: z.string().optional(),
  VOC_API_STATEMENT_TIMEOUT_MS: int(5000, 100),
  VOC_API_RATE_LIMIT: int(600, 1),
  VOC_API_RATE_WINDOW_S: int(60, 1),
  VOC_API_MAX_PAGE: int(10_000, 1),
  VOC_API_DEFAULT_PAGE: int(1000, 1),
  VOC_API_MAX_RANGE_DAYS: int(31, 1),
  VOC_API_MAX_BUCKETS: int(10_000, 1),
  VOC_API_MAX_EXPORT_DAYS: int(400, 1),
  VOC_API_STALE_AFTER_S: int(900, 1),
  VOC_API_KEY_DEFAULT_DAYS: int(365, 1),
  /**
   * Id of this API instance, unique among the running ones: its alert stream consumes in the group
   * `voc-api-alerts.<id>` of its own, so every instance sees every alert. Default `<host name>-<pid>`.
   */
  VOC_API_INSTANCE_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,100}$/, 'letters, digits, ".", "_" or "-", at most 100')
    .optional(),
  /** Street-office reports: exceedance thresholds (`metric=value`, canonical unit); empty: VOC_HOTSPOT_THRESHOLDS. */
  VOC_REPORT_THRESHOLDS: z.string().default(''),
  /** Street-office reports: a task not closed within this many hours of opening counts as overdue. */
  VOC_REPORT_TASK_DUE_HOURS: num(72, 0.1),
  /** Street-office reports: IANA time zone of day/week/month periods (the reference deployment is in Beijing). */
  VOC_REPORT_TIMEZONE: z
    .string()
    .regex(/^[A-Za-z_]+(\/[A-Za-z_+-]+)*$/, 'is not an IANA time zone')
    .default('Asia/Shanghai'),
  VOC_WEBHOOK_TIMEOUT_MS: int(5000, 100),
  VOC_WEBHOOK_ATTEMPTS: int(6, 1),
  VOC_WEBHOOK_BACKOFF_MS: int(1000, 10),
  VOC_WEBHOOK_DISABLE_AFTER: int(20, 1),
  VOC_WEBHOOK_INTERVAL_MS: int(1000, 50),
  /** Prometheus /metrics port of the stream writer and of the hotspot worker (0: none). */
  VOC_WRITER_METRICS_PORT: int(0, 0, 65535),
  VOC_HOTSPOT_METRICS_PORT: int(0, 0, 65535),
  VOC_TIMESCALE_COMPRESS_AFTER: z.string().default('7 days'),
  VOC_TIMESCALE_RETENTION: z.string().default('400 days'),
  ...HJ212_ENV,
  ...COMPLIANCE_ENV,
});

/** Parsed environment: the flat form, for the few tools that print settings. */
export type Env = z.infer<typeof envSchema>;

/** Configuration, nested by concern, frozen. Build it once in a composition root with {@link loadConfig}. */
export interface Config {
  /** `production`: the secrets this service uses were checked at load (none default, empty or weak). */
  readonly env: Env['VOC_ENV'];
  /** The service this configuration was loaded for; it chose `pg.user`, `kafka.sasl` and the checked secrets. */
  readonly service: ServiceName;
  readonly logLevel: Env['LOG_LEVEL'];
  /**
   * `user`/`password`: the service's own role (`PGUSER`/`PGPASSWORD` for `admin`, the migration role).
   * `logins`: every service role with its password, which `voc setup` gives LOGIN.
   */
  readonly pg: {
    host: string;
    port: number;
    user: string;
    password?: string;
    database: string;
    poolMax: number;
    logins: Record<PgRoleKey, { role: string; password: string }>;
  };
  /**
   * `topicPrefix`/`groupPrefix` are prepended to every catalogue topic and consumer group (tests, benchmarks, side-by-side deployments).
   * `sasl`: this service's SCRAM-SHA-512 principal; `principals`: every principal's user name (for ACLs);
   * `ssl`: TLS on (with an optional CA in PEM) or off.
   */
  readonly kafka: {
    brokers: string[];
    clientId: string;
    topicPrefix: string;
    groupPrefix: string;
    ssl: false | { ca?: string };
    sasl: KafkaSasl;
    principals: Record<KafkaPrincipal, string>;
  };
  /**
   * The gateway's device endpoint (packages/mqtt-server). `url`: where device clients (load generator,
   * replay, demo) connect. `tls`: PEM certificate and key when both are set. `serverKeepAliveSeconds`
   * 0 keeps each client's own keep-alive.
   */
  readonly mqtt: {
    url: string;
    host: string;
    port: number;
    tls?: { port: number; cert: string; key: string; ca?: string };
    receiveMaximum: number;
    maxInflightBytes: number;
    maxConnections: number;
    maxConnectionsPerAddress: number;
    connectTimeoutMs: number;
    idleTimeoutMs: number;
    serverKeepAliveSeconds: number;
  };
  /** The gateway's Prometheus endpoint (`GET /metrics`). */
  readonly gatewayMetrics: { host: string; port: number };
  /** `url` holds no credentials (it may be logged); `username`/`password` authenticate (Redis ACL user). */
  readonly redis: { url: string; username: string; password: string };
  readonly ingest: {
    maxPayloadBytes: number;
    allowedLatenessMs: number;
    maxClockSkewMs: number;
    /** Plausibility floor of device times, epoch ms (VOC_EARLIEST_READING_TIME; `@voc/ingest` TimeLimits). */
    earliestTimeMs: number;
    lingerMs: number;
    maxBatch: number;
    /** Device directory: incremental refresh period and full re-read period, ms. */
    deviceRefreshMs: number;
    deviceFullRefreshMs: number;
  };
  /**
   * `sessionTimeoutMs`: Kafka consumer-group session timeout; a killed writer's partitions move to
   * another member after it (broker minimum 6000; default 10 s, measured takeover in README).
   * `heartbeatMs`: heartbeat period (at most a third of the session timeout), which also bounds how
   * soon the surviving members learn of the rebalance.
   */
  readonly writer: {
    maxBatchRows: number;
    retryMaxMs: number;
    partitionsConsumedConcurrently: number;
    sessionTimeoutMs: number;
    heartbeatMs: number;
  };
  readonly hotspot: {
    resolution: number;
    windowMinutes: number;
    latenessMs: number;
    reevaluateHours: number;
    minReadings: number;
    minVanPassReadings: number;
    ratio: number;
    robustZ: number;
    vanMaxSpeedKmh: number;
    openK: number;
    openN: number;
    clearN: number;
    metrics: string[];
    /** Absolute thresholds on the cell mean, canonical unit, `metric=value` pairs. */
    thresholds: Record<string, number>;
    /** Detection settings (`@voc/hotspot` MethodSettings; docs/hotspots.md lists each with its source). */
    minExcessFactor: number;
    uncertainty: Record<string, number>;
    upperQuantile: boolean;
    temporalDays: number;
    temporalMinDays: number;
    temporalWindows: number;
    temporalMinWindows: number;
    regionalFraction: number;
    regionalMinCells: number;
    suspectHigh: number;
    suspectWindows: number;
    traceHours: number;
    plumeSpreadDeg: number;
    distanceScaleM: number;
    concurrency: number;
    /** A gap longer than this (s) between two usable readings of one van in one cell starts a new van pass. */
    vanPassGapSeconds: number;
    /** Wind for a task comes from the nearest device reporting wind within this distance of the cell centre (km). */
    windMaxKm: number;
    /** Mean wind speed (m/s) below which the wind direction is treated as unknown. */
    calmWindMs: number;
    /** Candidate sources are searched in the cell and its H3 rings up to this distance. */
    candidateRing: number;
    /** Connections the rollup query of one evaluation is split over (same snapshot); size VOC_PG_POOL_MAX ≥ concurrency × (1 + this). */
    rollupConnections: number;
    /** PostgreSQL `work_mem` of evaluation transactions, e.g. `128MB`. */
    workMem: string;
    /** Register the per-metric job schedulers (off: the worker only runs jobs others enqueue). */
    scheduler: boolean;
    /** BullMQ queue name of the evaluation jobs. */
    queue: string;
    /** Period (ms) of the scheduler job of each (metric, resolution) that enqueues due windows and late-data re-evaluations. */
    tickMs: number;
    /** Attempts of an evaluation job, with exponential backoff from `backoffMs`. */
    attempts: number;
    backoffMs: number;
    /** BullMQ lock duration and stalled-job check interval (ms): a killed worker's job is taken over after about their sum. */
    lockDurationMs: number;
    stalledIntervalMs: number;
    /** How long (ms) an evaluation waits for the previous window of its series before running anyway. */
    orderWaitMs: number;
    /** Readings stored less than this (ms) before an evaluation started are re-checked for lateness (covers writer transactions in flight). */
    watermarkMarginMs: number;
    /** Period (ms) of the alert outbox dispatcher. */
    alertDispatchIntervalMs: number;
  };
  readonly timescale: { compressAfter: string; retention: string };
  /** The HJ 212 TCP gateway (hj212.ts). */
  readonly hj212: Hj212Config;
  /** The fume compliance worker (hj212.ts; rule defaults and sources in `@voc/compliance`). */
  readonly compliance: ComplianceConfig;
  /**
   * The HTTP API (services/api). `statementTimeoutMs`: PostgreSQL `statement_timeout` of every query it
   * runs; `rateLimit` requests per key per `rateWindowS`; `maxPage`/`defaultPage`: rows per page;
   * `maxRangeDays`: longest time range of a raw or bucketed query (`maxExportDays` for exports);
   * `maxBuckets`: most buckets one aggregate answers; `staleAfterS`: default staleness of the latest
   * view; `keyDefaultDays`: expiry of a new key when none is given.
   */
  readonly api: {
    host: string;
    port: number;
    publicUrl: string;
    statementTimeoutMs: number;
    rateLimit: number;
    rateWindowS: number;
    maxPage: number;
    defaultPage: number;
    maxRangeDays: number;
    maxBuckets: number;
    maxExportDays: number;
    staleAfterS: number;
    keyDefaultDays: number;
    /** This instance's id (`VOC_API_INSTANCE_ID`, default `<host name>-<pid>`). */
    instanceId: string;
  };
  /** Webhook deliveries: per-attempt timeout, attempts per alert, first backoff (doubling), consecutive failures before a hook is disabled, poll period. */
  readonly webhooks: { timeoutMs: number; attempts: number; backoffMs: number; disableAfter: number; intervalMs: number };
  /** Prometheus endpoints of the writer and the hotspot worker (port 0: off). */
  readonly metrics: { writerPort: number; hotspotPort: number };
  /**
   * Street-office reports. `thresholds`: exceedance threshold per metric (canonical unit) with the
   * setting it came from; `taskDueHours`: the age after which an unclosed task is overdue;
   * `timeZone`: IANA zone of day/week/month periods.
   */
  readonly reports: {
    thresholds: Record<string, { value: number; source: string }>;
    taskDueHours: number;
    timeZone: string;
  };
}

/** SCRAM-SHA-512 credentials of one Kafka principal, in the shape kafkajs takes. */
export interface KafkaSasl {
  readonly mechanism: 'scram-sha-512';
  readonly username: string;
  readonly password: string;
}

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** The service loading its configuration (default `admin`: migrations, setup, tests, demo, benchmarks). */
  service?: ServiceName;
}

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
      brokers: e.VOC_KAFKA_BROKERS.split(',').map((s) => s.trim()),
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
      temporalDays: e.VOC_HOTSPOT_TEMPORAL_DAYS,
      temporalMinDays: e.VOC_HOTSPOT_TEMPORAL_MIN_DAYS,
      temporalWindows: e.VOC_HOTSPOT_TEMPORAL_WINDOWS,
      temporalMinWindows: e.VOC_HOTSPOT_TEMPORAL_MIN_WINDOWS,
      regionalFraction: e.VOC_HOTSPOT_REGIONAL_FRACTION,
      regionalMinCells: e.VOC_HOTSPOT_REGIONAL_MIN_CELLS,
      suspectHigh: e.VOC_HOTSPOT_SUSPECT_HIGH,
      suspectWindows: e.VOC_HOTSPOT_SUSPECT_WINDOWS,
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

export { envSchema };

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
