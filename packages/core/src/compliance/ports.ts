import type { Sample } from '@voc/compliance';
import type { Jurisdiction } from '@voc/hotspot';

/** A fume monitor the compliance engine evaluates (active `fume` device, with its logger entry when it has one). */
export interface ComplianceDevice {
  readonly deviceId: string;
  readonly lat: number;
  readonly lon: number;
  readonly facilityId: string | null;
  /** `DB11/1488-2018` (default when the device has no logger entry) or `GB 18483-2001`. */
  readonly limitStandard: string;
  readonly openingHours: string | null;
  readonly purifierRatedCurrentA: number | null;
}

/** The state of one device and rule (table `compliance_states`). */
export interface ComplianceState {
  readonly active: boolean;
  readonly since: string;
  readonly taskId: number | null;
}

/** What a raise or clear records: the window, the evidence, and where the task is routed. */
export interface ComplianceChange {
  readonly deviceId: string;
  readonly rule: string;
  /** Metric the rule is about (the task's `metric`). */
  readonly metric: string;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly evidence: Record<string, unknown>;
  readonly facilityId: string | null;
  readonly lat: number;
  readonly lon: number;
  /** H3 cell (res 10) of the device and its polygon, for the task. */
  readonly cell: string;
  readonly cellPolygon: unknown;
  readonly streetOffice: { id: string; name: string } | null;
  readonly windowMinutes: number;
}

/** Port: storage of the compliance engine (`ComplianceRepository` of `@voc/db`). */
export interface ComplianceStore {
  /** Active fume devices with their compliance settings. */
  devices(): Promise<ComplianceDevice[]>;
  /** Street-office areas (the jurisdiction map that routes tasks). */
  jurisdictions(): Promise<Jurisdiction[]>;
  /** Values of the given devices in [start, end), by device and metric, sorted by time; `valid` = QA valid. */
  samples(deviceIds: readonly string[], start: number, end: number): Promise<Map<string, Record<string, Sample[]>>>;
  /** Current state per `deviceId|rule`. */
  states(): Promise<Map<string, ComplianceState>>;
  /**
   * The condition holds now and did not before: records a `raised` event and opens a task of category
   * `fume_compliance` (or, when one is still active for the device and rule, notes `condition_recurred`
   * on it), in one transaction. Idempotent on (device, rule, window end). @returns the task id
   */
  raise(c: ComplianceChange): Promise<number>;
  /** The condition held and no longer does: records a `cleared` event and notes `condition_cleared` on the task. */
  clear(c: ComplianceChange, taskId: number | null): Promise<void>;
  /** The state is unchanged (`active` as before): records that it was evaluated at `c.windowEnd`. */
  touch(c: ComplianceChange, active: boolean): Promise<void>;
}
