import { z } from 'zod';
import { DEFAULT_COMPLIANCE_SETTINGS as C, parseLimits, type ComplianceSettings } from '@voc/compliance';

/**
 * Settings of the HJ 212 TCP gateway and of the fume compliance worker. Compliance defaults and
 * their sources live in `@voc/compliance` (settings.ts); the variables here only name them.
 */

const notBlank = z.string().refine((s) => s.trim() !== '', 'is empty; unset the variable to use its default');
const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  notBlank.pipe(z.coerce.number<string>().int().min(min).max(max)).default(def);
const num = (def: number, min = 0) => notBlank.pipe(z.coerce.number<string>().min(min)).default(def);
const limitsText = (l: Record<string, number>) =>
  Object.entries(l)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

/** HJ 212 gateway variables (defaults are assumptions of this project unless a source is named). */
export const HJ212_ENV = {
  /** Listen address; `0.0.0.0` to take loggers from the network (default loopback: nothing is exposed by accident). */
  VOC_HJ212_HOST: z.string().default('127.0.0.1'),
  VOC_HJ212_PORT: int(9212, 0, 65535),
  /** Prometheus `/metrics` port of the HJ 212 gateway (0: a free port, for tests). */
  VOC_HJ212_METRICS_PORT: int(9213, 0, 65535),
  /** A connection with no byte received for this long is closed: 3 × the 1-minute data interval (SPEC-NOTES §5). */
  VOC_HJ212_IDLE_TIMEOUT_MS: int(180_000, 100),
  /** Largest data segment the framer holds for any logger; each logger's own limit is its registry entry (1024 by the standard). */
  VOC_HJ212_MAX_DATA_LENGTH: int(4096, 1024, 9999),
  VOC_HJ212_MAX_CONNECTIONS: int(5000, 1),
  /** Kernel accept backlog of the listener (capped by net.core.somaxconn): 2,000 loggers reconnecting at once after a restart must not overflow it. */
  VOC_HJ212_LISTEN_BACKLOG: int(2048, 1),
  /** Loggers on mobile networks share carrier NAT addresses: a generous per-address cap. */
  VOC_HJ212_MAX_CONNECTIONS_PER_ADDRESS: int(64, 1),
  /** Authentication failures (unknown MN, wrong PW) after which the connection is closed. */
  VOC_HJ212_MAX_AUTH_FAILURES: int(3, 1),
  /** A real-time packet whose DataTime is off by more than this gets a time calibration (CN=1012). */
  VOC_HJ212_CLOCK_TOLERANCE_MS: int(120_000, 1000),
  /** How long a split message (PNUM/PNO) waits for its parts before it is emitted partial. */
  VOC_HJ212_SPLIT_TIMEOUT_MS: int(60_000, 100),
  /** Frames in flight to Kafka per connection before the socket is paused (back-pressure). */
  VOC_HJ212_MAX_INFLIGHT_PER_CONNECTION: int(32, 1),
  /** Frames in flight to Kafka in total before every socket is paused. */
  VOC_HJ212_MAX_INFLIGHT: int(20_000, 1),
  /** Replies queued to a logger that does not read them, bytes, before it is disconnected. */
  VOC_HJ212_MAX_WRITE_BUFFER_BYTES: int(64 * 1024, 1024),
  /** How long a verified MN + PW is remembered (no new scrypt per frame), ms. */
  VOC_HJ212_AUTH_CACHE_TTL_MS: int(300_000, 0),
  /** Kafka batching of the gateway: linger (ms) and most frames per batch. */
  VOC_HJ212_LINGER_MS: int(5, 0),
  VOC_HJ212_MAX_BATCH: int(2000, 1),
} as const;

/** Compliance worker variables; defaults from `DEFAULT_COMPLIANCE_SETTINGS` (sources there). */
export const COMPLIANCE_ENV = {
  VOC_COMPLIANCE_QUEUE: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/)
    .default('voc-compliance'),
  VOC_COMPLIANCE_TICK_MS: int(60_000, 1000),
  /** Readings younger than this are not yet evaluated (writer and network delay). */
  VOC_COMPLIANCE_LATENESS_MS: int(120_000, 0),
  VOC_COMPLIANCE_WINDOW_MINUTES: int(C.windowMinutes, 5),
  VOC_COMPLIANCE_MIN_VALID_FRACTION: num(C.minValidFraction).pipe(z.number().max(1)),
  VOC_COMPLIANCE_LIMITS_DB11: z.string().default(limitsText(C.limits['DB11/1488-2018'])),
  VOC_COMPLIANCE_LIMITS_GB18483: z.string().default(limitsText(C.limits['GB 18483-2001'])),
  VOC_COMPLIANCE_FAN_ON_CURRENT_A: num(C.fanOnCurrentA),
  VOC_COMPLIANCE_PURIFIER_OFF_CURRENT_A: num(C.purifierOffCurrentA),
  VOC_COMPLIANCE_PURIFIER_OFF_MINUTES: int(C.purifierOffMinutes, 1),
  VOC_COMPLIANCE_PURIFIER_CURRENT_SHARE: num(C.purifierCurrentShare).pipe(z.number().max(1)),
  VOC_COMPLIANCE_PURIFIER_LOW_MINUTES: int(C.purifierLowMinutes, 1),
  VOC_COMPLIANCE_OFFLINE_MINUTES: int(C.offlineMinutes, 1),
  VOC_COMPLIANCE_FLATLINE_MIN_POINTS: int(C.flatlineMinPoints, 2),
  VOC_COMPLIANCE_FLATLINE_EPSILON: num(C.flatlineEpsilon),
  VOC_COMPLIANCE_DROP_RATIO: num(C.dropRatio).pipe(z.number().max(1)),
  VOC_COMPLIANCE_DROP_MIN_POINTS: int(C.dropMinPoints, 1),
  VOC_COMPLIANCE_IDENTICAL_MIN_POINTS: int(C.identicalMinPoints, 2),
} as const;

type Raw<T extends Record<string, z.ZodType>> = { [K in keyof T]: z.output<T[K]> };

/** `config.hj212`: the HJ 212 gateway. */
export interface Hj212Config {
  readonly host: string;
  readonly port: number;
  readonly metricsPort: number;
  readonly idleTimeoutMs: number;
  readonly maxDataLength: number;
  readonly maxConnections: number;
  readonly listenBacklog: number;
  readonly maxConnectionsPerAddress: number;
  readonly maxAuthFailures: number;
  readonly clockToleranceMs: number;
  readonly splitTimeoutMs: number;
  readonly maxInflightPerConnection: number;
  readonly maxInflight: number;
  readonly maxWriteBufferBytes: number;
  readonly authCacheTtlMs: number;
  readonly lingerMs: number;
  readonly maxBatch: number;
}

/** `config.compliance`: the worker's queue and tick, and the rules' settings. */
export interface ComplianceConfig {
  readonly queue: string;
  readonly tickMs: number;
  readonly latenessMs: number;
  readonly rules: ComplianceSettings;
}

/** Builds {@link Hj212Config} from the parsed variables. */
export function hj212Config(e: Raw<typeof HJ212_ENV>): Hj212Config {
  return {
    host: e.VOC_HJ212_HOST,
    port: e.VOC_HJ212_PORT,
    metricsPort: e.VOC_HJ212_METRICS_PORT,
    idleTimeoutMs: e.VOC_HJ212_IDLE_TIMEOUT_MS,
    maxDataLength: e.VOC_HJ212_MAX_DATA_LENGTH,
    maxConnections: e.VOC_HJ212_MAX_CONNECTIONS,
    listenBacklog: e.VOC_HJ212_LISTEN_BACKLOG,
    maxConnectionsPerAddress: e.VOC_HJ212_MAX_CONNECTIONS_PER_ADDRESS,
    maxAuthFailures: e.VOC_HJ212_MAX_AUTH_FAILURES,
    clockToleranceMs: e.VOC_HJ212_CLOCK_TOLERANCE_MS,
    splitTimeoutMs: e.VOC_HJ212_SPLIT_TIMEOUT_MS,
    maxInflightPerConnection: e.VOC_HJ212_MAX_INFLIGHT_PER_CONNECTION,
    maxInflight: e.VOC_HJ212_MAX_INFLIGHT,
    maxWriteBufferBytes: e.VOC_HJ212_MAX_WRITE_BUFFER_BYTES,
    authCacheTtlMs: e.VOC_HJ212_AUTH_CACHE_TTL_MS,
    lingerMs: e.VOC_HJ212_LINGER_MS,
    maxBatch: e.VOC_HJ212_MAX_BATCH,
  };
}

/** Builds {@link ComplianceConfig}; a bad limit list is added to `problems` (reported with every other bad variable). */
export function complianceConfig(e: Raw<typeof COMPLIANCE_ENV>, problems: string[]): ComplianceConfig {
  const limits = (name: string, raw: string) => {
    try {
      return parseLimits(raw);
    } catch (err) {
      problems.push(`${name}: ${(err as Error).message}`);
      return {};
    }
  };
  return {
    queue: e.VOC_COMPLIANCE_QUEUE,
    tickMs: e.VOC_COMPLIANCE_TICK_MS,
    latenessMs: e.VOC_COMPLIANCE_LATENESS_MS,
    rules: {
      windowMinutes: e.VOC_COMPLIANCE_WINDOW_MINUTES,
      dataIntervalMinutes: C.dataIntervalMinutes,
      minValidFraction: e.VOC_COMPLIANCE_MIN_VALID_FRACTION,
      limits: {
        'DB11/1488-2018': limits('VOC_COMPLIANCE_LIMITS_DB11', e.VOC_COMPLIANCE_LIMITS_DB11),
        'GB 18483-2001': limits('VOC_COMPLIANCE_LIMITS_GB18483', e.VOC_COMPLIANCE_LIMITS_GB18483),
      },
      fanOnCurrentA: e.VOC_COMPLIANCE_FAN_ON_CURRENT_A,
      purifierOffCurrentA: e.VOC_COMPLIANCE_PURIFIER_OFF_CURRENT_A,
      purifierOffMinutes: e.VOC_COMPLIANCE_PURIFIER_OFF_MINUTES,
      purifierCurrentShare: e.VOC_COMPLIANCE_PURIFIER_CURRENT_SHARE,
      purifierLowMinutes: e.VOC_COMPLIANCE_PURIFIER_LOW_MINUTES,
      offlineMinutes: e.VOC_COMPLIANCE_OFFLINE_MINUTES,
      flatlineMinPoints: e.VOC_COMPLIANCE_FLATLINE_MIN_POINTS,
      flatlineEpsilon: e.VOC_COMPLIANCE_FLATLINE_EPSILON,
      dropRatio: e.VOC_COMPLIANCE_DROP_RATIO,
      dropMinPoints: e.VOC_COMPLIANCE_DROP_MIN_POINTS,
      identicalMinPoints: e.VOC_COMPLIANCE_IDENTICAL_MIN_POINTS,
    },
  };
}
