import type { ReplayCounts, ReplayResult } from './engine.js';

/**
 * Human-readable summary of a replay: one line per source and per device (acknowledged messages,
 * readings, values; failed messages), then the totals and the first errors.
 */
export function formatReplaySummary(r: ReplayResult): string {
  const head = ['', 'messages', 'readings', 'values', 'failed msgs'];
  const row = (name: string, c: ReplayCounts) => [name, String(c.messages), String(c.readings), String(c.values), String(c.failedMessages)];
  const total = Object.values(r.sources).reduce(
    (t, c) => ({
      messages: t.messages + c.messages,
      readings: t.readings + c.readings,
      values: t.values + c.values,
      failedMessages: t.failedMessages + c.failedMessages,
      failedReadings: t.failedReadings + c.failedReadings,
    }),
    { messages: 0, readings: 0, values: 0, failedMessages: 0, failedReadings: 0 },
  );
  const rows = [
    head,
    ...Object.entries(r.sources).map(([s, c]) => row(`source ${s}`, c)),
    ...Object.entries(r.devices).map(([d, c]) => row(`  device ${d}`, c)),
    row('total', total),
  ];
  const widths = head.map((_, i) => Math.max(...rows.map((x) => x[i]!.length)));
  const lines = rows.map((x) => x.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
  const secs = ((r.finishedAt - r.startedAt) / 1000).toFixed(1);
  const out = [
    `replay ${r.aborted ? 'interrupted' : 'finished'} in ${secs} s (published = acknowledged by the broker with PUBACK)`,
    ...lines,
  ];
  if (r.errors.length) out.push('PUBACK failures (first ones):', ...r.errors.map((e) => `  ${e}`));
  return out.join('\n') + '\n';
}
