import { DeviceRepository, FacilityRepository, Hj212DeviceRepository, type Pool } from '@voc/db';
import { registerHj212Device } from '@voc/core';
import { SCENARIOS, SIM_RATED_PURIFIER_CURRENT_A, type Scenario } from './scenarios.js';
import type { SimMonitor } from './sim.js';

/** A simulated restaurant with its fume monitor (every field SIMULATED; positions inside Xicheng, Beijing). */
export interface SimRestaurant extends SimMonitor {
  readonly deviceId: string;
  readonly facilityId: string;
  readonly name: string;
  readonly lat: number;
  readonly lon: number;
}

/** Xicheng district, roughly 116.30–116.40 E, 39.87–39.96 N (WGS-84), where the simulated restaurants are placed. */
const XICHENG = { lat: [39.875, 39.955], lon: [116.31, 116.39] } as const;

/**
 * `n` simulated restaurants: scenarios in turn from `scenarios` (default every scenario once and
 * `twin` twice; all `twin` restaurants share a seed so they send identical values), MNs `SIM<prefix><nnnn>` padded to 14 characters, PW `sim` + 3 digits,
 * positions on a grid over Xicheng.
 */
export function simFleet(n: number, prefix = 'F', scenarios: readonly Scenario[] = [...SCENARIOS, 'twin']): SimRestaurant[] {
  const cols = Math.max(1, Math.ceil(Math.sqrt(n)));
  const out: SimRestaurant[] = [];
  let twinSeed: number | undefined;
  for (let k = 0; k < n; k++) {
    const scenario = scenarios[k % scenarios.length]!;
    let seed = k + 1;
    if (scenario === 'twin') {
      twinSeed ??= seed;
      seed = twinSeed;
    }
    const row = Math.floor(k / cols);
    const col = k % cols;
    const id = `sim-fume-${prefix.toLowerCase()}-${String(k + 1).padStart(4, '0')}`;
    out.push({
      deviceId: id,
      facilityId: `sim-restaurant-${prefix.toLowerCase()}-${String(k + 1).padStart(4, '0')}`,
      name: `Simulated restaurant ${prefix}${k + 1} (${scenario}) - SIMULATED`,
      lat: XICHENG.lat[0] + ((row + 0.5) / cols) * (XICHENG.lat[1] - XICHENG.lat[0]),
      lon: XICHENG.lon[0] + ((col + 0.5) / cols) * (XICHENG.lon[1] - XICHENG.lon[0]),
      mn: `SIM${prefix}${String(k + 1).padStart(10 - prefix.length, '0')}`.slice(0, 14).padEnd(14, '0'),
      pw: `sim${String((k * 7919) % 1000).padStart(3, '0')}`,
      scenario,
      seed,
    });
  }
  return out;
}

/**
 * Registers the fleet: devices (kind fume, metadata `simulated: true`), restaurant facilities and HJ 212
 * loggers (profile `sim-fume`, DB11/1488-2018, the given opening hours, rated purifier current).
 * @param scryptLog2N scrypt cost exponent of the PW hashes (benchmarks register thousands with a lower N and say so)
 */
export async function registerFleet(
  pool: Pool,
  fleet: readonly SimRestaurant[],
  opts: { openingHours?: string; scryptLog2N?: number } = {},
): Promise<void> {
  await new DeviceRepository(pool).upsert(
    fleet.map((r) => ({
      id: r.deviceId,
      kind: 'fume' as const,
      name: r.name,
      lat: r.lat,
      lon: r.lon,
      metadata: { simulated: true, scenario: r.scenario },
    })),
  );
  await new FacilityRepository(pool).upsertFacilities(
    fleet.map((r) => ({
      id: r.facilityId,
      category: 'restaurant' as const,
      name: r.name,
      lat: r.lat,
      lon: r.lon,
      fumeDeviceIds: [r.deviceId],
    })),
  );
  const reg = new Hj212DeviceRepository(pool);
  const queue = [...fleet];
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let r = queue.shift(); r; r = queue.shift())
        await registerHj212Device(reg, {
          deviceId: r.deviceId,
          mn: r.mn,
          pw: r.pw,
          profile: 'sim-fume',
          facilityId: r.facilityId,
          openingHours: opts.openingHours ?? '00:00-24:00',
          purifierRatedCurrentA: SIM_RATED_PURIFIER_CURRENT_A,
          ...(opts.scryptLog2N ? { scryptLog2N: opts.scryptLog2N } : {}),
        });
    }),
  );
}
