import type { IPublishPacket } from 'mqtt-packet';
import type { Connection } from './connection.js';
import { decodePublishHead, type OversizeFrame } from './framer.js';
import { REASON } from './reason-codes.js';
import type { PublishRefusal, RefusedPublish, RetryableError } from './types.js';

/** One publish in a connection's window, from its arrival to its PUBACK (or the connection's end). */
export interface Inflight {
  readonly packetId: number | undefined;
  readonly qos: 0 | 1;
  /** Packet bytes counted in the global budget. */
  readonly bytes: number;
  settled: boolean;
  /** PUBACK reason code to send once every earlier publish was acknowledged; undefined = no PUBACK. */
  ackCode: number | undefined;
}

/**
 * Takes one PUBLISH of an authenticated connection: refuses what the adapter does not support (QoS 2,
 * retain on MQTT 5, topic aliases), otherwise puts it in the window and the global budget, checks its
 * topic and hands it to the handler. Never throws.
 */
export function handlePublish(conn: Connection, p: IPublishPacket, bytes: number): void {
  const { ctx } = conn;
  ctx.metrics.inc('publishes_received', { qos: String(p.qos) });
  const payload = Buffer.from(p.payload as Buffer); // a copy: the read buffer it points into is reused
  const receivedAt = new Date();
  const refuse = (reason: PublishRefusal, code: number): void => {
    conn.state = 'closing';
    ctx.metrics.inc('publishes_refused', { reason });
    void report(conn, reasonReport(conn, reason, p, payload, bytes, receivedAt)).finally(() => conn.close(code, reason));
  };
  // Maximum QoS 1 is advertised in CONNACK; a QoS 2 PUBLISH is then a protocol error (MQTT 5.0 §3.3.1.2).
  if (p.qos === 2) return refuse('qos_not_supported', REASON.qos_not_supported);
  // Retain Available 0 is advertised; a retained PUBLISH is then refused with 0x9A (§3.2.2.3.5). 3.1.1 ignores the flag.
  if (p.retain && conn.version === 5) return refuse('retain_not_supported', REASON.retain_not_supported);
  if (p.properties?.topicAlias !== undefined) return conn.protocolClose(0x94, 'topic alias without Topic Alias Maximum');
  const entry: Inflight = { packetId: p.messageId, qos: p.qos, bytes, settled: false, ackCode: undefined };
  conn.inflight.push(entry);
  ctx.budget.take(bytes);
  void process(conn, entry, p, payload, receivedAt);
}

async function process(conn: Connection, entry: Inflight, p: IPublishPacket, payload: Buffer, receivedAt: Date): Promise<void> {
  const { ctx } = conn;
  const deviceId = conn.deviceId as string;
  let allowed: boolean;
  try {
    allowed = await ctx.ports.authorizePublish(deviceId, p.topic);
  } catch (err) {
    ctx.log.warn({ err, deviceId, topic: p.topic }, 'authorizePublish failed; the publish is refused');
    allowed = false;
  }
  if (!allowed) {
    ctx.metrics.inc('publishes_refused', { reason: 'not_authorized' });
    await report(conn, reasonReport(conn, 'not_authorized', p, payload, entry.bytes, receivedAt));
    if (conn.version === 5) return settle(conn, entry, entry.qos === 1 ? REASON.not_authorized : undefined);
    // MQTT 3.1.1 has no negative PUBACK: the connection is closed (§3.3.5).
    settle(conn, entry, undefined);
    return conn.close(REASON.not_authorized, 'not_authorized');
  }
  try {
    const out = await ctx.ports.onPublish({
      deviceId,
      clientId: conn.clientId,
      topic: p.topic,
      payload,
      qos: entry.qos,
      dup: p.dup ?? false,
      receivedAt,
      protocolVersion: conn.version,
      packetBytes: entry.bytes,
    });
    settle(conn, entry, entry.qos === 1 ? (out?.reasonCode ?? REASON.success) : undefined);
  } catch (e) {
    const err = e as RetryableError;
    const retry = err?.retry === true;
    ctx.metrics.inc('publishes_failed', { retry: String(retry) });
    ctx.log.warn({ err, deviceId, topic: p.topic, retry }, 'publish handler failed; no PUBACK, the device resends after reconnecting');
    settle(conn, entry, undefined);
    if (entry.qos === 0) return; // best effort: counted, the connection goes on
    // DISCONNECT, not a negative PUBACK: a PUBACK of any code ends the exchange and the device would
    // drop the message (MQTT 5.0 §4.3.2). 0x88 "server unavailable" exists only in CONNACK; 0x89 is its DISCONNECT kin.
    conn.close(retry ? REASON.server_busy : REASON.unspecified_error, 'handler_failed');
  }
}

/** Marks a publish settled, releases its budget and sends every PUBACK now due, in arrival order. */
function settle(conn: Connection, entry: Inflight, ackCode: number | undefined): void {
  entry.settled = true;
  entry.ackCode = ackCode;
  conn.ctx.budget.give(entry.bytes);
  while (conn.inflight.length > 0 && (conn.inflight[0] as Inflight).settled) {
    const e = conn.inflight.shift() as Inflight;
    if (e.ackCode === undefined || e.packetId === undefined) continue;
    if (conn.state === 'closing') continue; // the device resends on its next connection
    conn.send({
      cmd: 'puback',
      messageId: e.packetId,
      ...(conn.version === 5 && e.ackCode !== 0 ? { reasonCode: e.ackCode } : {}),
    });
    if (e.ackCode < 0x80) conn.ctx.metrics.inc('publishes_acked');
  }
  conn.pump();
}

/** Reports an oversize PUBLISH with its head and declared size. */
export async function handleOversize(conn: Connection, o: OversizeFrame): Promise<void> {
  const head = decodePublishHead(o, conn.version === 5, conn.ctx.opts.oversizeHeadBytes);
  conn.ctx.metrics.inc('publishes_refused', { reason: 'packet_too_large' });
  conn.ctx.log.info({ deviceId: conn.deviceId, topic: head.topic, declaredBytes: o.declaredBytes }, 'oversize MQTT packet refused');
  await report(conn, {
    reason: 'packet_too_large',
    deviceId: conn.deviceId as string,
    clientId: conn.clientId,
    ...(head.topic !== undefined ? { topic: head.topic } : {}),
    qos: head.qos,
    payloadHead: head.payloadHead,
    complete: false,
    declaredBytes: o.declaredBytes,
    receivedAt: new Date(),
    protocolVersion: conn.version,
  });
}

function reasonReport(
  conn: Connection,
  reason: PublishRefusal,
  p: IPublishPacket,
  payload: Buffer,
  bytes: number,
  receivedAt: Date,
): RefusedPublish {
  return {
    reason,
    deviceId: conn.deviceId as string,
    clientId: conn.clientId,
    topic: p.topic,
    qos: p.qos,
    payloadHead: payload,
    complete: true,
    declaredBytes: bytes,
    receivedAt,
    protocolVersion: conn.version,
  };
}

async function report(conn: Connection, r: RefusedPublish): Promise<void> {
  if (!conn.ctx.ports.onRefused) return;
  try {
    await conn.ctx.ports.onRefused(r);
  } catch (err) {
    conn.ctx.log.warn({ err, deviceId: r.deviceId, reason: r.reason }, 'onRefused failed; the refusal is sent anyway');
  }
}
