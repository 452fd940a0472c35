import { API_ROLES, createApiKey, listApiKeys, revokeApiKey } from '@voc/core';
import { ApiKeyRepository } from '@voc/db';
import { commandArgs as args } from './args.js';
import { withPool } from './context.js';
import { UsageError, type Command } from './types.js';

/** `--expires 90d`, `--expires 2027-01-01T00:00:00Z` or `--expires never` → ISO, null or undefined (default). */
function expiry(v: string | undefined, now: number): string | null | undefined {
  if (v === undefined) return undefined;
  if (v === 'never') return null;
  const days = /^(\d{1,5})d$/.exec(v);
  if (days) return new Date(now + Number(days[1]) * 86_400_000).toISOString();
  if (Number.isFinite(Date.parse(v))) return v;
  throw new UsageError(`--expires must be <n>d, an ISO 8601 time or never, got "${v}"`);
}

/** `voc keys create`. */
export const keysCreateCommand: Command = {
  name: 'keys create',
  summary: 'create an HTTP API key (printed once; only its hash is stored)',
  usage: `voc keys create --role <role> [--label text] [--team name] [--street-office id[,id…]] [--expires 90d|<ISO time>|never]

  Roles: ${API_ROLES.join(', ')}. --street-office limits an enforcement key to those street offices.
  Default expiry: VOC_API_KEY_DEFAULT_DAYS (365) days.`,
  async run(argv) {
    const { values } = args(argv, {
      role: { type: 'string' },
      label: { type: 'string' },
      team: { type: 'string' },
      'street-office': { type: 'string' },
      expires: { type: 'string' },
    });
    if (typeof values.role !== 'string') throw new UsageError('--role <role> is required');
    const now = Date.now();
    const offices =
      typeof values['street-office'] === 'string'
        ? values['street-office']
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : undefined;
    const { key, record } = await withPool('voc-keys', (pool, cfg) =>
      createApiKey(
        new ApiKeyRepository(pool),
        {
          role: values.role as string,
          label: typeof values.label === 'string' ? values.label : null,
          team: typeof values.team === 'string' ? values.team : null,
          streetOffices: offices,
          createdBy: `cli:${process.env.USER ?? 'operator'}`,
          expiresAt: expiry(typeof values.expires === 'string' ? values.expires : undefined, now),
        },
        now,
        cfg.api.keyDefaultDays,
      ),
    );
    process.stdout.write(`${key}\n`);
    process.stderr.write(
      `key ${record.prefix} (${record.role}${record.streetOffices ? `, street offices ${record.streetOffices.join(',')}` : ''}) expires ${record.expiresAt ?? 'never'}; it is shown only now\n`,
    );
    return 0;
  },
};

/** `voc keys list`. */
export const keysListCommand: Command = {
  name: 'keys list',
  summary: 'list HTTP API keys (prefix, role, expiry, revocation; never a key)',
  usage: 'voc keys list [--json]',
  async run(argv) {
    const { values } = args(argv, { json: { type: 'boolean' } });
    const list = await withPool('voc-keys', (pool) => listApiKeys(new ApiKeyRepository(pool)));
    if (values.json === true) process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    else
      for (const k of list)
        process.stdout.write(
          `#${k.id} ${k.prefix} ${k.role.padEnd(11)} ${k.revokedAt ? `revoked ${k.revokedAt}` : `expires ${k.expiresAt ?? 'never'}`}  ${k.team ?? ''} ${k.label ?? ''}\n`,
        );
    return 0;
  },
};

/** `voc keys revoke`. */
export const keysRevokeCommand: Command = {
  name: 'keys revoke',
  summary: 'revoke an HTTP API key by id or prefix',
  usage: 'voc keys revoke <id|prefix>',
  async run(argv) {
    const { positionals } = args(argv, {}, 1);
    const k = await withPool('voc-keys', (pool) => revokeApiKey(new ApiKeyRepository(pool), positionals[0]!));
    process.stdout.write(`key ${k.prefix} revoked at ${k.revokedAt}\n`);
    return 0;
  },
};

/** The key commands. */
export const KEY_COMMANDS: readonly Command[] = [keysCreateCommand, keysListCommand, keysRevokeCommand];
