import { readFileSync } from 'node:fs';

/**
 * Every secret the system reads, with its development default. Each can also be given as a file
 * (`<NAME>_FILE`, e.g. a Docker or Kubernetes secret mounted at `/run/secrets/...`): the file's content,
 * without its trailing newline, is the value. The development defaults are public (they are in this
 * file and in infra/scripts/stack.sh), so under `VOC_ENV=production` none of them is accepted.
 */
export const SECRET_DEFAULTS = {
  /** Password of the migration role (`PGUSER`, owner of every table); local clusters use trust auth. */
  PGPASSWORD: '',
  VOC_PG_GATEWAY_PASSWORD: 'voc-dev-pg-gateway',
  VOC_PG_WRITER_PASSWORD: 'voc-dev-pg-writer',
  VOC_PG_HOTSPOT_PASSWORD: 'voc-dev-pg-hotspot',
  VOC_PG_ADMIN_PASSWORD: 'voc-dev-pg-admin',
  VOC_PG_HJ212_PASSWORD: 'voc-dev-pg-hj212',
  VOC_PG_COMPLIANCE_PASSWORD: 'voc-dev-pg-compliance',
  VOC_PG_API_PASSWORD: 'voc-dev-pg-api',
  VOC_KAFKA_ADMIN_PASSWORD: 'voc-dev-kafka-admin',
  VOC_KAFKA_GATEWAY_PASSWORD: 'voc-dev-kafka-gateway',
  VOC_KAFKA_WRITER_PASSWORD: 'voc-dev-kafka-writer',
  VOC_KAFKA_DEADLETTERS_PASSWORD: 'voc-dev-kafka-deadletters',
  VOC_KAFKA_HOTSPOT_PASSWORD: 'voc-dev-kafka-hotspot',
  VOC_KAFKA_API_PASSWORD: 'voc-dev-kafka-api',
  VOC_KAFKA_HJ212_PASSWORD: 'voc-dev-kafka-hj212',
  VOC_REDIS_PASSWORD: 'voc-dev-redis-bullmq',
} as const;

/** Name of a secret variable (without `_FILE`). */
export type SecretName = keyof typeof SECRET_DEFAULTS;

/**
 * Settings that are not secrets with a development default but, like them, may come from a file
 * (`<NAME>_FILE`): the PEM certificate, key and CA of the gateway's TLS listener.
 */
export const FILE_SETTINGS = ['VOC_MQTT_TLS_CERT', 'VOC_MQTT_TLS_KEY', 'VOC_MQTT_TLS_CA'] as const;

/** Shortest secret accepted under `VOC_ENV=production` (characters). 16 random characters from a 62-letter alphabet are about 95 bits. */
export const MIN_PRODUCTION_SECRET_LENGTH = 16;

/**
 * Resolves `<NAME>_FILE` for every secret and every {@link FILE_SETTINGS} entry: returns a copy of `env` where each such variable is
 * replaced by the file's content (one trailing `\n` or `\r\n` removed).
 * @returns the resolved environment and one problem line per variable that could not be resolved
 *   (both `NAME` and `NAME_FILE` set, or the file unreadable); a line never holds a secret's value
 */
export function resolveSecretFiles(env: Record<string, string | undefined>): {
  env: Record<string, string | undefined>;
  problems: string[];
} {
  const out = { ...env };
  const problems: string[] = [];
  for (const name of [...(Object.keys(SECRET_DEFAULTS) as SecretName[]), ...FILE_SETTINGS]) {
    const file = env[`${name}_FILE`];
    if (file === undefined || file === '') continue;
    if (env[name] !== undefined) {
      problems.push(`${name}_FILE: ${name} is set as well; set one of them`);
      continue;
    }
    try {
      out[name] = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      problems.push(`${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  return { env: out, problems };
}

/** Every non-empty development default: public, so never a production secret for any variable. */
const PUBLIC_DEFAULTS: ReadonlySet<string> = new Set(Object.values(SECRET_DEFAULTS).filter((v) => v !== ''));

/**
 * Production check of the secrets one service uses: each must be set, hold more than blanks, differ
 * from every public development default (its own and the others': a value copied from another
 * variable's default is just as public) and be at least {@link MIN_PRODUCTION_SECRET_LENGTH}
 * characters long.
 * @param values the secrets after defaults and `_FILE` resolution
 * @returns one problem line per refused secret, naming it (never its value)
 */
export function weakSecrets(values: Partial<Record<SecretName, string | undefined>>, names: readonly SecretName[]): string[] {
  const problems: string[] = [];
  for (const name of names) {
    const v = values[name] ?? '';
    if (v === '') problems.push(`${name}: is empty; production needs a secret (or ${name}_FILE)`);
    else if (v.trim() === '') problems.push(`${name}: is blank; production needs a secret (or ${name}_FILE)`);
    else if (v === SECRET_DEFAULTS[name]) problems.push(`${name}: is the public development default; set a secret (or ${name}_FILE)`);
    else if (PUBLIC_DEFAULTS.has(v))
      problems.push(`${name}: is a public development default (of another variable); set a secret (or ${name}_FILE)`);
    else if (v.length < MIN_PRODUCTION_SECRET_LENGTH)
      problems.push(`${name}: is shorter than ${MIN_PRODUCTION_SECRET_LENGTH} characters; set a stronger secret`);
  }
  return problems;
}
