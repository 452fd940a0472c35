import { PROFILES, TOLERANCES } from '@voc/hj212';
import { parseOpeningHours, LIMIT_STANDARDS } from '@voc/compliance';
import { hashPassword } from '../devices/passwords.js';
import type { Hj212DeviceSettings, Hj212Registry } from './ports.js';

/** What `voc devices hj212` registers for a device. Optional fields take the defaults stated. */
export interface Hj212Registration {
  readonly deviceId: string;
  /** 1–24 printable characters (HJ 212-2017 allows up to 24). */
  readonly mn: string;
  /** 1–32 printable characters (6 in the standard). */
  readonly pw: string;
  /** Profile id; default by kind: `hj212-fume` for fume, `hj212-dust` for dust, `hj212-air-quality` otherwise. */
  readonly profile?: string;
  readonly tolerances?: readonly string[];
  /** Default 1024 (the standard's limit). */
  readonly maxDataLength?: number;
  readonly facilityId?: string;
  /** Default `DB11/1488-2018`. */
  readonly limitStandard?: string;
  readonly openingHours?: string;
  readonly purifierRatedCurrentA?: number;
  /** scrypt cost exponent of the PW hash (default the device passwords' `SCRYPT_PARAMS.log2N`; see `hashPassword`). */
  readonly scryptLog2N?: number;
}

/** A registration refused, with every reason at once. */
export class Hj212RegistrationError extends Error {
  override readonly name = 'Hj212RegistrationError';
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

const printable = (s: string, max: number) =>
  s.length >= 1 && s.length <= max && [...s].every((c) => c > ' ' && c < '\x7f' && c !== '&' && c !== ';' && c !== '=');

/**
 * Registers (or re-registers) a device's HJ 212 logger: checks the device exists and is not a van,
 * the MN is free, the profile, tolerances, standard, opening hours and facility are valid, then stores
 * the settings with a salted scrypt hash of PW (never PW itself).
 * @throws Hj212RegistrationError listing every problem
 */
export async function registerHj212Device(reg: Hj212Registry, r: Hj212Registration): Promise<Hj212DeviceSettings> {
  const problems: string[] = [];
  const device = await reg.device(r.deviceId);
  if (!device) problems.push(`device ${r.deviceId} is not registered (voc devices register first)`);
  else if (device.kind === 'van') problems.push(`device ${r.deviceId} is a van: HJ 212 loggers are fixed (fume, dust or fixed)`);
  if (!printable(r.mn, 24)) problems.push('--mn must be 1-24 printable characters without & ; =');
  if (!printable(r.pw, 32)) problems.push('--pw must be 1-32 printable characters without & ; =');
  const holder = printable(r.mn, 24) ? await reg.deviceOfMn(r.mn) : undefined;
  if (holder !== undefined && holder !== r.deviceId) problems.push(`MN ${r.mn} already belongs to device ${holder}`);
  const profile = r.profile ?? (device?.kind === 'fume' ? 'hj212-fume' : device?.kind === 'dust' ? 'hj212-dust' : 'hj212-air-quality');
  if (!Object.prototype.hasOwnProperty.call(PROFILES, profile))
    problems.push(`--profile ${profile} is not one of ${Object.keys(PROFILES).join(', ')}`);
  for (const t of r.tolerances ?? [])
    if (!Object.prototype.hasOwnProperty.call(TOLERANCES, t))
      problems.push(`tolerance ${t} is not one of ${Object.keys(TOLERANCES).join(', ')}`);
  const maxDataLength = r.maxDataLength ?? 1024;
  if (!Number.isInteger(maxDataLength) || maxDataLength < 1 || maxDataLength > 9999) problems.push('--max-data-length must be 1-9999');
  const standard = r.limitStandard ?? 'DB11/1488-2018';
  if (!(LIMIT_STANDARDS as readonly string[]).includes(standard)) problems.push(`--standard must be one of ${LIMIT_STANDARDS.join(', ')}`);
  if (r.openingHours !== undefined) {
    try {
      parseOpeningHours(r.openingHours);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (r.purifierRatedCurrentA !== undefined && !(r.purifierRatedCurrentA > 0))
    problems.push('--rated-current must be a positive number of amperes');
  if (r.facilityId !== undefined && !(await reg.facilityExists(r.facilityId))) problems.push(`facility ${r.facilityId} does not exist`);
  if (problems.length > 0) throw new Hj212RegistrationError(problems);
  const settings: Hj212DeviceSettings = {
    deviceId: r.deviceId,
    mn: r.mn,
    profile,
    tolerances: [...(r.tolerances ?? [])],
    maxDataLength,
    facilityId: r.facilityId ?? null,
    limitStandard: standard,
    openingHours: r.openingHours ?? null,
    purifierRatedCurrentA: r.purifierRatedCurrentA ?? null,
  };
  await reg.upsert(settings, await hashPassword(r.pw, undefined, r.scryptLog2N));
  return settings;
}
