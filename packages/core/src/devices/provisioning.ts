import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { deviceUpTopic, ERROR_CODES, VocError } from '@voc/domain';
import type { Device, DeviceInput, DeviceKind, DeviceStatus } from '@voc/domain';
import { hashMqttPassword, type BrokerAccount } from '@voc/messaging';
import type { CredentialsMap } from './credentials.js';

/** Random bytes of a new MQTT password: 24 bytes = 192 bits, 32 base64url characters. */
export const PASSWORD_BYTES = 24;

/** The device registry as provisioning needs it (`DeviceRepository` of `@voc/db` fits). */
export interface DeviceRegistry {
  /** Inserts or updates devices; returns the ids that were created. */
  upsert(devices: readonly DeviceInput[]): Promise<string[]>;
  /** Stores a `$7$` hash; false when the device does not exist. */
  setCredentialHash(id: string, hash: string): Promise<boolean>;
  /** false when the device does not exist. */
  setStatus(id: string, status: DeviceStatus): Promise<boolean>;
  list(): Promise<Device[]>;
  credentials(): Promise<{ id: string; kind: DeviceKind; status: DeviceStatus; credentialHash: string | null }[]>;
}

/** Writes the broker's password file and ACL and makes the broker reload them. */
export interface BrokerAuthSink {
  /** @returns whether a running broker was told to reload */
  write(accounts: readonly BrokerAccount[]): Promise<boolean>;
}

/** Dependencies of {@link createProvisioning}. `randomBytes` and `hash` are replaceable in tests. */
export interface ProvisioningDeps {
  registry: DeviceRegistry;
  broker: BrokerAuthSink;
  /** The gateway's broker account (`config.mqtt.gatewayUsername` / `gatewayPassword`). */
  gateway: { username: string; password: string };
  randomBytes?: (n: number) => Buffer;
  hash?: (password: string) => string;
}

/** Outcome of a broker sync. */
export interface BrokerSyncResult {
  /** Device accounts written (active devices with a credential), plus the gateway account. */
  readonly deviceAccounts: number;
  /** Devices left out: disabled, or registered without a credential. */
  readonly skipped: number;
  /** Whether a running broker was signalled to reload. */
  readonly reloaded: boolean;
}

/** Outcome of {@link Provisioning.register}. */
export interface RegisterResult {
  readonly created: string[];
  readonly updated: string[];
  /** New credentials (plaintext passwords): deliver them once, they are not stored anywhere else. */
  readonly issued: CredentialsMap;
  readonly broker: BrokerSyncResult;
}

/** Options of {@link Provisioning.register}. */
export interface RegisterOptions {
  /** Issue a new password to every device in the input, not only to new ones. */
  readonly rotate?: boolean;
  /**
   * Called with the new credentials before their hashes are stored (e.g. writes `--credentials-out`);
   * if it throws, no hash is stored, so no device ends up with a password nobody has.
   */
  readonly deliver?: (issued: CredentialsMap) => Promise<void>;
}

/** Device provisioning: registration with credentials, enable/disable, broker sync. */
export interface Provisioning {
  register(devices: readonly DeviceInput[], opts?: RegisterOptions): Promise<RegisterResult>;
  /** @throws VocError `VOC_ERR_NOT_FOUND` for an unknown id */
  setStatus(id: string, status: DeviceStatus): Promise<BrokerSyncResult>;
  list(): Promise<Device[]>;
  syncBroker(): Promise<BrokerSyncResult>;
}

/**
 * Builds the provisioning service.
 *
 * Passwords: `randomBytes(24)` in base64url (32 characters); only the Mosquitto `$7$` hash is stored
 * (`devices.credential_hash`) and written to the broker's password file. A password is issued to every
 * newly created device, to every device of the input that has none yet (e.g. after an interrupted run)
 * and, with `rotate`, to every device of the input.
 *
 * The broker files are always rebuilt from the whole registry (every active device with a credential,
 * plus the gateway), never from the input alone, so provisioning one device never locks out another.
 */
export function createProvisioning(deps: ProvisioningDeps): Provisioning {
  const rnd = deps.randomBytes ?? nodeRandomBytes;
  const hash = deps.hash ?? ((p: string) => hashMqttPassword(p));

  const syncBroker = async (): Promise<BrokerSyncResult> => {
    const creds = await deps.registry.credentials();
    const devices: BrokerAccount[] = creds
      .filter((c) => c.status === 'active' && c.credentialHash && c.id !== deps.gateway.username)
      .map((c) => ({ username: c.id, passwordHash: c.credentialHash!, role: { type: 'device', kind: c.kind } }));
    const gateway: BrokerAccount = {
      username: deps.gateway.username,
      passwordHash: hash(deps.gateway.password),
      role: { type: 'gateway' },
    };
    const reloaded = await deps.broker.write([gateway, ...devices]);
    return { deviceAccounts: devices.length, skipped: creds.length - devices.length, reloaded };
  };

  return {
    async register(devices, opts = {}) {
      for (const d of devices) {
        if (d.id === deps.gateway.username)
          throw new VocError(ERROR_CODES.conflict, `device id "${d.id}" is the gateway's broker username`);
      }
      const created = await deps.registry.upsert(devices);
      const createdSet = new Set(created);
      const withHash = new Set((await deps.registry.credentials()).filter((c) => c.credentialHash).map((c) => c.id));
      const issueTo = devices.filter((d) => opts.rotate || createdSet.has(d.id) || !withHash.has(d.id));
      const issued: CredentialsMap = {};
      const hashes = new Map<string, string>();
      for (const d of issueTo) {
        const password = rnd(PASSWORD_BYTES).toString('base64url');
        issued[d.id] = { username: d.id, password, topic: deviceUpTopic(d.kind, d.id) };
        hashes.set(d.id, hash(password));
      }
      if (issueTo.length && opts.deliver) await opts.deliver(issued);
      for (const [id, h] of hashes) await deps.registry.setCredentialHash(id, h);
      const broker = await syncBroker();
      return { created, updated: devices.map((d) => d.id).filter((id) => !createdSet.has(id)), issued, broker };
    },

    async setStatus(id, status) {
      if (!(await deps.registry.setStatus(id, status))) throw new VocError(ERROR_CODES.not_found, `no device with id "${id}"`);
      return syncBroker();
    },

    list: () => deps.registry.list(),
    syncBroker,
  };
}
