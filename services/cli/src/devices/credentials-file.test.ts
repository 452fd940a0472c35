import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mergeCredentialsFile, readCredentialsFile } from './credentials-file.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('credentials file', () => {
  it('merges new credentials into the file and keeps it private (0600)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'voc-cred-'));
    dirs.push(dir);
    const path = join(dir, 'credentials.json');
    await writeFile(
      path,
      JSON.stringify({ a: { username: 'a', password: 'old', topic: 't/a' }, b: { username: 'b', password: 'pb', topic: 't/b' } }),
      { mode: 0o644 },
    );
    await mergeCredentialsFile(path, {
      a: { username: 'a', password: 'new', topic: 't/a' },
      c: { username: 'c', password: 'pc', topic: 't/c' },
    });
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({
      a: { username: 'a', password: 'new', topic: 't/a' },
      b: { username: 'b', password: 'pb', topic: 't/b' },
      c: { username: 'c', password: 'pc', topic: 't/c' },
    });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('reads a missing file as empty and refuses a foreign one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'voc-cred-'));
    dirs.push(dir);
    expect(await readCredentialsFile(join(dir, 'none.json'))).toEqual({});
    await writeFile(join(dir, 'x.json'), '[1,2]');
    await expect(readCredentialsFile(join(dir, 'x.json'))).rejects.toMatchObject({ code: 'VOC_ERR_INVALID_REQUEST' });
  });
});
