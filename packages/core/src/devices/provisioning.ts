import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { deviceUpTopic, ERROR_CODES, VocError } from '@voc/domain';
import type { Device, DeviceInput, DeviceStatus } from '@voc/domain';
import type { CredentialsMap, IssuedCredential } from './credentials.js';
import { hashPassword } from './passwords.js';

/** Random bytes of a new device password: 24 bytes = 192 bits, 32 base64url characters. */
export const PASSWORD_BYTES = 24;

/** Default grace period of `voc devices rotate`: old and new password both work for 7 days, ms. */
export const DEFAULT_ROTATION_GRACE_MS = 7 * 24 * 3600 * 1000;

/** The device registry as provisioning needs it (`DeviceRepository` of `@voc/db` fits). */
export interface DeviceRegistry {
  /** Inserts or updates devices; returns the ids that were created. */
  upsert(devices: readonly DeviceInput[]): Promise<string[]>;
  /** Replaces the credential hash (and ends any rotation); false when the device does not exist. */
  setCredentialHash(id: string, hash: string): Promise<boolean>;
  /**
   * Starts a rotation: the current hash becomes the previous one, valid until `graceUntil`, and `hash`
   * the current one. False when the device does not exist.
   */
  rotateCredential(id: string, hash: string, graceUntil: Date): Promise<boolean>;
  /** Ends a rotation: forgets the previous hash. False when the device does not exist. */
  endRotation(id: string): Promise<boolean>;
  /** false when the device does not exist. */
  setStatus(id: string, status: DeviceStatus): Promise<boolean>;
  list(): Promise<Device[]>;
  /** Ids of the devices that have a credential hash. */
  withCredentials(): Promise<string[]>;
  /** One device, or undefined. */
  get(id: string): Promise<Device | undefined>;
}

/** Dependencies of {@link createProvisioning}. `randomBytes`, `hash` and `now` are replaceable in tests. */
export interface ProvisioningDeps {
  registry: DeviceRegistry;
  randomBytes?: (n: number) => Buffer;
  hash?: (password: string) => Promise<string>;
  now?: () => number;
}

/** Outcome of {@link Provisioning.register}. */
export interface RegisterResult {
  readonly created: string[];
  readonly updated: string[];
  /** New credentials (plaintext passwords): deliver them once, they are not stored anywhere else. */
  readonly issued: CredentialsMap;
}

/** Options of {@link Provisioning.register}. */
export interface RegisterOptions {
  /** Issue a new password to every device in the input, not only to new ones (the old one stops working at once). */
  readonly rotate?: boolean;
  /**
   * Called with the new credentials before their hashes are stored (e.g. writes `--credentials-out`);
   * if it throws, no hash is stored, so no device ends up with a password nobody has.
   */
  readonly deliver?: (issued: CredentialsMap) => Promise<void>;
}

/** Outcome of {@link Provisioning.rotate}. */
export interface RotationResult {
  readonly credential: IssuedCredential;
  /** Until when the previous password keeps working (unless the rotation is ended earlier). */
  readonly graceUntil: Date;
}

/** Device provisioning: registration with credentials, enable/disable, password rotation. */
export interface Provisioning {
  register(devices: readonly DeviceInput[], opts?: RegisterOptions): Promise<RegisterResult>;
  /** @throws VocError `VOC_ERR_NOT_FOUND` for an unknown id */
  setStatus(id: string, status: DeviceStatus): Promise<void>;
  /**
   * Issues a new password while the current one keeps working for `graceMs` (default
   * {@link DEFAULT_ROTATION_GRACE_MS}): the device is reconfigured without downtime, then the rotation
   * is ended with {@link Provisioning.endRotation} or by its expiry. Rotating again during a grace
   * period keeps only the newest previous password.
   * @throws VocError `VOC_ERR_NOT_FOUND` for an unknown id
   */
  rotate(id: string, opts?: { graceMs?: number }): Promise<RotationResult>;
  /** Ends a rotation at once: only the newest password works. @throws VocError `VOC_ERR_NOT_FOUND` */
  endRotation(id: string): Promise<void>;
  list(): Promise<Device[]>;
}

/**
 * Builds the provisioning service. The device registry is the one source of device credentials: the
 * gateway checks every CONNECT against it (through its in-memory directory).
 *
 * Passwords: `randomBytes(24)` in base64url (32 characters); only the scrypt hash (`hashPassword`,
 * passwords.ts) is stored in `devices.credential_hash`. A password is issued to every newly created
 * device, to every device of the input that has none yet (e.g. after an interrupted run) and, with
 * `rotate`, to every device of the input.
 */
export function createProvisioning(deps: ProvisioningDeps): Provisioning {
  const rnd = deps.randomBytes ?? nodeRandomBytes;
  const hash = deps.hash ?? hashPassword;
  const now = deps.now ?? Date.now;
  const newPassword = () => rnd(PASSWORD_BYTES).toString('base64url');
  const notFound = (id: string) => new VocError(ERROR_CODES.not_found, `no device with id "${id}"`);

  return {
    async register(devices, opts = {}) {
      const created = await deps.registry.upsert(devices);
      const createdSet = new Set(created);
      const withHash = new Set(await deps.registry.withCredentials());
      const issueTo = devices.filter((d) => opts.rotate || createdSet.has(d.id) || !withHash.has(d.id));
      const issued: CredentialsMap = {};
      const hashes = new Map<string, string>();
      for (const d of issueTo) {
        const password = newPassword();
        issued[d.id] = { username: d.id, password, topic: deviceUpTopic(d.kind, d.id) };
        hashes.set(d.id, await hash(password));
      }
      if (issueTo.length && opts.deliver) await opts.deliver(issued);
      for (const [id, h] of hashes) await deps.registry.setCredentialHash(id, h);
      return { created, updated: devices.map((d) => d.id).filter((id) => !createdSet.has(id)), issued };
    },

    async setStatus(id, status) {
      if (!(await deps.registry.setStatus(id, status))) throw notFound(id);
    },

    async rotate(id, opts = {}) {
      const device = await deps.registry.get(id);
      if (!device) throw notFound(id);
      const password = newPassword();
      const graceUntil = new Date(now() + (opts.graceMs ?? DEFAULT_ROTATION_GRACE_MS));
      if (!(await deps.registry.rotateCredential(id, await hash(password), graceUntil))) throw notFound(id);
      return { credential: { username: id, password, topic: deviceUpTopic(device.kind, id) }, graceUntil };
    },

    async endRotation(id) {
      if (!(await deps.registry.endRotation(id))) throw notFound(id);
    },

    list: () => deps.registry.list(),
  };
}
