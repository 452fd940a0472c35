/** The shape of the configuration {@link loadConfig} builds (index.ts). */
import type { Env } from './env.js';
import type { ServiceName, KafkaPrincipal, PgRoleKey } from './principals.js';
import type { ComplianceConfig, Hj212Config } from './hj212.js';

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
    /** Mean test (VOC_HOTSPOT_MEAN_TEST). */
    meanTest: boolean;
    temporalDays: number;
    temporalMinDays: number;
    temporalWindows: number;
    temporalMinWindows: number;
    regionalFraction: number;
    regionalMinCells: number;
    suspectHigh: number;
    suspectWindows: number;
    /** Minimum plume fluctuation (VOC_HOTSPOT_PLUME_FLUCTUATION; 0 turns the level-shift test off). */
    plumeFluctuation: number;
    /** Largest mean reading spacing, s, at which the level-shift test runs (VOC_HOTSPOT_PLUME_MAX_SPACING_S). */
    plumeMaxSpacingS: number;
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
  /** `allowPrivate`: webhook targets on loopback and private networks are allowed (VOC_WEBHOOK_ALLOW_PRIVATE). */
  readonly webhooks: {
    timeoutMs: number;
    attempts: number;
    backoffMs: number;
    disableAfter: number;
    intervalMs: number;
    allowPrivate: boolean;
  };
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
