import { listenOn } from '@voc/config';
import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import type { WriterApp } from './app.js';

/**
 * Prometheus `/metrics` of the stream writer on `port` (VOC_WRITER_METRICS_PORT; 0: none): its
 * throughput, errors and retries (the counters of its summary line) and the process metrics.
 * @returns a close function, once it listens
 * @throws Error naming the port and its setting when the port is taken
 */
export async function serveWriterMetrics(app: WriterApp, port: number, host = '127.0.0.1'): Promise<() => Promise<void>> {
  if (port === 0) return () => Promise.resolve();
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const counter = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  const s = () => app.summary();
  counter('voc_writer_batches_total', 'Kafka batches stored and committed', () => s().readings.batches);
  counter('voc_writer_messages_total', 'reading records consumed', () => s().readings.messages);
  counter('voc_writer_rows_inserted_total', 'reading rows newly inserted', () => s().readings.rowsInserted);
  counter('voc_writer_duplicates_total', 'reading rows skipped as already stored (redelivery)', () => s().readings.duplicates);
  counter('voc_writer_dead_lettered_total', 'records sent to the dead-letter topic (errors)', () => s().readings.deadLettered);
  counter('voc_writer_retries_total', 'batch retries after transient failures', () => s().readings.retries);
  counter('voc_writer_abandoned_total', 'batches given up at shutdown (redelivered later)', () => s().readings.abandoned);
  const server: Server = createServer((req, res) => {
    if (req.url !== '/metrics') return void res.writeHead(404).end();
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  await listenOn(server, port, host, 'VOC_WRITER_METRICS_PORT');
  return () => new Promise((r) => server.close(() => r()));
}
