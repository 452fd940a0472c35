import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The API's Prometheus registry: process metrics plus requests by route template and status, and latency. */
export interface ApiMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly latency: Histogram<'method' | 'route'>;
  readonly sseClients: { inc(): void; dec(): void };
}

/** Builds the registry (one per app, so tests can build several apps in one process). */
export function createApiMetrics(): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'voc_api_requests_total',
    help: 'HTTP requests by method, route template (not the raw path: bounded cardinality) and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'voc_api_request_duration_seconds',
    help: 'HTTP request latency by method and route template',
    labelNames: ['method', 'route'] as const,
    // 1 ms .. 10 s: the p99 target of the bucketed and latest routes is 50 ms.
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  const sse = new Gauge({ name: 'voc_api_sse_clients', help: 'Connected alert-stream clients', registers: [registry] });
  return { registry, requests, latency, sseClients: { inc: () => sse.inc(), dec: () => sse.dec() } };
}
