import type { SeriesKey } from '@voc/domain';
import type { TaskInput, TaskOpeningPort } from '@voc/core';
import { ACTIVE_TASK_STATES } from '@voc/hotspot';
import { cellInt, seriesParams, ts, type Queryable } from './sql.js';
import type { CellReadingsQuery, TaskDetail, TaskEventKind, TaskFilter, TaskReading, TaskStore, TaskSummary } from '@voc/core';
import { STORED_H3_RESOLUTION } from '@voc/domain';
import type { TaskFinding, TaskState } from '@voc/hotspot';
import { bigintToH3, h3DescendantRange } from './h3.js';
import { withTransaction, type Pool } from './pool.js';

interface TaskRow {
  id: number;
  metric: string;
  resolution: number;
  window_minutes: number;
  cell: string;
  hotspot_id: number | null;
  category: 'hotspot' | 'fume_compliance';
  device_id: string | null;
  rule: string | null;
  facility_id: string | null;
  state: TaskState;
  finding: TaskFinding | null;
  opened_window: Date;
  last_window: Date;
  lat: number;
  lon: number;
  cell_polygon: unknown;
  street_office_id: string | null;
  street_office_name: string | null;
  statistics: Record<string, unknown>;
  top_devices: unknown;
  peak_readings: unknown;
  wind: unknown;
  candidates: unknown;
  assignee: string | null;
  created_at: Date;
  updated_at: Date;
}

const COLS = `id, category, device_id, rule, facility_id, metric, resolution, window_minutes, cell::text as cell, hotspot_id, state, finding, opened_window, last_window, lat, lon, cell_polygon,
  street_office_id, street_office_name, statistics, top_devices, peak_readings, wind, candidates, assignee, created_at, updated_at`;

function summary(r: TaskRow): TaskSummary {
  return {
    id: r.id,
    category: r.category,
    deviceId: r.device_id,
    rule: r.rule,
    facilityId: r.facility_id,
    metric: r.metric,
    resolution: r.resolution,
    cell: bigintToH3(r.cell),
    state: r.state,
    finding: r.finding,
    openedWindow: r.opened_window.toISOString(),
    lastWindow: r.last_window.toISOString(),
    streetOffice: r.street_office_id ? { id: r.street_office_id, name: r.street_office_name ?? r.street_office_id } : null,
    lat: r.lat,
    lon: r.lon,
    statistics: r.statistics,
    assignee: r.assignee,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

/** {@link TaskStore} on PostgreSQL (tables `tasks`, `task_events`, `hotspots`, `hotspot_evidence`). */
export class TaskRepository implements TaskStore {
  /**
   * Readings of one metric stored in a cell (every device whose reading fell into one of its
   * resolution-12 descendants) in `[from, to)`, oldest first, at most `limit` rows.
   */
  async cellReadings(q: CellReadingsQuery): Promise<TaskReading[]> {
    const [lo, hi] = h3DescendantRange(q.cell, STORED_H3_RESOLUTION);
    const { rows } = await this.pool.query<{
      time: Date;
      device_id: string;
      value: number;
      unit: string;
      ref_state: string;
      qa: string;
      lat: number | null;
      lon: number | null;
    }>(
      `select time, device_id, value, unit, ref_state, qa, lat, lon from readings
       where metric = $1 and time >= $2 and time < $3 and h3 between $4 and $5
       order by time, device_id limit $6`,
      [q.metric, q.from, q.to, lo, hi, q.limit],
    );
    return rows.map((r) => ({
      time: r.time.toISOString(),
      deviceId: r.device_id,
      value: r.value,
      unit: r.unit,
      refState: r.ref_state,
      qa: r.qa,
      lat: r.lat,
      lon: r.lon,
    }));
  }

  constructor(private readonly pool: Pool) {}

  async list(f: TaskFilter): Promise<TaskSummary[]> {
    const { rows } = await this.pool.query<TaskRow>(
      `select ${COLS} from tasks
       where ($1::text[] is null or state = any($1)) and ($2::text is null or metric = $2)
         and ($4::text[] is null or street_office_id = any($4)) and ($5::int8 is null or cell = $5)
         and ($6::timestamptz is null or opened_window >= $6) and ($7::timestamptz is null or opened_window < $7)
         and ($8::text is null or candidates @> jsonb_build_array(jsonb_build_object('facilityId', $8::text)))
         and ($9::int8 is null or id < $9) and ($10::text is null or category = $10)
       order by id desc limit $3`,
      [
        f.states?.length ? f.states : null,
        f.metric ?? null,
        f.limit ?? 100,
        f.streetOffices ?? null,
        f.cell ? cellInt(f.cell) : null,
        f.from ?? null,
        f.to ?? null,
        f.facilityId ?? null,
        f.beforeId ?? null,
        f.category ?? null,
      ],
    );
    return rows.map(summary);
  }

  async get(id: number): Promise<TaskDetail | undefined> {
    const { rows } = await this.pool.query<TaskRow>(`select ${COLS} from tasks where id = $1`, [id]);
    const r = rows[0];
    if (!r) return undefined;
    const hotspots = await this.pool.query<{ id: number; opened_window: Date; cleared_window: Date | null; state: string }>(
      `select id, opened_window, cleared_window, state from hotspots where task_id = $1 order by opened_window, id`,
      [id],
    );
    const evidence = await this.pool.query<Record<string, unknown>>(
      `select e.hotspot_id as "hotspotId", e.window_start as "windowStart", e.role, e.high, e.n, e.devices, e.van_passes as "vanPasses", e.mean, e.median, e.p90, e.max,
              e.baseline, e.ratio, e.robust_z as "robustZ", e.gi_star as "giStar", e.reasons, e.details
       from hotspot_evidence e join hotspots h on h.id = e.hotspot_id where h.task_id = $1 order by e.window_start, e.hotspot_id`,
      [id],
    );
    const events = await this.pool.query<{
      id: number;
      at: Date;
      kind: TaskEventKind;
      from_state: string | null;
      to_state: string | null;
      actor: string;
      note: string | null;
      window_start: Date | null;
    }>(`select id, at, kind, from_state, to_state, actor, note, window_start from task_events where task_id = $1 order by id`, [id]);
    return {
      ...summary(r),
      windowMinutes: r.window_minutes,
      hotspotId: r.hotspot_id,
      cellPolygon: r.cell_polygon,
      topDevices: r.top_devices,
      peakReadings: r.peak_readings,
      wind: r.wind,
      candidates: r.candidates,
      hotspots: hotspots.rows.map((h) => ({
        id: h.id,
        openedWindow: h.opened_window.toISOString(),
        clearedWindow: h.cleared_window?.toISOString() ?? null,
        state: h.state,
      })),
      evidence: evidence.rows.map((e) => ({ ...e, windowStart: (e.windowStart as Date).toISOString() })),
      events: events.rows.map((e) => ({
        id: e.id,
        at: e.at.toISOString(),
        kind: e.kind,
        fromState: e.from_state,
        toState: e.to_state,
        actor: e.actor,
        note: e.note,
        windowStart: e.window_start?.toISOString() ?? null,
      })),
    };
  }

  transition(
    id: number,
    from: TaskState,
    to: TaskState,
    e: { actor: string; finding: TaskFinding | null; note: string | null },
  ): Promise<boolean> {
    return withTransaction(this.pool, async (c) => {
      const r = await c.query(
        `update tasks set state = $3, finding = $4, updated_at = now(), closed_at = case when $3 in ('resolved', 'dismissed') then now() else null end
         where id = $1 and state = $2`,
        [id, from, to, e.finding],
      );
      if ((r.rowCount ?? 0) === 0) return false;
      await c.query(
        `insert into task_events (task_id, kind, from_state, to_state, actor, note, details) values ($1, 'transition', $2, $3, $4, $5, $6)`,
        [id, from, to, e.actor, e.note, JSON.stringify(e.finding ? { finding: e.finding } : {})],
      );
      return true;
    });
  }

  comment(id: number, actor: string, note: string): Promise<boolean> {
    return noteEvent(this.pool, id, 'comment', { actor, note, details: {} });
  }

  assign(id: number, actor: string, assignee: string | null, note: string | null): Promise<boolean> {
    return noteEvent(this.pool, id, 'assignment', { actor, note, assignee, details: { assignee } });
  }
}

/** Comments and assignment: an event in the task's audit trail (and the assignee on the task). */
async function noteEvent(
  pool: Pool,
  id: number,
  kind: 'comment' | 'assignment',
  e: { actor: string; note: string | null; details: Record<string, unknown>; assignee?: string | null },
): Promise<boolean> {
  return withTransaction(pool, async (c) => {
    const r =
      kind === 'assignment'
        ? await c.query(`update tasks set assignee = $2, updated_at = now() where id = $1`, [id, e.assignee ?? null])
        : await c.query(`select 1 from tasks where id = $1 for share`, [id]);
    if ((r.rowCount ?? 0) === 0) return false;
    await c.query(`insert into task_events (task_id, kind, actor, note, details) values ($1, $2, $3, $4, $5)`, [
      id,
      kind,
      e.actor,
      e.note,
      JSON.stringify(e.details),
    ]);
    return true;
  });
}

/** What the hotspot evaluation writes to tasks (open, touch, events), on its transaction: with {@link TaskRepository} the only writer of `tasks` and `task_events`. */
export class TaskWrites implements TaskOpeningPort {
  constructor(private readonly db: Queryable) {}

  async activeTask(s: SeriesKey, cell: string): Promise<{ id: number; state: TaskState } | undefined> {
    const { rows } = await this.db.query<{ id: number; state: TaskState }>(
      `select id, state from tasks where category = 'hotspot' and metric = $1 and resolution = $2 and cell = $3 and state = any($4::text[])`,
      [s.metric, s.resolution, cellInt(cell), ACTIVE_TASK_STATES],
    );
    return rows[0];
  }

  async taskState(taskId: number): Promise<TaskState | undefined> {
    const { rows } = await this.db.query<{ state: TaskState }>(`select state from tasks where id = $1`, [taskId]);
    return rows[0]?.state;
  }

  async insertTask(t: TaskInput): Promise<number | undefined> {
    const { rows } = await this.db.query<{ id: number }>(
      `insert into tasks (metric, resolution, window_minutes, cell, hotspot_id, opened_window, last_window, lat, lon, cell_polygon, street_office_id, street_office_name,
         statistics, top_devices, peak_readings, wind, candidates)
       values ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
       on conflict do nothing returning id`,
      [
        ...seriesParams(t.series),
        cellInt(t.cell),
        t.hotspotId,
        ts(t.openedWindow),
        t.lat,
        t.lon,
        JSON.stringify(t.cellPolygon),
        t.streetOffice?.id ?? null,
        t.streetOffice?.name ?? null,
        JSON.stringify(t.statistics),
        JSON.stringify(t.topDevices),
        JSON.stringify(t.peakReadings),
        t.wind === null ? null : JSON.stringify(t.wind),
        JSON.stringify(t.candidates),
      ],
    );
    return rows[0]?.id;
  }

  async touchTask(taskId: number, lastWindow: number): Promise<void> {
    await this.db.query(`update tasks set last_window = greatest(last_window, $2::timestamptz), updated_at = now() where id = $1`, [
      taskId,
      ts(lastWindow),
    ]);
  }

  async addTaskEvent(
    taskId: number,
    kind: TaskEventKind,
    e: { actor: string; window?: number; note?: string; details?: Record<string, unknown> },
  ): Promise<void> {
    await this.db.query(
      `insert into task_events (task_id, kind, actor, note, window_start, details) values ($1, $2, $3, $4, $5, $6) on conflict do nothing`,
      [taskId, kind, e.actor, e.note ?? null, e.window === undefined ? null : ts(e.window), JSON.stringify(e.details ?? {})],
    );
  }
}
