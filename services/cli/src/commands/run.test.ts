import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCommands } from './run.js';

afterEach(() => vi.restoreAllMocks());

describe('runCommands', () => {
  it('says a database is not migrated instead of printing the driver error', async () => {
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (written.push(String(s)), true));
    const missing = Object.assign(new Error('relation "api_keys" does not exist'), { code: '42P01' });
    const cmd = { name: 'keys list', summary: '', usage: 'voc keys list', run: () => Promise.reject(missing) };
    expect(await runCommands([cmd], 'voc', ['keys', 'list'])).toBe(1);
    expect(written.join('')).toMatch(
      /^voc keys list: database "[^"]+" is not migrated \(relation "api_keys" does not exist\); run `npm run stack:up`/,
    );
  });
});
