import type { Device } from '@voc/domain';
import type { Hj212DeviceRecord, Hj212DeviceSettings, Hj212Registry } from '@voc/core';
import type { Pool } from './pool.js';

interface Row {
  device_id: string;
  mn: string;
  pw_hash: string;
  profile: string;
  tolerances: string[];
  max_data_length: number;
  facility_id: string | null;
  limit_standard: string;
  opening_hours: string | null;
  purifier_rated_current_a: number | null;
}

const COLS = `h.device_id, h.mn, h.pw_hash, h.profile, h.tolerances, h.max_data_length, h.facility_id, h.limit_standard, h.opening_hours, h.purifier_rated_current_a`;

function settings(r: Row): Hj212DeviceSettings {
  return {
    deviceId: r.device_id,
    mn: r.mn,
    profile: r.profile,
    tolerances: r.tolerances,
    maxDataLength: r.max_data_length,
    facilityId: r.facility_id,
    limitStandard: r.limit_standard,
    openingHours: r.opening_hours,
    purifierRatedCurrentA: r.purifier_rated_current_a,
  };
}

/** {@link Hj212Registry} on PostgreSQL (table `hj212_devices`, joined to `devices`). */
export class Hj212DeviceRepository implements Hj212Registry {
  constructor(private readonly pool: Pool) {}

  async device(id: string): Promise<Device | undefined> {
    const { rows } = await this.pool.query<Device>(`select id, kind, status, name, sensor, lat, lon, metadata from devices where id = $1`, [
      id,
    ]);
    return rows[0];
  }

  async facilityExists(id: string): Promise<boolean> {
    const { rows } = await this.pool.query(`select 1 from facilities where id = $1`, [id]);
    return rows.length > 0;
  }

  async deviceOfMn(mn: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ device_id: string }>(`select device_id from hj212_devices where mn = $1`, [mn]);
    return rows[0]?.device_id;
  }

  async upsert(s: Hj212DeviceSettings, pwHash: string): Promise<void> {
    await this.pool.query(
      `insert into hj212_devices (device_id, mn, pw_hash, profile, tolerances, max_data_length, facility_id, limit_standard, opening_hours, purifier_rated_current_a)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       on conflict (device_id) do update set mn = excluded.mn, pw_hash = excluded.pw_hash, profile = excluded.profile,
         tolerances = excluded.tolerances, max_data_length = excluded.max_data_length, facility_id = excluded.facility_id,
         limit_standard = excluded.limit_standard, opening_hours = excluded.opening_hours,
         purifier_rated_current_a = excluded.purifier_rated_current_a, updated_at = now()`,
      [
        s.deviceId,
        s.mn,
        pwHash,
        s.profile,
        s.tolerances,
        s.maxDataLength,
        s.facilityId,
        s.limitStandard,
        s.openingHours,
        s.purifierRatedCurrentA,
      ],
    );
  }

  async byMn(mn: string): Promise<Hj212DeviceRecord | undefined> {
    return (await this.byMns([mn])).get(mn);
  }

  /** The logger entries of several MNs in one query (the gateway batches the lookups of a reconnect burst). */
  async byMns(mns: readonly string[]): Promise<Map<string, Hj212DeviceRecord>> {
    const { rows } = await this.pool.query<Row & { d: Device }>(
      `select ${COLS}, json_build_object('id', d.id, 'kind', d.kind, 'status', d.status, 'name', d.name, 'sensor', d.sensor,
              'lat', d.lat, 'lon', d.lon, 'metadata', d.metadata) as d
       from hj212_devices h join devices d on d.id = h.device_id where h.mn = any($1::text[])`,
      [mns],
    );
    return new Map(rows.map((r) => [r.mn, { ...settings(r), pwHash: r.pw_hash, device: r.d }]));
  }

  /** The logger entry of a device (no hash), or undefined: the MQTT path decodes with the device's profile. */
  async settingsOf(deviceId: string): Promise<Hj212DeviceSettings | undefined> {
    const { rows } = await this.pool.query<Row>(`select ${COLS} from hj212_devices h where h.device_id = $1`, [deviceId]);
    return rows[0] ? settings(rows[0]) : undefined;
  }

  /** Every logger entry (no hashes), ordered by device id. */
  async list(): Promise<Hj212DeviceSettings[]> {
    const { rows } = await this.pool.query<Row>(`select ${COLS} from hj212_devices h order by h.device_id`);
    return rows.map(settings);
  }
}
