import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, SECRET_DEFAULTS, SERVICE_IDENTITIES, SERVICES, type ServiceName } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'voc-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a secret file (0600, as a mounted Docker or Kubernetes secret) and returns its path. */
function secretFile(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

/** The message of the `VOC_ERR_CONFIG_INVALID` error, or a failure when the environment is accepted. */
function refusal(env: Record<string, string>, service?: ServiceName): string {
  try {
    loadConfig(env, { service });
  } catch (err) {
    expect((err as { code?: string }).code).toBe('VOC_ERR_CONFIG_INVALID');
    return (err as Error).message;
  }
  throw new Error('loadConfig accepted the environment');
}

/** Strong, distinct secrets for every variable, as a production deployment sets them. */
const strong = Object.fromEntries(Object.keys(SECRET_DEFAULTS).map((k, i) => [k, `s3cret-${i}-Zq8vN2pLx7Wm4Rt`]));

describe('secrets in production', () => {
  it.each(SERVICES)('%s refuses to start with the development defaults and names each secret it uses at once', (service) => {
    const msg = refusal({ VOC_ENV: 'production' }, service);
    for (const name of SERVICE_IDENTITIES[service].secrets) expect(msg).toContain(`${name}:`);
    // Only the secrets this service uses are demanded (least privilege: a gateway never holds the writer's password).
    const others = Object.keys(SECRET_DEFAULTS).filter((n) => !SERVICE_IDENTITIES[service].secrets.includes(n as never));
    for (const name of others) expect(msg).not.toContain(`${name}:`);
    for (const value of Object.values(SECRET_DEFAULTS)) if (value !== '') expect(msg).not.toContain(value);
  });

  it('refuses an empty or short secret, without printing it', () => {
    const msg = refusal(
      { ...strong, VOC_ENV: 'production', VOC_KAFKA_GATEWAY_PASSWORD: 'hunter2hunter', VOC_PG_GATEWAY_PASSWORD: '' },
      'gateway',
    );
    expect(msg).toMatch(/VOC_KAFKA_GATEWAY_PASSWORD: is shorter than 16 characters/);
    expect(msg).toMatch(/VOC_PG_GATEWAY_PASSWORD: is empty/);
    expect(msg).not.toContain('hunter2hunter');
    expect(msg).not.toMatch(/VOC_MQTT_GATEWAY_PASSWORD/);
  });

  it("refuses another secret's public default and a secret of only blanks, without printing them", () => {
    const msg = refusal(
      {
        ...strong,
        VOC_ENV: 'production',
        VOC_PG_GATEWAY_PASSWORD: ' '.repeat(20),
        VOC_KAFKA_GATEWAY_PASSWORD: SECRET_DEFAULTS.VOC_KAFKA_ADMIN_PASSWORD,
      },
      'gateway',
    );
    expect(msg).toMatch(/VOC_PG_GATEWAY_PASSWORD: is blank/);
    expect(msg).toMatch(/VOC_KAFKA_GATEWAY_PASSWORD: is a public development default/);
    for (const value of Object.values(SECRET_DEFAULTS)) if (value !== '') expect(msg).not.toContain(value);
  });

  it('refuses NODE_ENV=production without VOC_ENV, and accepts either VOC_ENV chosen explicitly', () => {
    expect(refusal({ NODE_ENV: 'production' })).toMatch(/VOC_ENV: not set while NODE_ENV=production/);
    expect(loadConfig({ NODE_ENV: 'production', VOC_ENV: 'development' }).env).toBe('development');
    expect(loadConfig({ ...strong, NODE_ENV: 'production', VOC_ENV: 'production' }, { service: 'gateway' }).env).toBe('production');
    expect(loadConfig({}).env).toBe('development');
  });

  it('starts with strong secrets and uses the service’s own principal and role', () => {
    const cfg = loadConfig({ ...strong, VOC_ENV: 'production' }, { service: 'gateway' });
    expect(cfg.env).toBe('production');
    expect(cfg.pg.user).toBe('voc_gateway');
    expect(cfg.pg.password).toBe(strong.VOC_PG_GATEWAY_PASSWORD);
    expect(cfg.kafka.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'voc-gateway', password: strong.VOC_KAFKA_GATEWAY_PASSWORD });
    expect(loadConfig(strong, { service: 'deadletters' }).kafka.sasl.username).toBe('voc-deadletters');
    expect(loadConfig(strong, { service: 'writer' }).pg.user).toBe('voc_writer');
  });

  it('keeps the development defaults outside production, so a fresh clone runs with zero setup', () => {
    const cfg = loadConfig({}, { service: 'hotspot-worker' });
    expect(cfg.env).toBe('development');
    expect(cfg.redis).toEqual({ url: 'redis://127.0.0.1:6380', username: 'voc-bullmq', password: SECRET_DEFAULTS.VOC_REDIS_PASSWORD });
    expect(cfg.kafka.sasl.password).toBe(SECRET_DEFAULTS.VOC_KAFKA_HOTSPOT_PASSWORD);
    expect(loadConfig({}).pg.user).toBe('postgres');
  });
});

describe('secrets from files (*_FILE)', () => {
  it('reads each secret from its file, without the trailing newline', () => {
    const env: Record<string, string> = { VOC_ENV: 'production' };
    for (const name of SERVICE_IDENTITIES['hotspot-worker'].secrets)
      env[`${name}_FILE`] = secretFile(name, `${name.toLowerCase()}-from-a-file-0123\n`);
    const cfg = loadConfig(env, { service: 'hotspot-worker' });
    expect(cfg.pg.password).toBe('voc_pg_hotspot_password-from-a-file-0123');
    expect(cfg.kafka.sasl.password).toBe('voc_kafka_hotspot_password-from-a-file-0123');
    expect(cfg.redis.password).toBe('voc_redis_password-from-a-file-0123');
  });

  it('refuses a secret given twice and a file that cannot be read, naming both at once', () => {
    const msg = refusal({
      VOC_REDIS_PASSWORD: 'one-way-to-set-it-000',
      VOC_REDIS_PASSWORD_FILE: secretFile('redis', 'another-way-000000'),
      VOC_KAFKA_ADMIN_PASSWORD_FILE: join(dir, 'missing'),
    });
    expect(msg).toContain('VOC_REDIS_PASSWORD_FILE: VOC_REDIS_PASSWORD is set as well');
    expect(msg).toMatch(/VOC_KAFKA_ADMIN_PASSWORD_FILE: cannot read .*missing \(ENOENT\)/);
    expect(msg).not.toContain('one-way-to-set-it');
  });
});

describe('the TLS listener of the device endpoint', () => {
  it('reads the PEM certificate and key from files (VOC_MQTT_TLS_CERT_FILE, VOC_MQTT_TLS_KEY_FILE)', () => {
    const cfg = loadConfig({
      VOC_MQTT_TLS_CERT_FILE: secretFile('cert.pem', '-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n'),
      VOC_MQTT_TLS_KEY_FILE: secretFile('key.pem', '-----BEGIN PRIVATE KEY-----\nBBB\n-----END PRIVATE KEY-----\n'),
      VOC_MQTT_TLS_PORT: '18883',
    });
    expect(cfg.mqtt.tls).toMatchObject({ port: 18883, cert: expect.stringContaining('AAA'), key: expect.stringContaining('BBB') });
    expect(loadConfig({}).mqtt.tls).toBeUndefined();
  });

  it('refuses a certificate without a key', () => {
    expect(refusal({ VOC_MQTT_TLS_CERT: 'pem' })).toMatch(/VOC_MQTT_TLS_CERT and VOC_MQTT_TLS_KEY: set both/);
  });
});

describe('connection URLs', () => {
  it('refuse credentials in REDIS_URL (URLs are logged)', () => {
    expect(refusal({ REDIS_URL: 'redis://voc-bullmq:pw@127.0.0.1:6380' })).toMatch(/REDIS_URL: must not hold credentials/);
  });

  it('derive the project Redis from VOC_REDIS_PORT', () => {
    expect(loadConfig({ VOC_REDIS_PORT: '56379' }).redis.url).toBe('redis://127.0.0.1:56379');
  });
});
