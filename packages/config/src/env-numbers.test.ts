import { describe, expect, it } from 'vitest';
import { loadConfig } from './index.js';

/** The message of the `VOC_ERR_CONFIG_INVALID` error `loadConfig(env)` throws. */
function problems(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('loadConfig accepted the environment');
}

describe('numeric environment variables', () => {
  it('use their default when unset', () => {
    const cfg = loadConfig({});
    expect(cfg.ingest.allowedLatenessMs).toBe(7 * 24 * 3600 * 1000);
    expect(cfg.mqtt.receiveMaximum).toBe(64);
  });

  it('refuse an empty or blank value instead of reading it as 0', () => {
    const msg = problems({ VOC_ALLOWED_LATENESS_MS: '', VOC_MAX_CLOCK_SKEW_MS: '  ', VOC_HOTSPOT_RATIO: '' });
    expect(msg).toContain('VOC_ALLOWED_LATENESS_MS: is empty');
    expect(msg).toContain('VOC_MAX_CLOCK_SKEW_MS: is empty');
    expect(msg).toContain('VOC_HOTSPOT_RATIO: is empty');
  });

  it('refuse text that is not a number', () => {
    expect(problems({ VOC_GATEWAY_MAX_BATCH: 'abc' })).toContain('VOC_GATEWAY_MAX_BATCH');
  });

  it('refuse MQTT 5 and TCP values the protocols cannot carry', () => {
    const msg = problems({
      VOC_MQTT_RECEIVE_MAXIMUM: '70000',
      VOC_MQTT_SERVER_KEEP_ALIVE_S: '70000',
      VOC_MQTT_PORT: '99999',
      PGPORT: '99999',
    });
    expect(msg).toContain('VOC_MQTT_RECEIVE_MAXIMUM');
    expect(msg).toContain('VOC_MQTT_SERVER_KEEP_ALIVE_S');
    expect(msg).toContain('VOC_MQTT_PORT');
    expect(msg).toContain('PGPORT');
    const cfg = loadConfig({ VOC_MQTT_RECEIVE_MAXIMUM: '65535', VOC_MQTT_SERVER_KEEP_ALIVE_S: '65535' });
    expect(cfg.mqtt.receiveMaximum).toBe(65535);
    expect(cfg.mqtt.serverKeepAliveSeconds).toBe(65535);
  });

  it('still read the bounded hotspot settings', () => {
    expect(loadConfig({ VOC_HOTSPOT_RESOLUTION: '9' }).hotspot.resolution).toBe(9);
    expect(problems({ VOC_HOTSPOT_RESOLUTION: '11' })).toContain('VOC_HOTSPOT_RESOLUTION');
  });
});

describe('default endpoints follow the stack ports', () => {
  it('points Kafka, Redis and MQTT at VOC_KAFKA_PORT, VOC_REDIS_PORT and VOC_MQTT_PORT unless given', () => {
    const c = loadConfig({ VOC_KAFKA_PORT: '29092', VOC_REDIS_PORT: '26380', VOC_MQTT_PORT: '21884' });
    expect(c.kafka.brokers).toEqual(['127.0.0.1:29092']);
    expect(c.redis.url).toBe('redis://127.0.0.1:26380');
    expect(c.mqtt.url).toBe('mqtt://127.0.0.1:21884');
    expect(loadConfig({ VOC_KAFKA_PORT: '29092', VOC_KAFKA_BROKERS: 'k1:9092, k2:9092' }).kafka.brokers).toEqual(['k1:9092', 'k2:9092']);
  });
});
