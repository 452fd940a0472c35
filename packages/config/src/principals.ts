import type { SecretName } from './secrets.js';

/**
 * Who a process is. Each service's `main.ts` names itself to {@link loadConfig}, which then resolves
 * that service's own PostgreSQL role, Kafka principal and Redis user, and (under `VOC_ENV=production`)
 * checks exactly the secrets it uses. SECURITY.md lists what each may do.
 * - `admin`: migrations, `voc setup`, tests, demo and benchmarks: the migration role (`PGUSER`) and the
 *   Kafka super user.
 * - `cli`: the CLI's admin commands (devices, facilities, tasks, hotspots): role `voc_admin`, Kafka admin.
 * - `hj212-gateway`: the HJ 212 TCP gateway: role `voc_hj212`, principal `hj212` (writes readings and dead letters).
 * - `compliance-worker`: the fume compliance engine: role `voc_compliance`; it does not connect to Kafka.
 */
export const SERVICES = [
  'admin',
  'cli',
  'gateway',
  'writer',
  'deadletters',
  'hotspot-worker',
  'hj212-gateway',
  'compliance-worker',
  'api',
] as const;

/** A service name of {@link SERVICES}. */
export type ServiceName = (typeof SERVICES)[number];

/**
 * Kafka principals (SCRAM-SHA-512 users). `admin` is the broker's super user; the others hold only the
 * ACLs `voc setup` creates for them (packages/messaging `KAFKA_ACLS`).
 */
export const KAFKA_PRINCIPALS = ['admin', 'gateway', 'writer', 'deadletters', 'hotspot', 'api', 'hj212'] as const;

/** A principal of {@link KAFKA_PRINCIPALS}. */
export type KafkaPrincipal = (typeof KAFKA_PRINCIPALS)[number];

/**
 * PostgreSQL login roles, created NOLOGIN with their grants by migrations/005_roles.sql and given LOGIN
 * and a password by `voc setup`. Role names are fixed: roles are cluster-wide, grants per database.
 */
export const PG_ROLES = {
  gateway: { role: 'voc_gateway', secret: 'VOC_PG_GATEWAY_PASSWORD' },
  writer: { role: 'voc_writer', secret: 'VOC_PG_WRITER_PASSWORD' },
  hotspot: { role: 'voc_hotspot', secret: 'VOC_PG_HOTSPOT_PASSWORD' },
  admin: { role: 'voc_admin', secret: 'VOC_PG_ADMIN_PASSWORD' },
  hj212: { role: 'voc_hj212', secret: 'VOC_PG_HJ212_PASSWORD' },
  compliance: { role: 'voc_compliance', secret: 'VOC_PG_COMPLIANCE_PASSWORD' },
  api: { role: 'voc_api', secret: 'VOC_PG_API_PASSWORD' },
} as const satisfies Record<string, { role: string; secret: SecretName }>;

/** A key of {@link PG_ROLES}. */
export type PgRoleKey = keyof typeof PG_ROLES;

/** What one service connects as, and the secrets it needs (checked in production). */
export interface ServiceIdentity {
  /** PostgreSQL role key, or `migration` for `PGUSER`. */
  readonly pg: PgRoleKey | 'migration';
  readonly kafka: KafkaPrincipal;
  readonly secrets: readonly SecretName[];
}

/** The identity of each service (the least each needs; SECURITY.md). */
export const SERVICE_IDENTITIES: Record<ServiceName, ServiceIdentity> = {
  admin: {
    pg: 'migration',
    kafka: 'admin',
    secrets: [
      'PGPASSWORD',
      'VOC_KAFKA_ADMIN_PASSWORD',
      'VOC_PG_GATEWAY_PASSWORD',
      'VOC_PG_WRITER_PASSWORD',
      'VOC_PG_HOTSPOT_PASSWORD',
      'VOC_PG_ADMIN_PASSWORD',
      'VOC_PG_HJ212_PASSWORD',
      'VOC_PG_COMPLIANCE_PASSWORD',
      'VOC_PG_API_PASSWORD',
    ],
  },
  cli: {
    pg: 'admin',
    kafka: 'admin',
    secrets: ['VOC_PG_ADMIN_PASSWORD', 'VOC_KAFKA_ADMIN_PASSWORD', 'VOC_REDIS_PASSWORD'],
  },
  gateway: {
    pg: 'gateway',
    kafka: 'gateway',
    secrets: ['VOC_PG_GATEWAY_PASSWORD', 'VOC_KAFKA_GATEWAY_PASSWORD'],
  },
  writer: { pg: 'writer', kafka: 'writer', secrets: ['VOC_PG_WRITER_PASSWORD', 'VOC_KAFKA_WRITER_PASSWORD'] },
  deadletters: { pg: 'writer', kafka: 'deadletters', secrets: ['VOC_PG_WRITER_PASSWORD', 'VOC_KAFKA_DEADLETTERS_PASSWORD'] },
  'hotspot-worker': {
    pg: 'hotspot',
    kafka: 'hotspot',
    secrets: ['VOC_PG_HOTSPOT_PASSWORD', 'VOC_KAFKA_HOTSPOT_PASSWORD', 'VOC_REDIS_PASSWORD'],
  },
  'hj212-gateway': { pg: 'hj212', kafka: 'hj212', secrets: ['VOC_PG_HJ212_PASSWORD', 'VOC_KAFKA_HJ212_PASSWORD'] },
  // Never connects to Kafka; the principal named is the one with no grant it could misuse (writes alerts only).
  'compliance-worker': { pg: 'compliance', kafka: 'hotspot', secrets: ['VOC_PG_COMPLIANCE_PASSWORD', 'VOC_REDIS_PASSWORD'] },
  /**
   * The HTTP API: role `voc_api` (migrations/007_api.sql), Kafka principal `api` (reads alerts), Redis
   * for rate limits.
   */
  api: {
    pg: 'api',
    kafka: 'api',
    secrets: ['VOC_PG_API_PASSWORD', 'VOC_KAFKA_API_PASSWORD', 'VOC_REDIS_PASSWORD'],
  },
};

/** Environment variable of a Kafka principal's password, e.g. `VOC_KAFKA_GATEWAY_PASSWORD`. */
export function kafkaSecretName(p: KafkaPrincipal): SecretName {
  return `VOC_KAFKA_${p.toUpperCase()}_PASSWORD` as SecretName;
}
