import { describe, expect, it } from 'vitest';
import { createLogger, loadConfig, SECRET_DEFAULTS } from './index.js';

describe('service logger', () => {
  it('redacts every secret of a logged configuration', () => {
    const lines: string[] = [];
    const log = createLogger('test', 'info', { write: (s: string) => void lines.push(s) });
    const secrets = { VOC_KAFKA_GATEWAY_PASSWORD: 'kafka-secret-0123456789', VOC_PG_GATEWAY_PASSWORD: 'pg-secret-0123456789' };
    const config = loadConfig({ ...secrets, VOC_REDIS_PASSWORD: 'redis-secret-0123456789' }, { service: 'gateway' });
    log.info({ config }, 'config');
    log.info({ kafka: config.kafka, pg: config.pg, redis: config.redis, mqtt: config.mqtt }, 'parts');
    const out = lines.join('');
    expect(out).toContain('[redacted]');
    for (const v of [...Object.values(secrets), 'redis-secret-0123456789', ...Object.values(SECRET_DEFAULTS).filter(Boolean)])
      expect(out).not.toContain(v);
    expect(out).toContain(config.kafka.brokers[0]);
  });

  it("redacts the SCRAM exchange in kafkajs debug lines (a response's salt, nonce and server signature allow offline password guessing)", () => {
    const lines: string[] = [];
    const log = createLogger('test', 'debug', { write: (s: string) => void lines.push(s) });
    // The shape kafkajs logs for "Response SaslAuthenticate" at debug level (KAFKAJS_LOG_LEVEL=debug), through createKafka's logCreator.
    const serverFirst = Buffer.from('r=clientnonceservernonce,s=c2FsdHNhbHQ=,i=4096');
    log.debug(
      { kafka: { broker: '127.0.0.1:9092', correlationId: 2, data: { errorCode: 0, errorMessage: '', authBytes: serverFirst } } },
      'Response SaslAuthenticate',
    );
    const out = lines.join('');
    expect(out).toContain('Response SaslAuthenticate');
    expect(out).not.toContain(JSON.stringify([...serverFirst.subarray(0, 8)]).slice(1, -1));
    expect(out).toContain('[redacted]');
  });
});
