import kafkajs, { type AclEntry, type Admin } from 'kafkajs';
import { CONSUMER_GROUPS } from '@voc/domain';
import type { TopicNames } from './kafka.js';

// kafkajs is CommonJS and its ACL enums are not detected as named exports.
const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;

/** Kafka principals that hold ACLs (the super user `admin` needs none). */
export type AclPrincipal = 'gateway' | 'writer' | 'deadletters' | 'hotspot' | 'api' | 'hj212';

/**
 * Consumer-group name prefix of the API's alert stream: each API instance consumes in a group of its
 * own, `voc-api-alerts.<instance>` (see {@link apiAlertsGroup}), so every instance sees every alert
 * (one shared group would split the topic's partitions among instances and each SSE client would miss
 * the alerts of the partitions its instance does not hold).
 */
export const API_ALERTS_GROUP = 'voc-api-alerts';

/**
 * Consumer group of one API instance's alert stream: `<groupPrefix>voc-api-alerts.<instance>`.
 * @param instance an id unique among the running API instances (host name and process id by default)
 */
export function apiAlertsGroup(groupPrefix: string, instance: string): string {
  return `${groupPrefix}${API_ALERTS_GROUP}.${instance}`;
}

/**
 * One grant: a principal may do `operation` on a topic or consumer group named exactly `name`
 * (`prefixed`: on every name that starts with `name`).
 */
export interface AclGrant {
  readonly principal: AclPrincipal;
  readonly resource: 'topic' | 'group';
  readonly name: string;
  readonly operation: 'read' | 'write';
  readonly prefixed?: boolean;
}

/**
 * The least each service needs (SECURITY.md), on exact (literal) names with the deployment's topic and
 * group prefixes (one prefixed grant: the API's per-instance groups). Write and Read imply Describe, which lets a service check that its topics exist.
 * - gateway: write readings and dead letters
 * - hj212 (the HJ 212 TCP gateway): write readings and dead letters
 * - writer: read readings in its consumer group, write dead letters
 * - deadletters (the dead-letter store): read dead letters in its consumer group
 * - hotspot (the hotspot worker): write alerts
 * - api: read alerts in its instances' consumer groups (prefixed `voc-api-alerts.`)
 */
export function kafkaAcls(topics: TopicNames, groupPrefix = ''): AclGrant[] {
  const g = (name: string) => groupPrefix + name;
  return [
    { principal: 'gateway', resource: 'topic', name: topics.readings, operation: 'write' },
    { principal: 'gateway', resource: 'topic', name: topics.deadletter, operation: 'write' },
    { principal: 'hj212', resource: 'topic', name: topics.readings, operation: 'write' },
    { principal: 'hj212', resource: 'topic', name: topics.deadletter, operation: 'write' },
    { principal: 'writer', resource: 'topic', name: topics.readings, operation: 'read' },
    { principal: 'writer', resource: 'group', name: g(CONSUMER_GROUPS.writer), operation: 'read' },
    { principal: 'writer', resource: 'topic', name: topics.deadletter, operation: 'write' },
    { principal: 'deadletters', resource: 'topic', name: topics.deadletter, operation: 'read' },
    { principal: 'deadletters', resource: 'group', name: g(CONSUMER_GROUPS.deadletterStore), operation: 'read' },
    { principal: 'hotspot', resource: 'topic', name: topics.alerts, operation: 'write' },
    { principal: 'api', resource: 'topic', name: topics.alerts, operation: 'read' },
    { principal: 'api', resource: 'group', name: g(`${API_ALERTS_GROUP}.`), operation: 'read', prefixed: true },
  ];
}

/**
 * Creates the ACLs of {@link kafkaAcls} on the brokers (needs the super user). Idempotent: the brokers
 * ignore a binding that already exists.
 * @param usernames SCRAM user name of each principal (`config.kafka.principals`)
 * @returns the number of bindings requested
 */
export async function ensureAcls(admin: Admin, grants: readonly AclGrant[], usernames: Record<AclPrincipal, string>): Promise<number> {
  const acl: AclEntry[] = grants.map((a) => ({
    resourceType: a.resource === 'topic' ? AclResourceTypes.TOPIC : AclResourceTypes.GROUP,
    resourceName: a.name,
    resourcePatternType: a.prefixed ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
    principal: `User:${usernames[a.principal]}`,
    host: '*',
    operation: a.operation === 'read' ? AclOperationTypes.READ : AclOperationTypes.WRITE,
    permissionType: AclPermissionTypes.ALLOW,
  }));
  if (acl.length > 0) await admin.createAcls({ acl });
  return acl.length;
}
