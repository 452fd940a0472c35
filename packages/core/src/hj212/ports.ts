import type { Device } from '@voc/domain';

/** A logger's registry entry (table `hj212_devices`), without its password hash. */
export interface Hj212DeviceSettings {
  readonly deviceId: string;
  readonly mn: string;
  /** Built-in factor profile id (`@voc/hj212` `PROFILES`). */
  readonly profile: string;
  /** Codec tolerances (`@voc/hj212` `TOLERANCES`), all off unless listed. */
  readonly tolerances: readonly string[];
  readonly maxDataLength: number;
  readonly facilityId: string | null;
  /** `DB11/1488-2018` or `GB 18483-2001`. */
  readonly limitStandard: string;
  /** `HH:MM-HH:MM[,…]` China Standard Time, or null. */
  readonly openingHours: string | null;
  readonly purifierRatedCurrentA: number | null;
}

/** What the gateway reads to authenticate and decode a logger: its settings, hash and device. */
export interface Hj212DeviceRecord extends Hj212DeviceSettings {
  readonly pwHash: string;
  readonly device: Device;
}

/** Port: the HJ 212 logger registry (`Hj212DeviceRepository` of `@voc/db`). */
export interface Hj212Registry {
  /** The device of the main registry, or undefined. */
  device(id: string): Promise<Device | undefined>;
  /** Whether a facility exists. */
  facilityExists(id: string): Promise<boolean>;
  /** The device id already holding `mn`, or undefined. */
  deviceOfMn(mn: string): Promise<string | undefined>;
  /** Creates or replaces the logger entry of a device. */
  upsert(settings: Hj212DeviceSettings, pwHash: string): Promise<void>;
  /** The logger entry by MN (with its device), or undefined. */
  byMn(mn: string): Promise<Hj212DeviceRecord | undefined>;
}
