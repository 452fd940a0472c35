import { describe, expect, it } from 'vitest';
import { AnswerCache } from './coalesce.js';

describe('AnswerCache', () => {
  it('shares one computation among identical concurrent requests, and its error too', async () => {
    const c = new AnswerCache({ maxEntries: 10, maxChars: 1000, ttlMs: 1000 });
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const compute = async () => {
      runs++;
      await gate;
      return 'body';
    };
    const all = Promise.all(Array.from({ length: 50 }, () => c.get('k', false, compute)));
    release();
    expect(await all).toEqual(Array(50).fill('body'));
    expect(runs).toBe(1);
    expect(c.stats).toEqual({ hits: 0, joined: 49, computed: 1 });
    // Not kept: the next request computes again.
    await c.get('k', false, compute);
    expect(runs).toBe(2);
    const failing = () => Promise.reject(new Error('no device'));
    await expect(Promise.all([c.get('e', true, failing), c.get('e', true, failing)])).rejects.toThrow('no device');
    await expect(c.get('e', true, async () => 'now fine')).resolves.toBe('now fine'); // errors are not kept
  });

  it('keeps answers for their ttl within its bounds, least recently used out first', async () => {
    let now = 0;
    const c = new AnswerCache({ maxEntries: 2, maxChars: 10, ttlMs: 100, clock: () => now });
    let runs = 0;
    const body = (s: string) => async () => {
      runs++;
      return s;
    };
    await c.get('a', true, body('aaaa'));
    await c.get('b', true, body('bbbb'));
    await c.get('a', true, body('x')); // hit; a is now the most recent
    await c.get('c', true, body('cccc')); // over 2 entries / 10 chars: b goes
    expect(runs).toBe(3);
    expect(await c.get('a', true, body('new a'))).toBe('aaaa');
    expect(await c.get('b', true, body('new b'))).toBe('new b');
    now = 1000; // past the ttl
    expect(await c.get('a', true, body('fresh a'))).toBe('fresh a');
  });
});
