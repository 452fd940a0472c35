import { listenOn } from '@voc/config';
import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { HotspotWorker } from './app.js';

/**
 * Prometheus `/metrics` of the hotspot worker on `port` (VOC_HOTSPOT_METRICS_PORT; 0: none): the
 * evaluation queue's jobs by state (waiting = lag, active = in flight, failed = errors, completed =
 * throughput) and the process metrics.
 * @returns a close function, once it listens
 * @throws Error naming the port and its setting when the port is taken
 */
export async function serveHotspotMetrics(worker: HotspotWorker, port: number, host = '127.0.0.1'): Promise<() => Promise<void>> {
  if (port === 0) return () => Promise.resolve();
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'voc_hotspot_jobs',
    help: 'evaluation jobs of the BullMQ queue by state',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const counts = await worker.queue.getJobCounts('waiting', 'delayed', 'active', 'completed', 'failed');
      for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
    },
  });
  const server: Server = createServer((req, res) => {
    if (req.url !== '/metrics') return void res.writeHead(404).end();
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  await listenOn(server, port, host, 'VOC_HOTSPOT_METRICS_PORT');
  return () => new Promise((r) => server.close(() => r()));
}
