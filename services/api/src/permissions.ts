import type { ApiRole } from '@voc/core';

/**
 * Permissions, one per group of routes; every route declares exactly one (`config.permission`), or
 * `public` for the few that need no key (health, readiness, metrics, the OpenAPI document and /docs).
 * The README's permission matrix is {@link ROLE_PERMISSIONS}.
 */
export const PERMISSIONS = [
  'series:read',
  'cells:read',
  'hotspots:read',
  'tasks:read',
  'tasks:write',
  'alerts:read',
  'reports:read',
  'export:read',
  'devices:read',
  'devices:write',
  'registry:write',
  'deadletters:read',
  'health:read',
  'keys:admin',
  'webhooks:admin',
] as const;
/** One of {@link PERMISSIONS}. */
export type Permission = (typeof PERMISSIONS)[number];
/** What a route declares: a permission, or `public`. */
export type RoutePermission = Permission | 'public';

/**
 * The role × permission matrix (issue: operator = devices, facilities, jurisdictions, dead letters,
 * device health; enforcement = hotspots, tasks, alerts, comments, assignment; analyst = read-only
 * series, cells, hotspots, rankings, export; admin = everything).
 */
export const ROLE_PERMISSIONS: Readonly<Record<ApiRole, readonly Permission[]>> = {
  admin: PERMISSIONS,
  operator: ['devices:read', 'devices:write', 'registry:write', 'deadletters:read', 'health:read'],
  enforcement: ['hotspots:read', 'tasks:read', 'tasks:write', 'alerts:read', 'devices:read', 'reports:read'],
  analyst: ['series:read', 'cells:read', 'hotspots:read', 'reports:read', 'export:read', 'devices:read'],
};

/** Whether a role holds a permission. */
export function allows(role: ApiRole, p: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(p);
}
