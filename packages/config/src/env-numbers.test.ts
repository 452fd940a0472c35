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
