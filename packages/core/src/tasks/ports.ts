import type { TaskFinding, TaskState } from '@voc/hotspot';
import type { SeriesKey } from '@voc/domain';

/** The ports the task use-cases need (the task repository of `@voc/db` implements them). */

/** A device's contribution to a cell in a window. */
export interface TopDevice {
  readonly deviceId: string;
  readonly n: number;
  readonly mean: number;
  readonly max: number;
}

/** One of the highest readings of a cell in a window (position: the van's GPS, or the fixed device's registry position). */
export interface PeakReading {
  readonly deviceId: string;
  readonly time: string;
  readonly value: number;
  readonly lat: number | null;
  readonly lon: number | null;
}

/** A new task's content (see `tasks` in migrations/003_hotspots.sql). */
export interface TaskInput {
  readonly series: SeriesKey;
  readonly cell: string;
  readonly hotspotId: number;
  readonly openedWindow: number;
  readonly lat: number;
  readonly lon: number;
  readonly cellPolygon: unknown;
  readonly streetOffice: { id: string; name: string } | null;
  readonly statistics: Record<string, unknown>;
  readonly topDevices: readonly TopDevice[];
  readonly peakReadings: readonly PeakReading[];
  readonly wind: unknown;
  readonly candidates: readonly unknown[];
}

/** Kinds of task event (see `task_events`). */
export type TaskEventKind =
  | 'opened'
  | 'transition'
  | 'evidence'
  | 'hotspot_joined'
  | 'hotspot_cleared'
  | 'hotspot_clear_revised'
  | 'hotspot_withdrawn'
  | 'hotspot_reinstated'
  | 'condition_cleared'
  | 'condition_recurred'
  | 'comment'
  | 'assignment';

/**
 * Task categories: `hotspot` (trace-to-source, opened by the hotspot evaluation) and
 * `fume_compliance` ("fume compliance": opened by the compliance worker, one active per device and rule).
 */
export type TaskCategory = 'hotspot' | 'fume_compliance';

/** A task as listed (`voc tasks list`, the API). Times ISO 8601. */
export interface TaskSummary {
  readonly id: number;
  readonly category: TaskCategory;
  /** Fume compliance tasks: the monitor, the rule (`@voc/compliance` RULES) and the restaurant; null for hotspot tasks. */
  readonly deviceId: string | null;
  readonly rule: string | null;
  readonly facilityId: string | null;
  readonly metric: string;
  readonly resolution: number;
  readonly cell: string;
  readonly state: TaskState;
  readonly finding: TaskFinding | null;
  readonly openedWindow: string;
  readonly lastWindow: string;
  readonly streetOffice: { id: string; name: string } | null;
  readonly lat: number;
  readonly lon: number;
  readonly statistics: Record<string, unknown>;
  /** Person or team the task is assigned to, or null. */
  readonly assignee: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A task with everything it carries. */
export interface TaskDetail extends TaskSummary {
  readonly windowMinutes: number;
  /** Null for fume compliance tasks. */
  readonly hotspotId: number | null;
  readonly cellPolygon: unknown;
  readonly topDevices: unknown;
  readonly peakReadings: unknown;
  readonly wind: unknown;
  readonly candidates: unknown;
  readonly hotspots: { id: number; openedWindow: string; clearedWindow: string | null; state: string }[];
  readonly evidence: Record<string, unknown>[];
  readonly events: {
    id: number;
    at: string;
    kind: TaskEventKind;
    fromState: string | null;
    toState: string | null;
    actor: string;
    note: string | null;
    windowStart: string | null;
  }[];
}

/** Filter of {@link TaskStore.list}. */
export interface TaskFilter {
  readonly states?: readonly TaskState[];
  readonly category?: TaskCategory;
  readonly metric?: string;
  readonly limit?: number;
  /** Street office ids (a scoped key's, or the `street_office` filter); tasks without one never match. */
  readonly streetOffices?: readonly string[];
  /** H3 cell (hex). */
  readonly cell?: string;
  /** Opened window in [from, to), ISO 8601. */
  readonly from?: string;
  readonly to?: string;
  /** Tasks naming this facility among their candidate sources. */
  readonly facilityId?: string;
  /** Keyset: tasks with an id below this one (the list is newest first). */
  readonly beforeId?: number;
}

/** Storage of tasks for the task service. */
export interface TaskStore {
  list(filter: TaskFilter): Promise<TaskSummary[]>;
  get(id: number): Promise<TaskDetail | undefined>;
  /**
   * Moves a task from `from` to `to` and records the transition event, in one transaction, only if
   * the task is still in `from` (compare-and-set). @returns false when the task's state changed meanwhile
   */
  transition(
    id: number,
    from: TaskState,
    to: TaskState,
    e: { actor: string; finding: TaskFinding | null; note: string | null },
  ): Promise<boolean>;
  /** Records a comment event. @returns false when the task does not exist */
  comment(id: number, actor: string, note: string): Promise<boolean>;
  /** Sets the assignee (null: unassigned) and records an assignment event, in one transaction. @returns false when the task does not exist */
  assign(id: number, actor: string, assignee: string | null, note: string | null): Promise<boolean>;
}

/** A reading behind a task (canonical unit; `lat`/`lon` only for survey vans). */
export interface TaskReading {
  readonly time: string;
  readonly deviceId: string;
  readonly value: number;
  readonly unit: string;
  readonly refState: string;
  readonly qa: string;
  readonly lat: number | null;
  readonly lon: number | null;
}

/** Query of {@link TaskReadingsStore.cellReadings}: one metric in one H3 cell, `[from, to)` ISO 8601. */
export interface CellReadingsQuery {
  readonly metric: string;
  readonly cell: string;
  readonly from: string;
  readonly to: string;
  readonly limit: number;
}

/** Readings by cell (`TaskRepository` of `@voc/db`). */
export interface TaskReadingsStore {
  cellReadings(q: CellReadingsQuery): Promise<TaskReading[]>;
}
