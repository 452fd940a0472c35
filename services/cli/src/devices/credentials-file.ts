import { chmod, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import type { CredentialsMap } from '@voc/core';
import { ERROR_CODES, VocError } from '@voc/domain';

const credentialsSchema = z.record(
  z.string(),
  z.object({ username: z.string().min(1), password: z.string().min(1), topic: z.string().min(1) }),
);

/**
 * Reads a credentials file.
 * @returns the map, or `{}` when the file does not exist
 * @throws VocError `VOC_ERR_INVALID_REQUEST` when it is not a credentials JSON object
 */
export async function readCredentialsFile(path: string): Promise<CredentialsMap> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch {
    throw new VocError(ERROR_CODES.invalid_request, `${path} is not JSON`);
  }
  const r = credentialsSchema.safeParse(parsed);
  if (!r.success)
    throw new VocError(
      ERROR_CODES.invalid_request,
      `${path} is not a credentials file ({ "<deviceId>": { "username", "password", "topic" } })`,
    );
  return r.data;
}

/**
 * Merges `issued` into the credentials file at `path` (created if absent; an entry for the same device
 * is replaced) and writes it with mode 0600, atomically (temporary file + rename).
 * @returns the merged map
 */
export async function mergeCredentialsFile(path: string, issued: CredentialsMap): Promise<CredentialsMap> {
  const merged = { ...(await readCredentialsFile(path)), ...issued };
  const tmp = `${path}.tmp-${process.pid}`;
  await rm(tmp, { force: true });
  await writeFile(tmp, JSON.stringify(merged, null, 2) + '\n', { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
  return merged;
}
