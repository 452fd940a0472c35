import { rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { afterAll, describe, expect, it } from 'vitest';

// The import rules of docs/ARCHITECTURE.md are lint rules (eslint.config.js); this test proves that
// lint refuses each forbidden import, by linting small files placed where the rule applies.
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const written: string[] = [];

async function lintAt(path: string, code: string): Promise<string[]> {
  const file = `${ROOT}${path}`;
  written.push(file);
  await writeFile(file, code);
  const [result] = await new ESLint({ cwd: ROOT }).lintFiles([file]);
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

afterAll(async () => {
  await Promise.all(written.map((f) => rm(f, { force: true })));
});

describe('import boundaries', { timeout: 180_000 }, () => {
  it('refuses pg outside packages/db, deep and relative imports across packages, and services importing services', async () => {
    const messages = await lintAt(
      'packages/core/src/boundary-fixture.ts',
      [
        "import pg from 'pg';",
        "import { createPool } from '@voc/db/src/pool.js';",
        "import { METRICS } from '../../domain/src/metrics.js';",
        "import { buildGateway } from '@voc/gateway';",
        'export const used = [pg, createPool, METRICS, buildGateway];',
        '',
      ].join('\n'),
    );
    expect(messages).toHaveLength(4);
    expect(messages.join('\n')).toMatch(/only packages\/db imports pg/);
    expect(messages.join('\n')).toMatch(/not its files/);
    expect(messages.join('\n')).toMatch(/no relative import across workspaces/);
    expect(messages.join('\n')).toMatch(/never import a service/);
  });

  it('lets packages/db import pg and a service import packages by name', async () => {
    expect(await lintAt('packages/db/src/boundary-fixture.ts', "import pg from 'pg';\nexport const used = pg;\n")).toEqual([]);
    expect(
      await lintAt('services/writer/src/boundary-fixture.ts', "import { createPool } from '@voc/db';\nexport const used = createPool;\n"),
    ).toEqual([]);
  });
});
