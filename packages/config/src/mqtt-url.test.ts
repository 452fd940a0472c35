import { describe, expect, it } from 'vitest';
import { loadConfig } from './index.js';

const message = (url: string): string => {
  try {
    loadConfig({ VOC_MQTT_URL: url });
    return '';
  } catch (err) {
    return (err as Error).message;
  }
};

describe('VOC_MQTT_URL', () => {
  it('defaults to the gateway endpoint on VOC_MQTT_PORT', () => {
    expect(loadConfig({ VOC_MQTT_PORT: '11884' }).mqtt.url).toBe('mqtt://127.0.0.1:11884');
  });

  it('accepts endpoint URLs', () => {
    for (const url of ['mqtt://127.0.0.1:1884', 'mqtts://broker.example:8883', 'ws://gateway:9001/mqtt']) {
      expect(loadConfig({ VOC_MQTT_URL: url }).mqtt.url).toBe(url);
    }
  });

  it('refuses credentials inside the URL, which is logged', () => {
    expect(message('mqtt://voc-gateway:secret@127.0.0.1:1884')).toMatch(/VOC_MQTT_URL: must not hold credentials/);
    expect(message('mqtt://voc-gateway:secret@127.0.0.1:1884')).not.toContain('secret@');
  });

  it('refuses text that is not an MQTT URL at boot', () => {
    expect(message('notaurl')).toMatch(/VOC_MQTT_URL: must be a URL/);
    expect(message('http://127.0.0.1:1884')).toMatch(/VOC_MQTT_URL: must be a URL/);
  });
});
