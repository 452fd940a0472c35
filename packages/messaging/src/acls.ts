import kafkajs, { type AclEntry, type Admin } from 'kafkajs';
import { CONSUMER_GROUPS } from '@voc/domain';
import type { TopicNames } from './kafka.js';

// kafkajs is CommonJS and its ACL enums are not detected as named exports.
const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;

/** Kafka principals that hold ACLs (the super user `admin` needs none). */
export type AclPrincipal = 'gateway' | 'writer' | 'deadletters' | 'hotspot' | 'api' | 'hj212';

/** Consumer group of the API's alert stream (used once the API exists). */
export const API_ALERTS_GROUP = 'voc-api-alerts';

/** One grant: a principal may do `operation` on a topic or consumer group named exactly `name`. */
export interface AclGrant {
  readonly principal: AclPrincipal;
  readonly resource: 'topic' | 'group';
  readonly name: string;
  readonly operation: 'read' | 'write';
}

/**
 * The least each service needs (SECURITY.md), on exact (literal) names with the deployment's topic and
 * group prefixes. Write and Read imply Describe, which lets a service check that its topics exist.
 * - gateway: write readings and dead letters
 * - hj212 (the HJ 212 TCP gateway): write readings and dead letters
 * - writer: read readings in its consumer group, write dead letters
 * - deadletters (the dead-letter store): read dead letters in its consumer group
 * - hotspot (the hotspot worker): write alerts
 * - api: read alerts in its consumer group
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
    { principal: 'api', resource: 'group', name: g(API_ALERTS_GROUP), operation: 'read' },
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
    resourcePatternType: ResourcePatternTypes.LITERAL,
    principal: `User:${usernames[a.principal]}`,
    host: '*',
    operation: a.operation === 'read' ? AclOperationTypes.READ : AclOperationTypes.WRITE,
    permissionType: AclPermissionTypes.ALLOW,
  }));
  if (acl.length > 0) await admin.createAcls({ acl });
  return acl.length;
}
