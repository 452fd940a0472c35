import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { InflightBudget } from './budget.js';
import { Connection, type ConnectionContext } from './connection.js';
import { resolveOptions, type MqttServerOptions } from './options.js';
import { REASON } from './reason-codes.js';
import type { ConnectRefusal, MqttServerMetrics, MqttServerSnapshot } from './types.js';

/** Bound ports of the listeners after `listen()`. */
export interface ListeningAddresses {
  readonly tcp?: AddressInfo;
  readonly tls?: AddressInfo;
}

/** Why `disconnectDevice` closes a connection; MQTT 5 DISCONNECT code in brackets. */
export type DisconnectReason = 'administrative_action' | 'not_authorized' | 'server_shutting_down';

/** The device-facing MQTT endpoint. */
export interface MqttServer {
  /** Binds the configured listeners; resolves with their addresses (useful with port 0). */
  listen(): Promise<ListeningAddresses>;
  /**
   * Closes every live connection of `deviceId` (e.g. just disabled): MQTT 5 gets DISCONNECT with the
   * reason (0x98 administrative action by default, 0x87 not authorised). Unsettled publishes get no PUBACK.
   * @returns how many connections were closed
   */
  disconnectDevice(deviceId: string, reason?: DisconnectReason): number;
  /** In-flight counts and bytes, connections, paused sockets: for gauges and benchmarks. */
  snapshot(): MqttServerSnapshot;
  /**
   * Graceful stop: stops accepting, stops reading sockets, waits until every publish handed to the
   * handler settled and its PUBACK left (at most `deadlineMs`, default 10 s), then disconnects every
   * device (MQTT 5: 0x8B server shutting down) and closes the listeners.
   * @returns true when everything in flight settled before the deadline
   */
  close(deadlineMs?: number): Promise<boolean>;
}

const DISCONNECT_CODES = {
  administrative_action: REASON.administrative_action,
  not_authorized: REASON.not_authorized,
  server_shutting_down: REASON.server_shutting_down,
} as const satisfies Record<DisconnectReason, number>;

const NO_METRICS: MqttServerMetrics = { inc: () => undefined };

/**
 * Builds the MQTT endpoint (MQTT 3.1.1 and 5.0 over TCP and TLS) in front of the caller's ports:
 * `authenticate` decides CONNECT, `authorizePublish` each topic, `onPublish` takes each message and
 * its promise holds the PUBACK. Back-pressure instead of buffering: a per-connection window of
 * `receiveMaximum` unacknowledged publishes and a global in-flight byte budget; when either is full
 * the socket is not read. See the package README for reason codes and limits.
 * @throws RangeError on an invalid option
 */
export function createMqttServer(options: MqttServerOptions): MqttServer {
  const opts = resolveOptions(options);
  const log = options.log;
  const metrics = options.metrics ?? NO_METRICS;
  const budget = new InflightBudget(opts.maxInflightBytes, opts.resumeInflightBytes);
  const sockets = new Set<Connection>();
  const perAddress = new Map<string, number>();
  const byClientId = new Map<string, Connection>();
  const byDevice = new Map<string, Set<Connection>>();
  const servers: Server[] = [];
  let stopping = false;

  const ctx: ConnectionContext = {
    opts,
    ports: options.ports,
    log,
    metrics,
    budget,
    get stopping() {
      return stopping;
    },
    register(conn): ConnectRefusal | undefined {
      const id = conn.clientId;
      const deviceId = conn.deviceId as string;
      const existing = byClientId.get(id);
      if (existing && existing.deviceId !== deviceId) return 'client_id_not_allowed';
      // Takeover (MQTT 5.0 §3.1.4-3, 3.1.1 §3.1.4-2): the older connection with this client id is closed.
      if (existing) existing.close(REASON.session_taken_over, 'session_taken_over');
      byClientId.set(id, conn);
      let set = byDevice.get(deviceId);
      if (!set) byDevice.set(deviceId, (set = new Set()));
      set.add(conn);
      return undefined;
    },
    closed(conn) {
      sockets.delete(conn);
      const n = (perAddress.get(conn.remoteAddress) ?? 1) - 1;
      if (n <= 0) perAddress.delete(conn.remoteAddress);
      else perAddress.set(conn.remoteAddress, n);
      if (conn.clientId && byClientId.get(conn.clientId) === conn) byClientId.delete(conn.clientId);
      if (conn.deviceId !== undefined) {
        const set = byDevice.get(conn.deviceId);
        set?.delete(conn);
        if (set?.size === 0) byDevice.delete(conn.deviceId);
      }
      for (const w of [...idleWaiters]) w();
    },
  };
  const idleWaiters = new Set<() => void>();

  function accept(socket: Socket, tls: boolean): void {
    if (stopping) {
      socket.destroy();
      return;
    }
    metrics.inc('connections_accepted');
    const conn = new Connection(socket, ctx, tls);
    const address = conn.remoteAddress;
    const fromAddress = (perAddress.get(address) ?? 0) + 1;
    perAddress.set(address, fromAddress);
    sockets.add(conn);
    // Over a cap the connection is still read up to its CONNECT, so the refusal carries its reason code.
    if (sockets.size > opts.maxConnections) conn.refuseWith = 'server_busy';
    else if (fromAddress > opts.maxConnectionsPerAddress) conn.refuseWith = 'quota_exceeded';
  }

  return {
    async listen() {
      const out: { tcp?: AddressInfo; tls?: AddressInfo } = {};
      // A cap overrun by a flood is bounded: beyond maxConnections + 100 the kernel connection is dropped.
      const bind = (server: Server, host: string | undefined, port: number): Promise<AddressInfo> => {
        server.maxConnections = opts.maxConnections + 100;
        servers.push(server);
        return new Promise((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, host ?? '0.0.0.0', () => {
            server.off('error', reject);
            server.on('error', (err) => log.error({ err }, 'MQTT listener error'));
            resolve(server.address() as AddressInfo);
          });
        });
      };
      if (options.tcp) {
        out.tcp = await bind(
          createServer((s) => accept(s, false)),
          options.tcp.host,
          options.tcp.port,
        );
      }
      if (options.tls) {
        const t = options.tls;
        const server = createTlsServer(
          { cert: t.cert, key: t.key, ...(t.ca ? { ca: t.ca } : {}), requestCert: t.requestCert ?? false, rejectUnauthorized: false },
          (s) => accept(s, true),
        );
        server.on('tlsClientError', (err) => log.debug({ err }, 'TLS handshake failed'));
        out.tls = await bind(server, t.host, t.port);
      }
      log.info({ tcp: out.tcp?.port, tls: out.tls?.port }, 'MQTT endpoint listening');
      return out;
    },

    disconnectDevice(deviceId, reason = 'administrative_action') {
      const set = byDevice.get(deviceId);
      if (!set) return 0;
      for (const c of [...set]) c.close(DISCONNECT_CODES[reason], reason);
      return set.size;
    },

    snapshot() {
      let paused = 0;
      let buffered = 0;
      let devices = 0;
      for (const c of sockets) {
        if (c.isPaused) paused++;
        if (c.deviceId !== undefined) devices++;
        buffered += c.bufferedBytes;
      }
      return {
        connections: sockets.size,
        devices,
        inflight: budget.count,
        inflightBytes: budget.bytes,
        pausedSockets: paused,
        globalPaused: budget.paused,
        bufferedBytes: buffered,
      };
    },

    async close(deadlineMs = 10_000) {
      stopping = true;
      const listenersClosed = servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
      for (const c of sockets) c.socket.pause();
      const deadline = Date.now() + deadlineMs;
      let settled = budget.count === 0;
      while (!settled && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
        settled = budget.count === 0;
      }
      if (!settled) log.warn({ inflight: budget.count }, 'MQTT endpoint closed with publishes still in flight; devices resend them');
      for (const c of [...sockets]) c.close(REASON.server_shutting_down, 'server_shutting_down');
      const gone = new Promise<void>((resolve) => {
        const check = (): void => {
          if (sockets.size === 0) {
            idleWaiters.delete(check);
            resolve();
          }
        };
        idleWaiters.add(check);
        check();
      });
      await Promise.race([gone, new Promise((r) => setTimeout(r, 2_000))]);
      for (const c of sockets) c.socket.destroy();
      await Promise.all(listenersClosed);
      return settled;
    },
  };
}
