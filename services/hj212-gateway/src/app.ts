import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '@voc/domain';
import type { TimeLimits } from '@voc/ingest';
import { createAuthenticator, type LoggerDirectory } from './auth.js';
import { serveConnection, type Connection, type ConnectionSettings } from './connection.js';
import { createGatewayMetrics, type GatewayMetrics } from './metrics.js';
import { createBatchingProducer, type RecordSink } from './producer.js';

/** Gateway settings (`config.hj212`). */
export interface Hj212GatewaySettings extends ConnectionSettings {
  readonly maxConnections: number;
  readonly maxConnectionsPerAddress: number;
  /** Frames in flight to Kafka across connections before every socket is paused. */
  readonly maxInflight: number;
  readonly authCacheTtlMs: number;
  readonly lingerMs: number;
  readonly maxBatch: number;
}

/** What {@link buildHj212Gateway} needs. */
export interface Hj212GatewayDeps {
  readonly loggers: LoggerDirectory;
  readonly sink: RecordSink;
  /** `topicNames(config.kafka.topicPrefix)`. */
  readonly topics: { readonly readings: string; readonly deadletter: string };
  readonly settings: Hj212GatewaySettings;
  /** `config.ingest` (lateness and clock-skew limits of `@voc/ingest`). */
  readonly ingest: TimeLimits;
  readonly log: Logger;
  readonly metrics?: GatewayMetrics;
  /** Clock, epoch ms (tests inject). */
  readonly now?: () => number;
  readonly retry?: { initialMs: number; maxMs: number };
}

/** The HJ 212 gateway: a TCP server to listen with, its metrics, and a graceful stop. */
export interface Hj212Gateway {
  /** The server (not listening): `main.ts` calls `listen`, tests listen on port 0. */
  readonly server: Server;
  readonly metrics: GatewayMetrics;
  /** Open connections. */
  connections(): number;
  /** Stops accepting, answers what is in flight (up to `timeoutMs`), closes every connection, stops producing. */
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * Wires the TCP server: connection caps (per address and in total: refused connections are closed at
 * once and counted), one {@link serveConnection} per logger, the shared batching Kafka producer and
 * the global back-pressure (every socket paused while more than `maxInflight` frames wait for Kafka,
 * resumed below half of it).
 */
export function buildHj212Gateway(deps: Hj212GatewayDeps): Hj212Gateway {
  const { settings: s, log } = deps;
  const metrics = deps.metrics ?? createGatewayMetrics();
  const now = deps.now ?? Date.now;
  const auth = createAuthenticator(deps.loggers, { ttlMs: s.authCacheTtlMs, now });
  const producer = createBatchingProducer({
    sink: deps.sink,
    lingerMs: s.lingerMs,
    maxBatch: s.maxBatch,
    log,
    ...(deps.retry ? { retry: deps.retry } : {}),
    onBatch: (_n, seconds) => metrics.kafkaBatchSeconds.observe(seconds),
  });
  const open = new Set<Connection>();
  const perAddress = new Map<string, number>();
  let total = 0;
  let paused = false;
  const flow = {
    add(n: number) {
      total += n;
      const want = paused ? total > s.maxInflight / 2 : total >= s.maxInflight;
      if (want !== paused) {
        paused = want;
        log.info({ inflight: total, paused }, paused ? 'Kafka is slow: pausing every logger socket' : 'resuming logger sockets');
        for (const c of open) c.updateFlow();
      }
    },
    get paused() {
      return paused;
    },
  };
  const server = createServer({ allowHalfOpen: true, pauseOnConnect: false }, (socket: Socket) => {
    const addr = socket.remoteAddress ?? '?';
    const n = perAddress.get(addr) ?? 0;
    if (open.size >= s.maxConnections || n >= s.maxConnectionsPerAddress) {
      const reason = open.size >= s.maxConnections ? 'total_cap' : 'address_cap';
      metrics.connectionsRefused.inc({ reason });
      log.warn({ remote: addr, reason, open: open.size }, 'HJ 212 connection refused');
      socket.destroy();
      return;
    }
    perAddress.set(addr, n + 1);
    metrics.connections.inc();
    const conn = serveConnection(
      socket,
      { auth, producer, topics: deps.topics, settings: s, ingest: deps.ingest, metrics, log, flow, now },
      (c) => {
        if (!open.delete(c)) return;
        metrics.connections.dec();
        const left = (perAddress.get(addr) ?? 1) - 1;
        if (left <= 0) perAddress.delete(addr);
        else perAddress.set(addr, left);
      },
    );
    open.add(conn);
  });
  server.maxConnections = s.maxConnections + 64; // the cap above answers first and counts; this is the kernel-side backstop
  let stopping: Promise<void> | undefined;
  return {
    server,
    metrics,
    connections: () => open.size,
    stop(timeoutMs = 15_000) {
      stopping ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        await Promise.all([...open].map((c) => c.drain(timeoutMs)));
        producer.stop();
        await closed;
        log.info({ connections: open.size }, 'HJ 212 gateway stopped');
      })();
      return stopping;
    },
  };
}
