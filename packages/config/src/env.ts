/**
 * The environment variables of every service, parsed once with zod (`envSchema`): names, defaults,
 * ranges. {@link loadConfig} (index.ts) builds the nested `Config` from it.
 */
import { z } from 'zod';
import { DEFAULT_METHOD_SETTINGS as M, DEFAULT_TRACE_SETTINGS as T } from '@voc/hotspot';
import { SECRET_DEFAULTS, type SecretName } from './secrets.js';
import type { KafkaPrincipal } from './principals.js';
import { COMPLIANCE_ENV, HJ212_ENV } from './hj212.js';

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

export const envSchema = z.object({
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
  /** Port of the project's own Kafka broker (stack.sh); the default of VOC_KAFKA_BROKERS. */
  VOC_KAFKA_PORT: int(9092, 1, 65535),
  /** Comma-separated host:port list; default `127.0.0.1:<VOC_KAFKA_PORT>`. */
  VOC_KAFKA_BROKERS: notBlank.optional(),
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
  VOC_HOTSPOT_MEAN_TEST: bool(M.meanTest),
  VOC_HOTSPOT_TEMPORAL_DAYS: int(M.temporalDays, 1),
  VOC_HOTSPOT_TEMPORAL_MIN_DAYS: int(M.temporalMinDays, 1),
  VOC_HOTSPOT_TEMPORAL_WINDOWS: int(M.temporalWindows, 1),
  VOC_HOTSPOT_TEMPORAL_MIN_WINDOWS: int(M.temporalMinWindows, 1),
  VOC_HOTSPOT_REGIONAL_FRACTION: num(M.regionalFraction),
  VOC_HOTSPOT_REGIONAL_MIN_CELLS: int(M.regionalMinCells, 1),
  VOC_HOTSPOT_SUSPECT_HIGH: int(M.suspectHigh, 1),
  VOC_HOTSPOT_SUSPECT_WINDOWS: int(M.suspectWindows, 1),
  VOC_HOTSPOT_PLUME_FLUCTUATION: num(M.plumeFluctuation),
  VOC_HOTSPOT_PLUME_MAX_SPACING_S: num(M.plumeMaxSpacingS),
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
  /** Allow webhook targets on loopback and private networks (an intranet receiver); link-local and metadata addresses never. */
  VOC_WEBHOOK_ALLOW_PRIVATE: bool(false),
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
