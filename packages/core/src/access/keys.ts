import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ERROR_CODES, VocError } from '@voc/domain';
import { API_ROLES, type ApiKeyRecord, type ApiKeyStore, type ApiRole, type Principal } from './ports.js';

/**
 * API keys: `voc_<8 prefix chars>_<43 secret chars>` (base64url of 32 random bytes). Only the SHA-256
 * of the whole key is stored. A fast hash is enough here, unlike for passwords: the key carries 256
 * bits from the CSPRNG, so even a stolen table cannot be searched (a slow KDF only helps against the
 * small search space of human-chosen passwords) and checking a request costs one hash, not 100 ms.
 */
const KEY_RE = /^voc_([A-Za-z0-9]{8})_([A-Za-z0-9_-]{43})$/;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** SHA-256 of a presented key (the stored form). */
export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** Input of {@link createApiKey}. */
export interface CreateKeyInput {
  readonly role: string;
  readonly label?: string | null;
  readonly team?: string | null;
  readonly streetOffices?: readonly string[] | null;
  readonly createdBy: string;
  /** Expiry, ISO 8601; null: never; undefined: `defaultDays` from now. */
  readonly expiresAt?: string | null;
}

/**
 * Creates a key. The returned `key` is the only time it exists in clear: show it once.
 * @param defaultDays expiry of a key created without `expiresAt` (`config.api.keyDefaultDays`)
 * @throws VocError `VOC_ERR_INVALID_REQUEST` for an unknown role, street offices on a role other
 *   than enforcement, or an expiry that is not a future ISO 8601 time
 */
export async function createApiKey(
  store: ApiKeyStore,
  input: CreateKeyInput,
  now: number,
  defaultDays: number,
): Promise<{ key: string; record: ApiKeyRecord }> {
  if (!(API_ROLES as readonly string[]).includes(input.role))
    throw new VocError(ERROR_CODES.invalid_request, `role: "${input.role}" is not one of ${API_ROLES.join(', ')}`);
  const role = input.role as ApiRole;
  const offices = input.streetOffices?.length ? [...input.streetOffices] : null;
  if (offices && role !== 'enforcement')
    throw new VocError(ERROR_CODES.invalid_request, 'streetOffices: only an enforcement key can be limited to street offices');
  if (offices) {
    // A key scoped to an office that does not exist would silently see nothing.
    const unknown = await store.unknownStreetOffices(offices);
    if (unknown.length > 0)
      throw new VocError(
        ERROR_CODES.invalid_request,
        `streetOffices: ${unknown.map((u) => `"${u}"`).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not in the jurisdiction map (import it with voc jurisdictions import; the ids are in GET /v1/reports/street-offices)`,
      );
  }
  let expiresAt: string | null;
  if (input.expiresAt === undefined) expiresAt = new Date(now + defaultDays * 86_400_000).toISOString();
  else if (input.expiresAt === null) expiresAt = null;
  else {
    const t = Date.parse(input.expiresAt);
    if (!Number.isFinite(t)) throw new VocError(ERROR_CODES.invalid_request, `expiresAt: "${input.expiresAt}" is not an ISO 8601 time`);
    if (t <= now) throw new VocError(ERROR_CODES.invalid_request, `expiresAt: ${input.expiresAt} is not in the future`);
    expiresAt = new Date(t).toISOString();
  }
  const bytes = randomBytes(8);
  const prefixChars = [...bytes].map((b) => ALPHABET[b % ALPHABET.length]).join('');
  const key = `voc_${prefixChars}_${randomBytes(32).toString('base64url')}`;
  const record = await store.insert({
    prefix: `voc_${prefixChars}`,
    hash: hashApiKey(key),
    role,
    label: input.label ?? null,
    team: input.team ?? null,
    streetOffices: offices,
    createdBy: input.createdBy,
    expiresAt,
  });
  return { key, record };
}

const unauthorized = (detail: string) => new VocError(ERROR_CODES.unauthorized, detail);

/**
 * The principal of a presented key.
 * @throws VocError `VOC_ERR_UNAUTHORIZED` for a malformed, unknown, revoked or expired key (the
 *   detail says which, never echoing the key)
 */
export async function authenticate(store: ApiKeyStore, presented: string, now: number): Promise<Principal> {
  const m = KEY_RE.exec(presented);
  if (!m) throw unauthorized('the API key is malformed (expected voc_<8 characters>_<43 characters>)');
  const found = await store.byPrefix(`voc_${m[1]}`);
  const hash = hashApiKey(presented);
  if (!found || found.hash.length !== hash.length || !timingSafeEqual(found.hash, hash)) throw unauthorized('the API key is not known');
  const r = found.record;
  if (r.revokedAt) throw unauthorized(`the API key ${r.prefix} was revoked at ${r.revokedAt}`);
  if (r.expiresAt && Date.parse(r.expiresAt) <= now) throw unauthorized(`the API key ${r.prefix} expired at ${r.expiresAt}`);
  return { keyId: r.id, prefix: r.prefix, role: r.role, team: r.team, streetOffices: r.streetOffices };
}

/** Lists every key (without secrets), newest first. */
export function listApiKeys(store: ApiKeyStore): Promise<ApiKeyRecord[]> {
  return store.list();
}

/**
 * Revokes a key by id or prefix.
 * @throws VocError `VOC_ERR_NOT_FOUND`
 */
export async function revokeApiKey(store: ApiKeyStore, idOrPrefix: string): Promise<ApiKeyRecord> {
  const r = await store.revoke(idOrPrefix);
  if (!r) throw new VocError(ERROR_CODES.not_found, `no API key has id or prefix "${idOrPrefix}"`);
  return r;
}

/**
 * Whether a principal may see a resource of a street office: unscoped keys see all; a scoped key
 * sees only its street offices (a resource with no street office is outside every scope).
 */
export function inScope(p: Principal, streetOfficeId: string | null | undefined): boolean {
  if (!p.streetOffices) return true;
  return streetOfficeId !== null && streetOfficeId !== undefined && p.streetOffices.includes(streetOfficeId);
}
