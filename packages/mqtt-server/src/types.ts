import type { Logger } from '@voc/domain';

export type { Logger };

/** MQTT protocol level of a connection: 4 = MQTT 3.1.1, 5 = MQTT 5.0 (3.1 and older are refused). */
export type ProtocolVersion = 4 | 5;

/** What {@link Ports.authenticate} receives from a CONNECT. The password is never logged. */
export interface ConnectRequest {
  /** Client identifier as sent (may be empty: MQTT 5 then gets one assigned). */
  readonly clientId: string;
  /** User name as sent; the device id by the project's convention. */
  readonly username: string | undefined;
  readonly password: Buffer | undefined;
  readonly protocolVersion: ProtocolVersion;
  /** Remote IP address of the TCP connection. */
  readonly remoteAddress: string;
  /** True when the connection came through the TLS listener. */
  readonly tls: boolean;
}

/**
 * Why a CONNECT is refused; mapped to a CONNACK code by `CONNACK_CODES` (reason-codes.ts).
 * - `bad_credentials`: wrong or missing user name / password.
 * - `not_authorized`: the device is unknown or disabled.
 * - `client_id_not_allowed`: the client id names another device.
 * - `server_busy`: the adapter cannot take the device now (caps, shedding).
 * - `server_unavailable`: the device directory cannot answer (e.g. database down); the device should retry.
 * - `quota_exceeded`: too many connections from one source address.
 */
export type ConnectRefusal =
  'bad_credentials' | 'not_authorized' | 'client_id_not_allowed' | 'server_busy' | 'server_unavailable' | 'quota_exceeded';

/** Answer of {@link Ports.authenticate}. */
export type AuthResult = { readonly ok: true; readonly deviceId: string } | { readonly ok: false; readonly reason: ConnectRefusal };

/** One PUBLISH handed to {@link Ports.onPublish}. `payload` is a copy the handler may keep. */
export interface InboundPublish {
  readonly deviceId: string;
  readonly clientId: string;
  readonly topic: string;
  readonly payload: Buffer;
  /** 0 or 1 (QoS 2 is refused before the handler). */
  readonly qos: 0 | 1;
  /** True when the device marks it as a resend (DUP flag): the store downstream must absorb duplicates. */
  readonly dup: boolean;
  /** When the whole packet had arrived on the socket. */
  readonly receivedAt: Date;
  readonly protocolVersion: ProtocolVersion;
  /** Size of the whole MQTT packet on the wire, bytes (what the in-flight budget counts). */
  readonly packetBytes: number;
}

/**
 * Optional outcome of a handled publish. MQTT 5 PUBACK reason codes allowed for an accepted message
 * (MQTT 5.0 §3.4.2.1): 0x00 success, 0x10 no matching subscribers, 0x99 payload format invalid (the
 * message was kept, e.g. as a dead letter). MQTT 3.1.1 has no PUBACK code: a plain PUBACK is sent.
 */
export interface PublishOutcome {
  readonly reasonCode?: 0x00 | 0x10 | 0x99;
}

/** Why a publish was refused by the adapter itself (reported through {@link Ports.onRefused}). */
export type PublishRefusal = 'not_authorized' | 'packet_too_large' | 'qos_not_supported' | 'retain_not_supported';

/**
 * A publish the adapter refused, with what is known of it, so the caller can dead-letter it.
 * For `packet_too_large` only the head is kept: `payloadHead` holds at most `oversizeHeadBytes` of the
 * payload and `declaredBytes` the packet's declared remaining length; `topic`, `qos` are present when
 * the head was long enough to decode them.
 */
export interface RefusedPublish {
  readonly reason: PublishRefusal;
  readonly deviceId: string;
  readonly clientId: string;
  readonly topic?: string;
  readonly qos?: 0 | 1 | 2;
  /** Whole payload, or its head for `packet_too_large`. */
  readonly payloadHead: Buffer;
  /** True when `payloadHead` is the whole payload. */
  readonly complete: boolean;
  /** `packet_too_large`: remaining length declared in the fixed header, bytes (MQTT 5.0 §2.1.4); otherwise the packet's size. */
  readonly declaredBytes: number;
  readonly receivedAt: Date;
  readonly protocolVersion: ProtocolVersion;
}

/**
 * Error shape a handler may reject with. `retry: true` (the `VocError` shape of @voc/domain) marks a
 * transient failure (Kafka unavailable): the device is disconnected with "server busy" and resends.
 * Any rejection withholds the PUBACK; only the DISCONNECT reason differs.
 */
export interface RetryableError extends Error {
  readonly retry?: boolean;
}

/** The ports the adapter calls; all belong to the caller (the gateway). */
export interface Ports {
  /**
   * Decides a CONNECT. Rejecting (throwing) counts as `server_unavailable`. Must answer within
   * `connectTimeoutMs` or the connection is refused as `server_unavailable`.
   */
  authenticate(req: ConnectRequest): Promise<AuthResult>;
  /** Whether `deviceId` may publish on `topic` (e.g. `voc/v1/{kind}/{deviceId}/up`). Throwing counts as refused. */
  authorizePublish(deviceId: string, topic: string): boolean | Promise<boolean>;
  /**
   * Handles one accepted publish. For QoS 1 the PUBACK leaves only after this promise resolved (and
   * after every earlier PUBLISH of the connection was acknowledged: PUBACKs keep arrival order,
   * MQTT 3.1.1 §4.6 / 5.0 §4.6). Rejecting withholds the PUBACK and disconnects the device, which
   * resends on reconnect (see README, "Reason codes").
   */
  onPublish(msg: InboundPublish): Promise<PublishOutcome | void>;
  /**
   * Reports a publish the adapter refused (unauthorised topic, oversize, QoS 2, retain). The refusal
   * (PUBACK 0x87 or DISCONNECT) is sent after this resolves; rejecting is logged and the refusal still goes.
   */
  onRefused?(report: RefusedPublish): Promise<void>;
}

/** Counters and gauges the adapter updates; services bind it to prom-client or a plain object. */
export interface MqttServerMetrics {
  /** Adds `n` (default 1) to a counter; `labels` carry the reason or qos. */
  inc(name: CounterName, labels?: Readonly<Record<string, string>>, n?: number): void;
}

/**
 * Counter names:
 * - `connections_accepted` / `connections_closed`: TCP/TLS connections.
 * - `connects_refused{reason}`: CONNECTs refused (ConnectRefusal, or `timeout`, `protocol`).
 * - `publishes_received{qos}`: PUBLISH packets taken (0, 1, 2).
 * - `publishes_acked`: PUBACKs sent with a success code.
 * - `publishes_refused{reason}`: PublishRefusal.
 * - `publishes_failed{retry}`: handler rejections (no PUBACK).
 * - `oversize`: packets above `maxPacketBytes`.
 * - `socket_pauses{cause}`: a socket stopped being read (`window` or `global`).
 * - `disconnects{reason}`: connections the adapter closed, by reason.
 */
export type CounterName =
  | 'connections_accepted'
  | 'connections_closed'
  | 'connects_refused'
  | 'publishes_received'
  | 'publishes_acked'
  | 'publishes_refused'
  | 'publishes_failed'
  | 'oversize'
  | 'socket_pauses'
  | 'disconnects';

/** A live snapshot for metrics gauges and benchmarks. */
export interface MqttServerSnapshot {
  /** Open sockets (authenticated or not). */
  readonly connections: number;
  /** Authenticated connections. */
  readonly devices: number;
  /** Publishes handed to `onPublish` and not yet settled, across connections. */
  readonly inflight: number;
  /** Their packet bytes (the global budget counts these). */
  readonly inflightBytes: number;
  /** Sockets not being read right now (window full or global budget reached). */
  readonly pausedSockets: number;
  /** True while the global in-flight byte budget is above its high-water mark. */
  readonly globalPaused: boolean;
  /** Bytes read from sockets and not yet decoded (bounded by one socket read per connection). */
  readonly bufferedBytes: number;
}
