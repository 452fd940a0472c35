import type { Sample } from '@voc/compliance';
import type { ComplianceChange, ComplianceDevice, ComplianceState, ComplianceStore } from '@voc/core';
import type { Jurisdiction } from '@voc/hotspot';
import { ACTIVE_TASK_STATES } from '@voc/hotspot';
import { cellInt, ts } from './sql.js';
import { withTransaction, type Client, type Pool } from './pool.js';

/** Metrics the compliance rules read (packages/compliance rules.ts). */
const COMPLIANCE_METRICS = ['oil_fume', 'fume_pm', 'fume_nmhc', 'fan_current', 'purifier_current', 'fan_state', 'purifier_state'];

/** A compliance event as listed (API: list and filter, a restaurant's history). Times ISO 8601. */
export interface ComplianceEventRow {
  readonly id: number;
  readonly deviceId: string;
  readonly facilityId: string | null;
  readonly streetOfficeId: string | null;
  readonly rule: string;
  readonly kind: 'raised' | 'cleared';
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly evidence: Record<string, unknown>;
  readonly taskId: number | null;
  readonly createdAt: string;
}

/** Filter of {@link ComplianceRepository.listEvents}; every field optional, `limit` default 100 (max 1000). */
export interface ComplianceEventFilter {
  readonly deviceId?: string;
  readonly facilityId?: string;
  readonly streetOfficeId?: string;
  readonly rule?: string;
  readonly kind?: 'raised' | 'cleared';
  /** Window end at or after / before (ISO 8601 or epoch ms). */
  readonly from?: string | number;
  readonly to?: string | number;
  readonly limit?: number;
}

/** A street office's compliance rate over a period: share of its monitored restaurants with no raised event. */
export interface StreetOfficeComplianceRate {
  readonly streetOfficeId: string;
  readonly devices: number;
  readonly devicesWithViolations: number;
  /** (devices − devicesWithViolations) / devices; null without devices. */
  readonly rate: number | null;
  readonly eventsByRule: Record<string, number>;
}

interface EventRow {
  id: number;
  device_id: string;
  facility_id: string | null;
  street_office_id: string | null;
  rule: string;
  kind: 'raised' | 'cleared';
  window_start: Date;
  window_end: Date;
  evidence: Record<string, unknown>;
  task_id: number | null;
  created_at: Date;
}

const toEvent = (r: EventRow): ComplianceEventRow => ({
  id: r.id,
  deviceId: r.device_id,
  facilityId: r.facility_id,
  streetOfficeId: r.street_office_id,
  rule: r.rule,
  kind: r.kind,
  windowStart: r.window_start.toISOString(),
  windowEnd: r.window_end.toISOString(),
  evidence: r.evidence,
  taskId: r.task_id,
  createdAt: r.created_at.toISOString(),
});
const time = (v: string | number | undefined) => (v === undefined ? null : new Date(v).toISOString());

/**
 * {@link ComplianceStore} on PostgreSQL (tables `compliance_states`, `compliance_events`, `tasks`,
 * `task_events`), plus the read functions the API routes: {@link listEvents}, {@link facilityHistory},
 * {@link streetOfficeRates}.
 */
export class ComplianceRepository implements ComplianceStore {
  constructor(private readonly pool: Pool) {}

  async devices(): Promise<ComplianceDevice[]> {
    const { rows } = await this.pool.query<ComplianceDevice>(
      `select d.id as "deviceId", d.lat, d.lon, h.facility_id as "facilityId",
              coalesce(h.limit_standard, 'DB11/1488-2018') as "limitStandard", h.opening_hours as "openingHours",
              h.purifier_rated_current_a as "purifierRatedCurrentA"
       from devices d left join hj212_devices h on h.device_id = d.id
       where d.kind = 'fume' and d.status = 'active' order by d.id`,
    );
    return rows;
  }

  async jurisdictions(): Promise<Jurisdiction[]> {
    const { rows } = await this.pool.query<Jurisdiction>(`select id, name, geometry from jurisdictions order by id`);
    return rows;
  }

  async samples(deviceIds: readonly string[], start: number, end: number): Promise<Map<string, Record<string, Sample[]>>> {
    const out = new Map<string, Record<string, Sample[]>>();
    if (deviceIds.length === 0) return out;
    const { rows } = await this.pool.query<{ device_id: string; metric: string; t: string; value: number; qa: string }>(
      `select device_id, metric, (extract(epoch from time) * 1000)::float8::text as t, value, qa from readings
       where device_id = any($1::text[]) and metric = any($2::text[]) and time >= $3 and time < $4
       order by device_id, metric, time`,
      [deviceIds, COMPLIANCE_METRICS, ts(start), ts(end)],
    );
    for (const r of rows) {
      let d = out.get(r.device_id);
      if (!d) out.set(r.device_id, (d = {}));
      (d[r.metric] ??= []).push({ t: Number(r.t), v: r.value, valid: r.qa === 'valid' });
    }
    return out;
  }

  async states(): Promise<Map<string, ComplianceState>> {
    const { rows } = await this.pool.query<{ device_id: string; rule: string; active: boolean; since: Date; task_id: number | null }>(
      `select device_id, rule, active, since, task_id from compliance_states`,
    );
    return new Map(rows.map((r) => [`${r.device_id}|${r.rule}`, { active: r.active, since: r.since.toISOString(), taskId: r.task_id }]));
  }

  raise(c: ComplianceChange): Promise<number> {
    return withTransaction(this.pool, async (tx) => {
      const active = await tx.query<{ id: number }>(
        `select id from tasks where category = 'fume_compliance' and device_id = $1 and rule = $2 and state = any($3::text[]) for update`,
        [c.deviceId, c.rule, ACTIVE_TASK_STATES],
      );
      let taskId = active.rows[0]?.id;
      if (taskId === undefined) {
        const ins = await tx.query<{ id: number }>(
          `insert into tasks (category, device_id, rule, facility_id, metric, resolution, window_minutes, cell, hotspot_id, opened_window, last_window,
             lat, lon, cell_polygon, street_office_id, street_office_name, statistics)
           values ('fume_compliance', $1, $2, $3, $4, $5, $6, $7, null, $8, $8, $9, $10, $11, $12, $13, $14) returning id`,
          [
            c.deviceId,
            c.rule,
            c.facilityId,
            c.metric,
            10,
            c.windowMinutes,
            cellInt(c.cell),
            ts(c.windowEnd),
            c.lat,
            c.lon,
            JSON.stringify(c.cellPolygon),
            c.streetOffice?.id ?? null,
            c.streetOffice?.name ?? null,
            JSON.stringify({ rule: c.rule, evidence: c.evidence }),
          ],
        );
        taskId = ins.rows[0]!.id;
        await this.taskEvent(tx, taskId, 'opened', `fume compliance: ${c.rule}`, c);
      } else {
        await tx.query(`update tasks set last_window = greatest(last_window, $2::timestamptz), updated_at = now() where id = $1`, [
          taskId,
          ts(c.windowEnd),
        ]);
        await this.taskEvent(tx, taskId, 'condition_recurred', `${c.rule} holds again`, c);
      }
      await this.event(tx, c, 'raised', taskId);
      await tx.query(
        `insert into compliance_states (device_id, rule, active, since, last_evaluated, task_id, street_office_id) values ($1, $2, true, $3, $3, $4, $5)
         on conflict (device_id, rule) do update set active = true, since = excluded.since, last_evaluated = excluded.last_evaluated,
           task_id = excluded.task_id, street_office_id = excluded.street_office_id`,
        [c.deviceId, c.rule, ts(c.windowEnd), taskId, c.streetOffice?.id ?? null],
      );
      return taskId;
    });
  }

  clear(c: ComplianceChange, taskId: number | null): Promise<void> {
    return withTransaction(this.pool, async (tx) => {
      await this.event(tx, c, 'cleared', taskId);
      if (taskId !== null) await this.taskEvent(tx, taskId, 'condition_cleared', `${c.rule} no longer holds`, c);
      await tx.query(`update compliance_states set active = false, since = $3, last_evaluated = $3 where device_id = $1 and rule = $2`, [
        c.deviceId,
        c.rule,
        ts(c.windowEnd),
      ]);
    });
  }

  async touch(c: ComplianceChange, active: boolean): Promise<void> {
    await this.pool.query(
      `insert into compliance_states (device_id, rule, active, since, last_evaluated, street_office_id) values ($1, $2, $3, $4, $4, $5)
       on conflict (device_id, rule) do update set last_evaluated = excluded.last_evaluated, street_office_id = excluded.street_office_id`,
      [c.deviceId, c.rule, active, ts(c.windowEnd), c.streetOffice?.id ?? null],
    );
  }

  private async event(tx: Client, c: ComplianceChange, kind: 'raised' | 'cleared', taskId: number | null): Promise<void> {
    await tx.query(
      `insert into compliance_events (device_id, facility_id, street_office_id, rule, kind, window_start, window_end, evidence, task_id)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict (device_id, rule, kind, window_end) do nothing`,
      [
        c.deviceId,
        c.facilityId,
        c.streetOffice?.id ?? null,
        c.rule,
        kind,
        ts(c.windowStart),
        ts(c.windowEnd),
        JSON.stringify(c.evidence),
        taskId,
      ],
    );
  }

  private async taskEvent(tx: Client, taskId: number, kind: string, note: string, c: ComplianceChange): Promise<void> {
    await tx.query(
      `insert into task_events (task_id, kind, actor, note, window_start, details) values ($1, $2, 'compliance-worker', $3, $4, $5)`,
      [taskId, kind, note, ts(c.windowStart), JSON.stringify({ rule: c.rule, evidence: c.evidence })],
    );
  }

  // ---- Reads for the API (list and filter, a restaurant's history, a street office's rate) ----

  /** Compliance events, newest first, filtered by any of device, facility, street office, rule, kind and time. */
  async listEvents(f: ComplianceEventFilter = {}): Promise<ComplianceEventRow[]> {
    const { rows } = await this.pool.query<EventRow>(
      `select * from compliance_events
       where ($1::text is null or device_id = $1) and ($2::text is null or facility_id = $2) and ($3::text is null or street_office_id = $3)
         and ($4::text is null or rule = $4) and ($5::text is null or kind = $5)
         and ($6::timestamptz is null or window_end >= $6) and ($7::timestamptz is null or window_end < $7)
       order by window_end desc, id desc limit $8`,
      [
        f.deviceId ?? null,
        f.facilityId ?? null,
        f.streetOfficeId ?? null,
        f.rule ?? null,
        f.kind ?? null,
        time(f.from),
        time(f.to),
        Math.min(f.limit ?? 100, 1000),
      ],
    );
    return rows.map(toEvent);
  }

  /** A restaurant's compliance history: every event of the facility's monitors (or of one device id), oldest first. */
  async facilityHistory(facilityOrDeviceId: string, limit = 1000): Promise<ComplianceEventRow[]> {
    const { rows } = await this.pool.query<EventRow>(
      `select * from compliance_events where facility_id = $1 or device_id = $1 order by window_end, id limit $2`,
      [facilityOrDeviceId, limit],
    );
    return rows.map(toEvent);
  }

  /**
   * Compliance rate per street office over [from, to): among the fume monitors the engine evaluates
   * in the office's area (`compliance_states`, routed by the jurisdiction map), the share with no
   * `raised` event in the period, and the raised events by rule.
   */
  async streetOfficeRates(from: string | number, to: string | number): Promise<StreetOfficeComplianceRate[]> {
    const { rows } = await this.pool.query<{
      street_office_id: string;
      devices: number;
      violating: number;
      by_rule: Record<string, number> | null;
    }>(
      `with office_devices as (
         select distinct street_office_id, device_id from compliance_states where street_office_id is not null
       ), raised as (
         select street_office_id, device_id, rule from compliance_events
         where kind = 'raised' and window_end >= $1 and window_end < $2 and street_office_id is not null
       )
       select o.street_office_id, count(distinct o.device_id)::int as devices,
              count(distinct r.device_id)::int as violating,
              (select jsonb_object_agg(rule, n) from (select rule, count(*)::int as n from raised r2
                 where r2.street_office_id = o.street_office_id group by rule) x) as by_rule
       from office_devices o left join raised r on r.street_office_id = o.street_office_id and r.device_id = o.device_id
       group by o.street_office_id order by o.street_office_id`,
      [time(from), time(to)],
    );
    return rows.map((r) => ({
      streetOfficeId: r.street_office_id,
      devices: r.devices,
      devicesWithViolations: r.violating,
      rate: r.devices ? (r.devices - r.violating) / r.devices : null,
      eventsByRule: r.by_rule ?? {},
    }));
  }
}
