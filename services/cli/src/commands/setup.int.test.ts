import { silentLogger } from '@voc/domain/testing';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '@voc/config';
import { createKafka, topicNames } from '@voc/messaging';
import { setupCommand } from './setup.js';

const PREFIX = `t-${randomUUID().slice(0, 8)}.`;
const silent = silentLogger;

describe('voc setup', () => {
  const admin = createKafka(loadConfig().kafka, silent).admin();

  afterAll(async () => {
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(PREFIX));
    if (mine.length > 0) await admin.deleteTopics({ topics: mine });
    await admin.disconnect();
    vi.unstubAllEnvs();
  });

  it('creates the topics under VOC_KAFKA_TOPIC_PREFIX, the names the gateway and writer look for', async () => {
    vi.stubEnv('VOC_KAFKA_TOPIC_PREFIX', PREFIX);
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    let printed: string;
    try {
      expect(await setupCommand.run([])).toBe(0);
      expect(await setupCommand.run([])).toBe(0);
    } finally {
      printed = out.mock.calls.map((c) => String(c[0])).join('');
      out.mockRestore();
    }
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    for (const name of Object.values(topicNames(PREFIX))) expect(existing.has(name), name).toBe(true);
    expect(printed).toContain(`created ${PREFIX}voc.readings.v1`);
    expect(printed).toContain('kafka topics: up to date');
  });
});
