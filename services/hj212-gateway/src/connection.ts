import type { Socket } from 'node:net';
import type { Logger, Rejection } from '@voc/domain';
import { createReadingNormalizer, type RejectedItem, type TimeLimits } from '@voc/ingest';
import {
  Hj212Framer,
  SplitAssembler,
  TOLERANCES,
  buildDataResponse,
  buildNotificationResponse,
  buildTimeCalibration,
  clockOffsetMs,
  commandKind,
  parseFrame,
  peekMn,
  profileById,
  profileForSystem,
  requiredReply,
  splitKey,
  toDecodedMessage,
  type AssembledMessage,
  type FramerEvent,
  type Hj212Frame,
  type Tolerance,
} from '@voc/hj212';
import type { Hj212DeviceRecord } from '@voc/core';
import type { Authenticator } from './auth.js';
import { deadLetters, readingRecords } from './records.js';
import type { GatewayMetrics } from './metrics.js';
import type { BatchingProducer } from './producer.js';

/** Per-connection limits and timings (from `config.hj212`). */
export interface ConnectionSettings {
  readonly idleTimeoutMs: number;
  readonly maxDataLength: number;
  readonly maxAuthFailures: number;
  readonly clockToleranceMs: number;
  readonly splitTimeoutMs: number;
  readonly maxInflightPerConnection: number;
  readonly maxWriteBufferBytes: number;
}

/** What a connection needs from the gateway. */
export interface ConnectionDeps {
  readonly auth: Authenticator;
  readonly producer: BatchingProducer;
  readonly topics: { readonly readings: string; readonly deadletter: string };
  readonly settings: ConnectionSettings;
  /** `config.ingest` time limits of `@voc/ingest`. */
  readonly ingest: TimeLimits;
  readonly metrics: GatewayMetrics;
  readonly log: Logger;
  /** Global back-pressure: frames in flight across connections (the gateway pauses every socket above its cap). */
  readonly flow: { add(n: number): void; readonly paused: boolean };
  readonly now: () => number;
}

/** A logger connection as the gateway tracks it. */
export interface Connection {
  readonly remote: string;
  /** Frames waiting for Kafka. */
  readonly inflight: number;
  /** Re-evaluates pause/resume (called when the global back-pressure changes). */
  updateFlow(): void;
  /** Stops reading; resolves when in-flight frames are answered (or `timeoutMs` passed), then closes. */
  drain(timeoutMs: number): Promise<void>;
}

/** Every tolerance: the framer delimits leniently, each device's own settings then decide acceptance. */
const ALL_TOLERANCES = Object.values(TOLERANCES) as Tolerance[];
/** A logger is sent at most one time calibration per this period, ms (a clock that cannot be set must not flood). */
const CALIBRATION_PERIOD_MS = 10 * 60_000;

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(e: unknown): void;
}
function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((a, b) => ((resolve = a), (reject = b)));
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/**
 * Serves one data logger connection: frames by length (held across reads, several per read,
 * resynchronised after garbage), authenticates every frame by MN + PW, applies the device's codec
 * settings, reassembles split messages, produces readings and dead letters, and writes the replies
 * the standard requires in frame order, each only after Kafka acknowledged what its frame became.
 * Closes the connection on idle, on too many authentication failures and when the logger does not
 * read its replies; pauses reading while too many frames wait for Kafka.
 */
export function serveConnection(socket: Socket, d: ConnectionDeps, onClose: (c: Connection) => void): Connection {
  const { settings: s, metrics: m, log } = d;
  const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
  const framer = new Hj212Framer({ tolerances: ALL_TOLERANCES, maxDataLength: s.maxDataLength });
  const assembler = new SplitAssembler({ timeoutMs: s.splitTimeoutMs, now: d.now });
  const waiters = new Map<string, { deferred: Deferred; logger: Hj212DeviceRecord; raw: string[] }>();
  const mnToDevice = new Map<string, string>();
  let authFailures = 0;
  let inflight = 0;
  let replyChain: Promise<void> = Promise.resolve();
  let closed = false;
  let lastCalibration = -Infinity;
  let drained: (() => void) | undefined;

  const conn: Connection = {
    remote,
    get inflight() {
      return inflight;
    },
    updateFlow,
    drain(timeoutMs) {
      socket.pause();
      if (inflight === 0) return Promise.resolve(close('shutdown'));
      return new Promise<void>((resolve) => {
        const t = setTimeout(() => resolve(close('shutdown')), timeoutMs);
        drained = () => {
          clearTimeout(t);
          resolve(close('shutdown'));
        };
      });
    },
  };

  function updateFlow(): void {
    if (closed) return;
    const want = inflight >= s.maxInflightPerConnection || d.flow.paused;
    if (want && !socket.isPaused()) {
      socket.pause();
      m.pausedSockets.inc();
    } else if (!want && socket.isPaused() && drained === undefined) {
      socket.resume();
      m.pausedSockets.dec();
    }
  }

  function track<T>(p: Promise<T>): Promise<T> {
    inflight++;
    d.flow.add(1);
    m.inflight.inc();
    updateFlow();
    const done = () => {
      inflight--;
      d.flow.add(-1);
      m.inflight.dec();
      updateFlow();
      if (inflight === 0) drained?.();
    };
    p.then(done, done);
    return p;
  }

  function close(reason: string): void {
    if (closed) return;
    closed = true;
    m.connectionsClosed.inc({ reason });
    if (socket.isPaused()) m.pausedSockets.dec();
    clearInterval(expiry);
    socket.destroy();
    // Split messages still waiting: produced flagged partial (nothing is answered any more).
    for (const msg of assembler.flush()) void emit(msg).catch(() => undefined);
    onClose(conn);
  }

  const send = (records: Parameters<BatchingProducer['send']>[0]) => d.producer.send(records);

  async function reject(rejection: Rejection, raw: string, deviceId: string | undefined, receivedAt: Date): Promise<void> {
    m.deadLetters.inc({ reason: rejection.reason });
    await send(deadLetters(d.topics.deadletter, [{ rejection, ...(deviceId ? { deviceId } : {}) }], raw, receivedAt, remote));
  }

  /** Produces one assembled message; resolves its parts' waiters once Kafka has everything it became. */
  async function emit(msg: AssembledMessage): Promise<void> {
    const w = waiters.get(msg.key);
    waiters.delete(msg.key);
    if (!w) return;
    try {
      const logger = w.logger;
      const profile = profileById(logger.profile) ?? profileForSystem(msg.st);
      const decoded = toDecodedMessage(logger.deviceId, msg, profile);
      const receivedAt = new Date(d.now());
      const normalizer = createReadingNormalizer({ devices: { get: () => Promise.resolve(logger.device) }, settings: d.ingest });
      const r = await normalizer.normalize(decoded.message, receivedAt);
      const rejected: RejectedItem[] = [
        ...decoded.rejections.map((rejection) => ({ rejection, deviceId: logger.deviceId })),
        ...r.rejected,
      ];
      m.messages.inc({ kind: msg.partial ? 'partial' : 'data' });
      for (const x of rejected) m.deadLetters.inc({ reason: x.rejection.reason });
      m.readings.inc(r.accepted.length);
      await send([
        ...readingRecords(d.topics.readings, r.accepted),
        ...deadLetters(d.topics.deadletter, rejected, w.raw.join(''), receivedAt, remote),
      ]);
      w.deferred.resolve();
    } catch (err) {
      w.deferred.reject(err);
    }
  }

  function replies(frame: Hj212Frame, receivedAt: number): string[] {
    const out: string[] = [];
    const need = requiredReply(frame);
    if (need === 'data_response') out.push(buildDataResponse(frame));
    else if (need === 'notification_response') out.push(buildNotificationResponse(frame));
    const offset = clockOffsetMs(frame, receivedAt);
    const wantsTime = frame.cn === '1013' || (offset !== undefined && Math.abs(offset) > s.clockToleranceMs);
    if (wantsTime && receivedAt - lastCalibration >= CALIBRATION_PERIOD_MS) {
      lastCalibration = receivedAt;
      out.push(buildTimeCalibration({ st: frame.st, pw: frame.pw, mn: frame.mn, systemTime: d.now() }));
      m.timeCalibrations.inc();
    }
    return out;
  }

  /**
   * Authenticates a frame, retrying a registry that fails (database down or saturated, e.g. when
   * every logger reconnects at once after a restart) with backoff while the connection is open.
   */
  async function authenticate(frame: Hj212Frame): ReturnType<Authenticator['authenticate']> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await d.auth.authenticate(frame.mn, frame.pw);
      } catch (err) {
        if (closed) throw err;
        if (attempt === 1 || attempt % 10 === 0) log.warn({ err, remote, attempt }, 'logger registry lookup failed; retrying');
        await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** Math.min(attempt, 6))));
      }
    }
  }

  /** Processes one frame; resolves with the replies to write once what it became is durable. */
  async function onFrame(frame: Hj212Frame, text: string, receivedAt: Date): Promise<string[]> {
    const a = await authenticate(frame);
    if (!a.ok) {
      authFailures++;
      m.authFailures.inc({ reason: a.failure });
      log.warn({ remote, mn: frame.mn.slice(0, 24), reason: a.failure, failures: authFailures }, 'HJ 212 frame not authenticated');
      await reject({ reason: 'hj212_auth_failed', detail: `${a.failure}: ${a.detail} (from ${remote})` }, text, undefined, receivedAt);
      if (authFailures >= s.maxAuthFailures) setImmediate(() => close('auth_failures'));
      return [];
    }
    const logger = a.logger;
    mnToDevice.set(frame.mn, logger.deviceId);
    const allowed = new Set(logger.tolerances);
    if (frame.tolerances.some((t) => !allowed.has(t)) || frame.segment.length > logger.maxDataLength) {
      // Delimited leniently; this device's own settings refuse it: re-parse them for the exact reason.
      const strict = parseFrame(text, { tolerances: allowed as Set<Tolerance>, maxDataLength: logger.maxDataLength });
      if (!strict.ok) {
        m.framesRejected.inc({ reason: strict.reason });
        await reject({ reason: 'hj212_rejected', detail: `${strict.reason}: ${strict.detail}` }, text, logger.deviceId, receivedAt);
        return [];
      }
      frame = strict.frame;
    }
    for (const t of frame.tolerances) m.tolerances.inc({ tolerance: t });
    const kind = commandKind(frame.cn);
    if (kind !== 'data') {
      m.messages.inc({ kind: kind ?? 'unknown' });
      return replies(frame, receivedAt.getTime());
    }
    const key = splitKey(frame);
    let w = waiters.get(key);
    if (!w) waiters.set(key, (w = { deferred: deferred(), logger, raw: [] }));
    w.raw.push(text);
    const mine = w.deferred.promise;
    for (const msg of assembler.offer(frame)) void emit(msg);
    await mine;
    return replies(frame, receivedAt.getTime());
  }

  function write(lines: string[]): void {
    if (closed) return;
    for (const line of lines) {
      socket.write(Buffer.from(line, 'latin1'));
      m.replies.inc({ cn: line.slice(line.indexOf('CN=') + 3, line.indexOf('CN=') + 7) });
    }
    if (socket.writableLength > s.maxWriteBufferBytes) {
      log.warn({ remote, queued: socket.writableLength }, 'logger does not read its replies; closing');
      close('not_reading_replies');
    }
  }

  /**
   * Bytes the lenient framer refused. A frame (not garbage) is parsed again under its device's own
   * settings (strict for an unknown MN), so the reason recorded is the one that device's settings give.
   */
  async function rejectedBytes(ev: Extract<FramerEvent, { kind: 'rejected' }>, receivedAt: Date): Promise<void> {
    const text = ev.raw.toString('latin1');
    let reason: string = ev.reason;
    let detail = ev.detail;
    const mn = ev.reason === 'garbage' || ev.truncated ? undefined : peekMn(text);
    const logger = mn === undefined ? undefined : await d.auth.settingsOf(mn).catch(() => undefined);
    if (ev.reason !== 'garbage' && !ev.truncated) {
      const own = parseFrame(text, logger ? { tolerances: logger.tolerances as Tolerance[], maxDataLength: logger.maxDataLength } : {});
      if (!own.ok) ({ reason, detail } = own);
    }
    m.framesRejected.inc({ reason });
    const note = ev.truncated ? ' (raw bytes cut at the frame size limit)' : '';
    await reject(
      { reason: 'hj212_rejected', detail: `${reason}: ${detail}${note}` },
      text,
      logger?.deviceId ?? (mn ? mnToDevice.get(mn) : undefined),
      receivedAt,
    );
  }

  function onEvent(ev: FramerEvent, receivedAt: Date): void {
    m.framesReceived.inc();
    if (ev.kind === 'rejected') {
      void track(rejectedBytes(ev, receivedAt)).catch((err: unknown) => log.warn({ err, remote }, 'dead letter not produced'));
      return;
    }
    const p = track(onFrame(ev.frame, ev.text, receivedAt));
    replyChain = replyChain
      .then(() => p)
      .then(write, (err: unknown) =>
        log.warn({ err, remote, mn: ev.frame.mn }, 'frame not stored; left unanswered for the logger to resend'),
      );
  }

  const expiry = setInterval(
    () => {
      for (const msg of assembler.expire()) void emit(msg);
    },
    Math.min(1000, s.splitTimeoutMs),
  );
  expiry.unref();

  socket.setNoDelay(true);
  socket.setTimeout(s.idleTimeoutMs);
  socket.on('timeout', () => close('idle'));
  socket.on('data', (chunk: Buffer) => {
    m.bytesReceived.inc(chunk.length);
    const receivedAt = new Date(d.now());
    for (const ev of framer.push(chunk)) onEvent(ev, receivedAt);
  });
  socket.on('end', () => {
    const receivedAt = new Date(d.now());
    for (const ev of framer.end()) onEvent(ev, receivedAt);
    // Answer what is still in flight, then close our side.
    void replyChain.finally(() => socket.end());
  });
  socket.on('error', (err) => log.debug({ err, remote }, 'logger connection error'));
  socket.on('close', () => close('peer_closed'));
  return conn;
}
