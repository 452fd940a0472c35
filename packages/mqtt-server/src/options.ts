import type { Logger, MqttServerMetrics, Ports } from './types.js';

/** A listener address; `port: 0` picks a free port (read it back from `listen()`). */
export interface ListenAddress {
  /** Interface to bind, default `0.0.0.0`. */
  readonly host?: string;
  readonly port: number;
}

/** TLS listener: PEM certificate chain and key; `ca` and `requestCert` for device certificates (optional). */
export interface TlsListenAddress extends ListenAddress {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  readonly ca?: string | Buffer;
  /** Ask for a client certificate (verified against `ca`); the password check still decides. Default false. */
  readonly requestCert?: boolean;
}

/** Options of `createMqttServer`. Defaults in {@link DEFAULTS}. */
export interface MqttServerOptions {
  readonly ports: Ports;
  /** The project's pino logger (a child is fine). */
  readonly log: Logger;
  readonly metrics?: MqttServerMetrics;
  /** Plain TCP listener (MQTT's registered port is 1883); omit for TLS only. */
  readonly tcp?: ListenAddress;
  /** TLS listener (registered port 8883). */
  readonly tls?: TlsListenAddress;
  /** Longest wait from TCP accept to a complete CONNECT, ms. */
  readonly connectTimeoutMs?: number;
  /** Longest wait for `authenticate`, ms; past it the CONNECT is refused as server unavailable. */
  readonly authTimeoutMs?: number;
  /** Largest MQTT packet accepted, bytes, fixed header included; advertised as Maximum Packet Size on MQTT 5. */
  readonly maxPacketBytes?: number;
  /** Bytes of an oversize payload's head given to `onRefused`. */
  readonly oversizeHeadBytes?: number;
  /** Per-connection window: publishes in flight (handled, not yet acknowledged); advertised as Receive Maximum on MQTT 5 (1..65535). */
  readonly receiveMaximum?: number;
  /** Global in-flight byte budget: reading of every socket stops at this total... */
  readonly maxInflightBytes?: number;
  /** ...and resumes when the total fell to this (default ¾ of `maxInflightBytes`). */
  readonly resumeInflightBytes?: number;
  /** Most open connections; further CONNECTs get "server busy". */
  readonly maxConnections?: number;
  /** Most open connections from one source address; further CONNECTs get "quota exceeded". */
  readonly maxConnectionsPerAddress?: number;
  /** Closes a connection that sent no PUBLISH for this long, ms (0: never). */
  readonly idleTimeoutMs?: number;
  /**
   * MQTT 5 Server Keep Alive, seconds (§3.2.2.3.14): when set, replaces the client's keep-alive and is
   * sent in CONNACK. MQTT 3.1.1 clients keep their own value.
   */
  readonly serverKeepAliveSeconds?: number;
  /** Keep-alive used when a client asks for 0 (none), seconds; 0 leaves it off and only the idle timeout applies. */
  readonly defaultKeepAliveSeconds?: number;
}

/** Defaults of {@link MqttServerOptions}. */
export const DEFAULTS = {
  connectTimeoutMs: 5_000,
  authTimeoutMs: 5_000,
  /** 256 KiB: a day of minute readings of one device fits; larger is refused with 0x95. */
  maxPacketBytes: 256 * 1024,
  oversizeHeadBytes: 1024,
  receiveMaximum: 64,
  /** 64 MiB across all connections. */
  maxInflightBytes: 64 * 1024 * 1024,
  maxConnections: 10_000,
  maxConnectionsPerAddress: 1_000,
  idleTimeoutMs: 15 * 60_000,
  defaultKeepAliveSeconds: 0,
} as const;

/** Options with every default applied. */
export interface ResolvedOptions {
  readonly connectTimeoutMs: number;
  readonly authTimeoutMs: number;
  readonly maxPacketBytes: number;
  readonly oversizeHeadBytes: number;
  readonly receiveMaximum: number;
  readonly maxInflightBytes: number;
  readonly resumeInflightBytes: number;
  readonly maxConnections: number;
  readonly maxConnectionsPerAddress: number;
  readonly idleTimeoutMs: number;
  readonly serverKeepAliveSeconds: number | undefined;
  readonly defaultKeepAliveSeconds: number;
}

/** Applies defaults and checks ranges; throws RangeError naming the bad option. */
export function resolveOptions(o: MqttServerOptions): ResolvedOptions {
  const r: ResolvedOptions = {
    connectTimeoutMs: o.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
    authTimeoutMs: o.authTimeoutMs ?? DEFAULTS.authTimeoutMs,
    maxPacketBytes: o.maxPacketBytes ?? DEFAULTS.maxPacketBytes,
    oversizeHeadBytes: o.oversizeHeadBytes ?? DEFAULTS.oversizeHeadBytes,
    receiveMaximum: o.receiveMaximum ?? DEFAULTS.receiveMaximum,
    maxInflightBytes: o.maxInflightBytes ?? DEFAULTS.maxInflightBytes,
    resumeInflightBytes: o.resumeInflightBytes ?? Math.floor(((o.maxInflightBytes ?? DEFAULTS.maxInflightBytes) * 3) / 4),
    maxConnections: o.maxConnections ?? DEFAULTS.maxConnections,
    maxConnectionsPerAddress: o.maxConnectionsPerAddress ?? DEFAULTS.maxConnectionsPerAddress,
    idleTimeoutMs: o.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs,
    serverKeepAliveSeconds: o.serverKeepAliveSeconds,
    defaultKeepAliveSeconds: o.defaultKeepAliveSeconds ?? DEFAULTS.defaultKeepAliveSeconds,
  };
  if (!o.tcp && !o.tls) throw new RangeError('mqtt-server: give a tcp or a tls listener');
  if (!Number.isInteger(r.receiveMaximum) || r.receiveMaximum < 1 || r.receiveMaximum > 65_535)
    throw new RangeError('mqtt-server: receiveMaximum must be an integer in 1..65535 (MQTT 5.0 §3.2.2.3.3)');
  // 268,435,455 is the largest remaining length a 4-byte variable byte integer can carry (MQTT 5.0 §1.5.5).
  if (r.maxPacketBytes < 64 || r.maxPacketBytes > 268_435_460) throw new RangeError('mqtt-server: maxPacketBytes must be in 64..268435460');
  if (r.resumeInflightBytes > r.maxInflightBytes) throw new RangeError('mqtt-server: resumeInflightBytes must not exceed maxInflightBytes');
  if (r.serverKeepAliveSeconds !== undefined && (r.serverKeepAliveSeconds < 0 || r.serverKeepAliveSeconds > 65_535))
    throw new RangeError('mqtt-server: serverKeepAliveSeconds must be in 0..65535');
  return r;
}
