import { ERROR_CODES, VocError } from '@voc/domain';
import { checkTransition, isTaskFinding, isTaskState, type TaskFinding } from '@voc/hotspot';
import type { TaskDetail, TaskFilter, TaskReading, TaskReadingsStore, TaskStore, TaskSummary } from './ports.js';

/** Input of {@link transitionTask}. */
export interface TransitionInput {
  /** Who moves the task (name or account of the person or team); required. */
  readonly actor: string;
  /** Required when resolving: source_found_and_handled, no_source_found or measurement_fault. */
  readonly finding?: string | null;
  readonly note?: string | null;
}

/** Lists tasks, newest first (default: every state, at most 100). */
export function listTasks(store: TaskStore, filter: TaskFilter = {}): Promise<TaskSummary[]> {
  return store.list(filter);
}

/**
 * One task with its hotspots, per-window evidence and events.
 * @throws VocError `VOC_ERR_NOT_FOUND`
 */
export async function getTask(store: TaskStore, id: number): Promise<TaskDetail> {
  const t = await store.get(id);
  if (!t) throw new VocError(ERROR_CODES.not_found, `task ${id} does not exist`);
  return t;
}

/**
 * Moves a task along its lifecycle (open → acknowledged → in_progress → resolved with a finding, or
 * dismissed), recording actor, time and note as a task event in the same transaction.
 * @throws VocError `VOC_ERR_NOT_FOUND` for an unknown task; `VOC_ERR_INVALID_TRANSITION` for a move
 *   the lifecycle does not allow; `VOC_ERR_INVALID_REQUEST` for an unknown state or finding, a missing
 *   actor, or resolving without a finding; `VOC_ERR_CONFLICT` when the task changed state meanwhile
 */
export async function transitionTask(store: TaskStore, id: number, to: string, input: TransitionInput): Promise<TaskDetail> {
  if (!isTaskState(to)) throw new VocError(ERROR_CODES.invalid_request, `unknown task state "${to}"`);
  const actor = input.actor.trim();
  if (!actor) throw new VocError(ERROR_CODES.invalid_request, 'a transition needs an actor');
  let finding: TaskFinding | null = null;
  if (input.finding) {
    if (!isTaskFinding(input.finding)) throw new VocError(ERROR_CODES.invalid_request, `unknown finding "${input.finding}"`);
    finding = input.finding;
  }
  const task = await getTask(store, id);
  checkTransition(task.state, to, finding);
  const ok = await store.transition(id, task.state, to, { actor, finding, note: input.note?.trim() || null });
  if (!ok) throw new VocError(ERROR_CODES.conflict, `task ${id} changed state while it was being moved; read it again`);
  return getTask(store, id);
}

/**
 * Adds a comment to a task's audit trail.
 * @throws VocError `VOC_ERR_INVALID_REQUEST` for an empty actor or note; `VOC_ERR_NOT_FOUND`
 */
export async function commentTask(store: TaskStore, id: number, actor: string, note: string): Promise<TaskDetail> {
  if (!actor.trim()) throw new VocError(ERROR_CODES.invalid_request, 'actor: a comment needs an actor');
  if (!note.trim()) throw new VocError(ERROR_CODES.invalid_request, 'note: a comment needs text');
  if (!(await store.comment(id, actor.trim(), note.trim()))) throw new VocError(ERROR_CODES.not_found, `task ${id} does not exist`);
  return getTask(store, id);
}

/**
 * Assigns a task to a person or team (null unassigns), recorded in its audit trail.
 * @throws VocError `VOC_ERR_INVALID_REQUEST` for an empty actor; `VOC_ERR_NOT_FOUND`
 */
export async function assignTask(
  store: TaskStore,
  id: number,
  actor: string,
  assignee: string | null,
  note?: string | null,
): Promise<TaskDetail> {
  if (!actor.trim()) throw new VocError(ERROR_CODES.invalid_request, 'actor: an assignment needs an actor');
  const who = assignee?.trim() || null;
  if (!(await store.assign(id, actor.trim(), who, note?.trim() || null)))
    throw new VocError(ERROR_CODES.not_found, `task ${id} does not exist`);
  return getTask(store, id);
}

/** Most readings a task detail carries ({@link taskReadings}); the rest are one series query away. */
export const TASK_READINGS_CAP = 1000;

/**
 * The readings behind a task: every reading of its metric in its cell (all devices, fixed and van)
 * from its first window's start to the end of its last window, oldest first, at most `cap`.
 * `truncated` says the cap cut it.
 */
export async function taskReadings(
  store: TaskReadingsStore,
  t: Pick<TaskDetail, 'metric' | 'cell' | 'openedWindow' | 'lastWindow' | 'windowMinutes'>,
  cap = TASK_READINGS_CAP,
): Promise<{ window: { from: string; to: string }; limit: number; truncated: boolean; results: TaskReading[] }> {
  const from = t.openedWindow;
  const to = new Date(Date.parse(t.lastWindow) + t.windowMinutes * 60_000).toISOString();
  const rows = await store.cellReadings({ metric: t.metric, cell: t.cell, from, to, limit: cap + 1 });
  return { window: { from, to }, limit: cap, truncated: rows.length > cap, results: rows.slice(0, cap) };
}
