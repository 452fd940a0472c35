import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@voc/config';
import { silentLogger } from '@voc/domain/testing';
import { WebhookRepository } from './enforcement.js';
import { createPool } from './pool.js';

// Two API instances share one database: the webhook dispatch lock lets one of them deliver at a time.
const cfg = loadConfig();
const a = createPool(cfg.pg, silentLogger, 'webhook-lock-a');
const b = createPool(cfg.pg, silentLogger, 'webhook-lock-b');
afterAll(async () => {
  await a.end();
  await b.end();
});

describe('webhook dispatch lock', () => {
  it('runs one instance at a time, frees the lock when done or failed', async () => {
    const one = new WebhookRepository(a);
    const two = new WebhookRepository(b);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const first = one.exclusive(async () => {
      await held;
      return 'first';
    });
    await new Promise((r) => setTimeout(r, 200)); // the first holds the lock
    expect(await two.exclusive(async () => 'second')).toBeUndefined();
    release();
    expect(await first).toBe('first');
    expect(await two.exclusive(async () => 'second')).toBe('second');
    await expect(one.exclusive(async () => Promise.reject(new Error('delivery failed')))).rejects.toThrow('delivery failed');
    expect(await two.exclusive(async () => 'after a failure')).toBe('after a failure');
  });
});
