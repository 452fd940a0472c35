import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import mqttPacket, { type IConnectPacket, type Packet } from 'mqtt-packet';
import type { InflightBudget } from './budget.js';
import { Framer, type OversizeFrame } from './framer.js';
import type { ResolvedOptions } from './options.js';
import { CONNACK_UNSUPPORTED_PROTOCOL, REASON, connackCode } from './reason-codes.js';
import type { ConnectRefusal, Logger, MqttServerMetrics, Ports, ProtocolVersion } from './types.js';
import { handlePublish, handleOversize, type Inflight } from './publish.js';

/** What a connection needs from its server. */
export interface ConnectionContext {
  readonly opts: ResolvedOptions;
  readonly ports: Ports;
  readonly log: Logger;
  readonly metrics: MqttServerMetrics;
  readonly budget: InflightBudget;
  /** Registers an authenticated connection (takeover of the same client id); returns a refusal when the client id belongs to another device. */
  register(conn: Connection): ConnectRefusal | undefined;
  /** Called once when the socket closed. */
  closed(conn: Connection): void;
  /** True once the server stopped accepting. */
  readonly stopping: boolean;
}

type State = 'awaiting_connect' | 'authenticating' | 'connected' | 'closing';

/** One device connection: framing, CONNECT, keep-alive, the in-flight window and ordered PUBACKs. */
export class Connection {
  state: State = 'awaiting_connect';
  deviceId: string | undefined;
  clientId = '';
  version: ProtocolVersion = 4;
  /** Publishes of this connection not yet acknowledged, in arrival order (the window). */
  readonly inflight: Inflight[] = [];
  readonly remoteAddress: string;
  /** Set at accept when a cap is reached: the CONNECT is answered with this refusal. */
  refuseWith: ConnectRefusal | undefined;
  private readonly framer: Framer;
  private readonly parser = mqttPacket.parser();
  private parsed: Packet[] = [];
  private parseError: Error | undefined;
  private timer: NodeJS.Timeout | undefined;
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private paused = false;
  private readonly unsubscribeBudget: () => void;
  private oversizeTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly socket: Socket,
    readonly ctx: ConnectionContext,
    readonly tls: boolean,
  ) {
    this.remoteAddress = socket.remoteAddress ?? 'unknown';
    const { opts } = ctx;
    // An oversize PUBLISH keeps its topic (≤ 65,535 bytes), packet id, properties and payload head.
    this.framer = new Framer(opts.maxPacketBytes, Math.min(opts.maxPacketBytes, 2 + 65_535 + 2 + 4 + 4096) + opts.oversizeHeadBytes);
    this.parser.on('packet', (p: Packet) => this.parsed.push(p));
    this.parser.on('error', (err: Error) => (this.parseError = err));
    this.unsubscribeBudget = ctx.budget.onResume(() => this.pump());
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => ctx.log.debug({ err, remoteAddress: this.remoteAddress }, 'MQTT socket error'));
    socket.on('close', () => this.onClose());
    this.timer = setTimeout(() => {
      ctx.metrics.inc('connects_refused', { reason: 'timeout' });
      this.destroy('connect_timeout');
    }, opts.connectTimeoutMs);
  }

  /** True when this socket is not being read now. */
  get isPaused(): boolean {
    return this.paused;
  }
  /** Bytes read and not yet decoded. */
  get bufferedBytes(): number {
    return this.framer.buffered;
  }

  private onData(chunk: Buffer): void {
    if (this.state === 'closing') return; // discarded: the connection is ending
    this.framer.push(chunk);
    this.pump();
  }

  /** Why reading must stop now, or undefined. */
  private blockedBy(): 'auth' | 'stopping' | 'window' | 'global' | undefined {
    if (this.state === 'authenticating') return 'auth';
    if (this.ctx.stopping && this.state === 'connected') return 'stopping';
    if (this.inflight.length >= this.ctx.opts.receiveMaximum) return 'window';
    if (this.ctx.budget.paused) return 'global';
    return undefined;
  }

  /** Decodes and handles buffered packets while nothing blocks; pauses or resumes the socket to match. */
  pump(): void {
    for (;;) {
      if (this.state === 'closing') return;
      const blocked = this.blockedBy();
      if (blocked) {
        if (!this.paused) {
          this.paused = true;
          this.socket.pause();
          if (blocked === 'window' || blocked === 'global') this.ctx.metrics.inc('socket_pauses', { cause: blocked });
        }
        return;
      }
      const out = this.framer.next();
      if (!out) break;
      if (out.kind === 'malformed') return this.protocolClose(REASON.malformed_packet, 'malformed fixed header');
      if (out.kind === 'oversize') return this.onOversize(out);
      this.parser.parse(out.bytes);
      const packets = this.parsed;
      this.parsed = [];
      if (this.parseError) return this.protocolClose(REASON.malformed_packet, this.parseError.message);
      for (const p of packets) this.onPacket(p, out.bytes.length);
    }
    if (this.paused) {
      this.paused = false;
      this.socket.resume();
    }
    // Waiting for the rest of an oversize packet's head: report what came if the rest is slow.
    if (this.framer.partialOversize() && !this.oversizeTimer) {
      this.oversizeTimer = setTimeout(() => {
        const partial = this.framer.partialOversize();
        if (partial && this.state !== 'closing') this.onOversize(partial);
      }, 2_000);
    }
  }

  private onPacket(p: Packet, bytes: number): void {
    this.keepAliveTimer?.refresh();
    if (this.state === 'awaiting_connect') {
      if (p.cmd !== 'connect') return this.destroy('first packet not CONNECT'); // MQTT 5.0 §3.1: close without CONNACK
      void this.onConnect(p);
      return;
    }
    switch (p.cmd) {
      case 'publish':
        this.idleTimer?.refresh();
        return handlePublish(this, p, bytes);
      case 'pingreq':
        return this.send({ cmd: 'pingresp' });
      case 'disconnect':
        this.ctx.metrics.inc('disconnects', { reason: 'client' });
        this.state = 'closing';
        this.socket.end();
        return;
      case 'subscribe':
        // No downlink: every subscription is refused (0x87 not authorised; 0x80 failure in 3.1.1, §3.9.3).
        return this.send({
          cmd: 'suback',
          messageId: p.messageId,
          granted: p.subscriptions.map(() => (this.version === 5 ? REASON.not_authorized : 0x80)),
        });
      case 'unsubscribe':
        return this.send({
          cmd: 'unsuback',
          messageId: p.messageId,
          ...(this.version === 5 ? { granted: p.unsubscriptions.map(() => 0x11) } : {}),
        } as Packet);
      case 'connect':
        return this.protocolClose(REASON.protocol_error, 'second CONNECT'); // §3.1: a protocol error
      case 'auth':
      case 'connack':
      case 'puback':
      case 'pubrec':
      case 'pubrel':
      case 'pubcomp':
      case 'suback':
      case 'unsuback':
      case 'pingresp':
        // The adapter never publishes to devices and offers no enhanced authentication.
        return this.protocolClose(REASON.protocol_error, `unexpected ${p.cmd}`);
    }
  }

  private async onConnect(p: IConnectPacket): Promise<void> {
    const { ctx } = this;
    clearTimeout(this.timer);
    if (p.protocolVersion !== 4 && p.protocolVersion !== 5) {
      this.version = 4;
      ctx.metrics.inc('connects_refused', { reason: 'protocol' });
      return this.refuseRaw(CONNACK_UNSUPPORTED_PROTOCOL.v4, 'unsupported protocol level');
    }
    this.version = p.protocolVersion;
    this.state = 'authenticating';
    const refuse = (reason: ConnectRefusal): void => {
      ctx.metrics.inc('connects_refused', { reason });
      ctx.log.info({ clientId: p.clientId, username: p.username, remoteAddress: this.remoteAddress, reason }, 'MQTT CONNECT refused');
      this.refuseRaw(connackCode(reason, this.version), reason);
    };
    if (ctx.stopping) return refuse('server_unavailable');
    if (this.refuseWith) return refuse(this.refuseWith);
    if (p.clientId === '' && this.version === 4 && !p.clean) return refuse('client_id_not_allowed'); // 3.1.1 §3.1.3.1
    let result;
    try {
      let authTimer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => (authTimer = setTimeout(() => resolve('timeout'), ctx.opts.authTimeoutMs)));
      result = await Promise.race([
        ctx.ports.authenticate({
          clientId: p.clientId,
          username: p.username,
          password: p.password,
          protocolVersion: this.version,
          remoteAddress: this.remoteAddress,
          tls: this.tls,
        }),
        timeout,
      ]);
      clearTimeout(authTimer);
    } catch (err) {
      ctx.log.warn({ err, clientId: p.clientId }, 'authenticate failed; CONNECT refused as server unavailable');
      result = 'timeout' as const;
    }
    if ((this.state as State) === 'closing') return;
    if (result === 'timeout') return refuse('server_unavailable');
    if (!result.ok) return refuse(result.reason);
    if (ctx.stopping) return refuse('server_unavailable');
    this.deviceId = result.deviceId;
    const assigned = p.clientId === '' ? `${result.deviceId}-${randomBytes(6).toString('hex')}` : undefined;
    this.clientId = assigned ?? p.clientId;
    const conflict = ctx.register(this);
    if (conflict) {
      this.deviceId = undefined;
      return refuse(conflict);
    }
    this.state = 'connected';
    const sessionExpiry = p.properties?.sessionExpiryInterval ?? 0;
    // The adapter keeps no per-client state a device could lose (no subscriptions, no QoS 2): every
    // device's session is empty and lasts, so it is "present" whenever the client asked to keep it.
    const sessionPresent = this.version === 5 ? !p.clean && sessionExpiry > 0 : !p.clean;
    const keepAlive =
      this.version === 5 && ctx.opts.serverKeepAliveSeconds !== undefined
        ? ctx.opts.serverKeepAliveSeconds
        : p.keepalive || ctx.opts.defaultKeepAliveSeconds;
    this.send({
      cmd: 'connack',
      returnCode: 0,
      reasonCode: 0,
      sessionPresent,
      ...(this.version === 5
        ? {
            properties: {
              receiveMaximum: ctx.opts.receiveMaximum,
              maximumPacketSize: ctx.opts.maxPacketBytes,
              maximumQoS: 1,
              retainAvailable: false,
              wildcardSubscriptionAvailable: false,
              subscriptionIdentifiersAvailable: false,
              sharedSubscriptionAvailable: false,
              topicAliasMaximum: 0,
              ...(ctx.opts.serverKeepAliveSeconds !== undefined ? { serverKeepAlive: ctx.opts.serverKeepAliveSeconds } : {}),
              ...(assigned ? { assignedClientIdentifier: assigned } : {}),
            },
          }
        : {}),
    });
    if (keepAlive > 0) {
      // MQTT 5.0 §3.1.2.10: no packet within 1.5 × Keep Alive → the server closes the connection.
      this.keepAliveTimer = setTimeout(() => this.close(REASON.keep_alive_timeout, 'keep_alive_timeout'), keepAlive * 1500);
    }
    if (ctx.opts.idleTimeoutMs > 0)
      this.idleTimer = setTimeout(() => this.close(REASON.administrative_action, 'idle_timeout'), ctx.opts.idleTimeoutMs);
    ctx.log.debug({ deviceId: this.deviceId, clientId: this.clientId, version: this.version, tls: this.tls }, 'MQTT device connected');
    this.pump();
  }

  /**
   * Keep-alive or idle expiry. While the adapter itself holds the device back (socket paused, publishes
   * in flight) the silence is ours, not the device's: the timer restarts instead of closing.
   */
  private expire(timer: NodeJS.Timeout | undefined, code: number, why: string): void {
    if (this.paused || this.inflight.length > 0) {
      timer?.refresh();
      return;
    }
    this.close(code, why);
  }

  private onOversize(o: OversizeFrame): void {
    clearTimeout(this.oversizeTimer);
    this.ctx.metrics.inc('oversize');
    if (this.state !== 'connected' || o.typeAndFlags >> 4 !== 3) {
      return this.protocolClose(REASON.packet_too_large, 'packet_too_large');
    }
    this.state = 'closing';
    this.socket.resume(); // read and discard the rest until the close
    void handleOversize(this, o).finally(() => this.close(REASON.packet_too_large, 'packet_too_large'));
  }

  /** Writes one packet in this connection's protocol version. */
  send(p: Packet): void {
    if (this.socket.destroyed || this.socket.writableEnded) return;
    this.socket.write(mqttPacket.generate(p, { protocolVersion: this.version }));
  }

  private refuseRaw(code: number, why: string): void {
    this.state = 'connected'; // so send() encodes; closing follows at once
    this.send({ cmd: 'connack', returnCode: code, reasonCode: code, sessionPresent: false });
    this.end(why);
  }

  /** Protocol violation: MQTT 5 gets DISCONNECT with `code`; 3.1.1 a plain close (§4.13). */
  protocolClose(code: number, why: string): void {
    this.ctx.log.info({ deviceId: this.deviceId, remoteAddress: this.remoteAddress, why }, 'MQTT connection closed on a protocol error');
    this.close(code, why);
  }

  /**
   * Closes the connection: on MQTT 5 after a DISCONNECT carrying `code`, on 3.1.1 silently. Unsettled
   * publishes get no PUBACK (their handlers still run and release the budget).
   */
  close(code: number, why: string): void {
    if (this.socket.destroyed || this.socket.writableEnded) return;
    this.ctx.metrics.inc('disconnects', { reason: why });
    if (this.version === 5 && this.deviceId !== undefined) this.send({ cmd: 'disconnect', reasonCode: code });
    this.end(why);
  }

  private end(why: string): void {
    this.state = 'closing';
    this.socket.resume(); // keep reading (and discarding) so the peer can take our last packet
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1_000).unref();
    this.ctx.log.debug({ deviceId: this.deviceId, why }, 'MQTT connection closing');
  }

  private destroy(why: string): void {
    this.ctx.metrics.inc('disconnects', { reason: why });
    this.state = 'closing';
    this.socket.destroy();
  }

  private onClose(): void {
    this.state = 'closing';
    for (const t of [this.timer, this.keepAliveTimer, this.idleTimer, this.oversizeTimer]) clearTimeout(t);
    this.unsubscribeBudget();
    this.ctx.metrics.inc('connections_closed');
    this.ctx.closed(this);
  }
}
