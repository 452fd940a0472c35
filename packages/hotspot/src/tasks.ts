import { ERROR_CODES, VocError } from '@voc/domain';

/**
 * Lifecycle of a trace-to-source task (DOMAIN.md §6):
 * open → acknowledged → in_progress → resolved (with a finding), or dismissed from any state that is
 * not final. `resolved` and `dismissed` are final.
 */
export const TASK_STATES = ['open', 'acknowledged', 'in_progress', 'resolved', 'dismissed'] as const;
/** One of {@link TASK_STATES}. */
export type TaskState = (typeof TASK_STATES)[number];

/** States in which a task is still open for work; at most one such task exists per metric and cell. */
export const ACTIVE_TASK_STATES = ['open', 'acknowledged', 'in_progress'] as const satisfies readonly TaskState[];

/**
 * True for the {@link ACTIVE_TASK_STATES}. The partial unique index `tasks_one_active_per_cell`
 * (migrations/003_hotspots.sql) spells the same list, because DDL cannot take a parameter.
 */
export function isActiveTaskState(s: TaskState): boolean {
  return (ACTIVE_TASK_STATES as readonly TaskState[]).includes(s);
}

/** What the team found, required when resolving. */
export const TASK_FINDINGS = ['source_found_and_handled', 'no_source_found', 'measurement_fault'] as const;
/** One of {@link TASK_FINDINGS}. */
export type TaskFinding = (typeof TASK_FINDINGS)[number];

/** Allowed next states of each state. */
export const TASK_TRANSITIONS: Readonly<Record<TaskState, readonly TaskState[]>> = Object.freeze({
  open: ['acknowledged', 'dismissed'],
  acknowledged: ['in_progress', 'dismissed'],
  in_progress: ['resolved', 'dismissed'],
  resolved: [],
  dismissed: [],
});

/** Type guard for a task state. */
export function isTaskState(s: string): s is TaskState {
  return (TASK_STATES as readonly string[]).includes(s);
}

/** Type guard for a finding. */
export function isTaskFinding(s: string): s is TaskFinding {
  return (TASK_FINDINGS as readonly string[]).includes(s);
}

/**
 * Checks a transition of a task.
 * @throws VocError `VOC_ERR_INVALID_TRANSITION` when `to` is not an allowed next state of `from`
 * @throws VocError `VOC_ERR_INVALID_REQUEST` when resolving without a finding, or giving a finding
 *   to a transition other than `resolved`
 */
export function checkTransition(from: TaskState, to: TaskState, finding?: TaskFinding | null): void {
  if (!TASK_TRANSITIONS[from].includes(to)) {
    const allowed = TASK_TRANSITIONS[from];
    throw new VocError(
      ERROR_CODES.invalid_transition,
      `a task in state ${from} cannot move to ${to}${allowed.length ? ` (allowed: ${allowed.join(', ')})` : ' (final state)'}`,
      {
        details: { from, to, allowed },
      },
    );
  }
  if (to === 'resolved' && !finding)
    throw new VocError(ERROR_CODES.invalid_request, `resolving a task needs a finding: ${TASK_FINDINGS.join(', ')}`);
  if (to !== 'resolved' && finding) throw new VocError(ERROR_CODES.invalid_request, `a finding is given only when resolving a task`);
}
