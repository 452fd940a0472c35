import { cellHex } from './sql.js';
import type { Pool } from './pool.js';

/**
 * A check-sensor operations task as the network operators see it (table `sensor_checks`,
 * docs/hotspots.md "Sensor suspect and check-sensor tasks"). Times are ISO 8601 UTC; `cell` is the H3
 * index (hex) of the cell at the series' resolution.
 */
export interface SensorCheckRow {
  readonly id: number;
  readonly deviceId: string;
  readonly metric: string;
  readonly resolution: number;
  readonly windowMinutes: number;
  readonly cell: string;
  readonly openedWindow: string;
  readonly lastWindow: string;
  readonly state: 'open' | 'resolved' | 'dismissed';
  /** `stands_out_persistently`, `level_shift` or `stuck`. */
  readonly reason: string;
  /** Excess, temporal excess, dispersion, uncertainty and the tests of the window that raised it. */
  readonly details: Record<string, unknown>;
}

/** Read side of the check-sensor tasks the hotspot worker raises. */
export class SensorCheckRepository {
  constructor(private readonly pool: Pool) {}

  /** Checks newest first (by id), filtered by state, device and reason; `beforeId` pages. */
  async list(f: { state?: string; deviceId?: string; reason?: string; beforeId?: number; limit: number }): Promise<SensorCheckRow[]> {
    const { rows } = await this.pool.query<{
      id: string;
      device_id: string;
      metric: string;
      resolution: number;
      window_minutes: number;
      cell: string;
      opened_window: Date;
      last_window: Date;
      state: SensorCheckRow['state'];
      reason: string;
      details: Record<string, unknown>;
    }>(
      `select id::text, device_id, metric, resolution, window_minutes, cell::text as cell, opened_window, last_window, state, reason, details
       from sensor_checks
       where ($1::text is null or state = $1) and ($2::text is null or device_id = $2) and ($3::text is null or reason = $3) and ($4::int8 is null or id < $4)
       order by id desc limit $5`,
      [f.state ?? null, f.deviceId ?? null, f.reason ?? null, f.beforeId ?? null, f.limit],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      deviceId: r.device_id,
      metric: r.metric,
      resolution: r.resolution,
      windowMinutes: r.window_minutes,
      cell: cellHex(r.cell),
      openedWindow: r.opened_window.toISOString(),
      lastWindow: r.last_window.toISOString(),
      state: r.state,
      reason: r.reason,
      details: r.details,
    }));
  }
}
