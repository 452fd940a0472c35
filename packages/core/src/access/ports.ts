/**
 * Ports of API access: keys and the principal they authenticate (the API-key repository of `@voc/db`
 * implements {@link ApiKeyStore}).
 */

/** Roles of API keys (README "HTTP API", permission matrix). */
export const API_ROLES = ['admin', 'operator', 'enforcement', 'analyst'] as const;
/** One of {@link API_ROLES}. */
export type ApiRole = (typeof API_ROLES)[number];

/** A stored key, never with its secret. Times ISO 8601. */
export interface ApiKeyRecord {
  readonly id: number;
  /** First characters of the key (`voc_` + 8), shown in lists and logs to tell keys apart. */
  readonly prefix: string;
  readonly role: ApiRole;
  readonly label: string | null;
  readonly team: string | null;
  /** Street offices an enforcement key is limited to; null: all. */
  readonly streetOffices: readonly string[] | null;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
  readonly lastUsedAt: string | null;
}

/** What a new key is stored with (the SHA-256 of the key, never the key). */
export interface NewApiKey {
  readonly prefix: string;
  readonly hash: Buffer;
  readonly role: ApiRole;
  readonly label: string | null;
  readonly team: string | null;
  readonly streetOffices: readonly string[] | null;
  readonly createdBy: string;
  readonly expiresAt: string | null;
}

/** Storage of API keys. */
export interface ApiKeyStore {
  insert(k: NewApiKey): Promise<ApiKeyRecord>;
  /** The key with this prefix and its stored hash, or undefined. */
  byPrefix(prefix: string): Promise<{ record: ApiKeyRecord; hash: Buffer } | undefined>;
  list(): Promise<ApiKeyRecord[]>;
  /** Marks a key revoked (idempotent). @returns the key, or undefined when no key has this id or prefix */
  revoke(idOrPrefix: string): Promise<ApiKeyRecord | undefined>;
  /** Records a use (at most once a minute per key is enough; callers need not await it). */
  touch(id: number): Promise<void>;
  /** The ids among `ids` that name no street office in the jurisdiction map, in the given order. */
  unknownStreetOffices(ids: readonly string[]): Promise<string[]>;
}

/** Who is calling: an authenticated key. */
export interface Principal {
  readonly keyId: number;
  readonly prefix: string;
  readonly role: ApiRole;
  readonly team: string | null;
  readonly streetOffices: readonly string[] | null;
}
