import { isTaskState, TASK_FINDINGS, TASK_STATES, type TaskState } from '@voc/hotspot';
import { getTask, listTasks, transitionTask, type TaskStore } from '@voc/core';
import { TaskRepository } from '@voc/db';
import { commandArgs as args } from './args.js';
import { withPool } from './context.js';
import { taskBlock } from './hotspots.js';
import { UsageError, type Command } from './types.js';

async function withTasks<T>(fn: (store: TaskStore) => Promise<T>): Promise<T> {
  return withPool('voc-tasks', (pool) => fn(new TaskRepository(pool)));
}

function taskId(v: string | undefined): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`task id must be a positive whole number, got "${v}"`);
  return n;
}

/** `voc tasks list`. */
export const tasksListCommand: Command = {
  name: 'tasks list',
  summary: 'list trace-to-source tasks (newest first)',
  usage: `voc tasks list [--state s[,s…]] [--metric m] [--limit n] [--json]

  States: ${TASK_STATES.join(', ')}.`,
  async run(argv) {
    const { values } = args(argv, {
      state: { type: 'string' },
      metric: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
    });
    const states = typeof values.state === 'string' ? values.state.split(',').map((s) => s.trim()) : undefined;
    for (const s of states ?? []) if (!isTaskState(s)) throw new UsageError(`unknown state "${s}" (${TASK_STATES.join(', ')})`);
    const limit = values.limit === undefined ? 100 : Number(values.limit);
    if (!Number.isInteger(limit) || limit <= 0) throw new UsageError('--limit must be a positive whole number');
    const list = await withTasks((store) =>
      listTasks(store, {
        states: states as TaskState[] | undefined,
        metric: typeof values.metric === 'string' ? values.metric : undefined,
        limit,
      }),
    );
    if (values.json === true) {
      process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      return 0;
    }
    if (list.length === 0) process.stdout.write('no tasks\n');
    for (const t of list) {
      const st = t.statistics as { median?: number; ratio?: number | null; unit?: string };
      // A fume compliance task names its rule, monitor and restaurant; a hotspot task its cell median.
      const what =
        t.category === 'fume_compliance'
          ? `rule ${t.rule ?? '-'}  monitor ${t.deviceId ?? '-'}  restaurant ${t.facilityId ?? '-'}`
          : `median ${st.median?.toFixed(1) ?? '-'} ${st.unit ?? ''}`;
      process.stdout.write(
        `#${t.id}  ${t.state.padEnd(12)} ${t.metric.padEnd(9)} ${t.cell}  opened ${t.openedWindow}  ${t.streetOffice?.name ?? '(no street office)'}  ${what}${t.finding ? `  finding ${t.finding}` : ''}\n`,
      );
    }
    return 0;
  },
};

/** `voc tasks show`. */
export const tasksShowCommand: Command = {
  name: 'tasks show',
  summary: 'show one task with its evidence and events',
  usage: 'voc tasks show <id> [--json]',
  async run(argv) {
    const { values, positionals } = args(argv, { json: { type: 'boolean' } }, 1);
    const t = await withTasks((store) => getTask(store, taskId(positionals[0])));
    if (values.json === true) {
      process.stdout.write(`${JSON.stringify(t, null, 2)}\n`);
      return 0;
    }
    process.stdout.write(taskBlock(t));
    process.stdout.write(
      `    evidence:\n${t.evidence.map((e) => `      ${String(e.windowStart)} ${String(e.role).padEnd(9)} high ${String(e.high)} n ${String(e.n)} median ${typeof e.median === 'number' ? e.median.toFixed(1) : '-'}\n`).join('')}`,
    );
    process.stdout.write(
      `    events:\n${t.events.map((e) => `      ${e.at} ${e.kind}${e.toState ? ` ${e.fromState} → ${e.toState}` : ''} by ${e.actor}${e.note ? `: ${e.note}` : ''}\n`).join('')}`,
    );
    return 0;
  },
};

/** `voc tasks transition`. */
export const tasksTransitionCommand: Command = {
  name: 'tasks transition',
  summary: 'move a task: acknowledged, in_progress, resolved (with --finding) or dismissed',
  usage: `voc tasks transition <id> <state> --actor <name> [--finding <finding>] [--note <text>]

  Lifecycle: open → acknowledged → in_progress → resolved, or dismissed from any state that is not final.
  Findings (resolved only): ${TASK_FINDINGS.join(', ')}.`,
  async run(argv) {
    const { values, positionals } = args(argv, { actor: { type: 'string' }, finding: { type: 'string' }, note: { type: 'string' } }, 2);
    if (typeof values.actor !== 'string') throw new UsageError('--actor <name> is required');
    const t = await withTasks((store) =>
      transitionTask(store, taskId(positionals[0]), positionals[1]!, {
        actor: values.actor as string,
        finding: typeof values.finding === 'string' ? values.finding : null,
        note: typeof values.note === 'string' ? values.note : null,
      }),
    );
    process.stdout.write(`task #${t.id}: ${t.state}${t.finding ? ` (${t.finding})` : ''}\n`);
    return 0;
  },
};

/** The task commands. */
export const TASK_COMMANDS: readonly Command[] = [tasksListCommand, tasksShowCommand, tasksTransitionCommand];
