/** The ingest benchmark's printed tables (BENCHMARKS.md): one run, and the spread of several. */

/** What one offered rate measured end to end. */
export interface RateResult {
  rate: number;
  seconds: number;
  load: { before: number; mean: number; max: number; after: number };
  due: number;
  offered: number;
  acked: number;
  refused: number;
  failed: number;
  ackedValues: number;
  storedValues: number;
  lost: number;
  deadLetters: number;
  msgPerSec: number;
  valuesPerSec: number;
  latencyP50s: number;
  latencyP99s: number;
  latencyMaxS: number;
  processes: Record<string, { cpuSeconds: number; cpuCores: number; peakRssMiB: number; cpuMicrosPerValue: number }>;
  /** CPU µs per stored value of the pipeline (gateway, writer, Kafka, PostgreSQL backends). */
  cpuMicrosPerValuePipeline: number;
  /** The same with the load generator. */
  cpuMicrosPerValueTotal: number;
  timeline: { t: number; rows: number }[];
}

const fmt = (n: number) => n.toLocaleString('en-US');

export function printRun(
  result: { when: string; stages: Record<string, number>; endToEnd: (RateResult & { ratioToSlowestStage: number })[] },
  file: string,
): void {
  const rs = result.endToEnd;
  const row = (label: string, f: (r: RateResult & { ratioToSlowestStage: number }) => string) => `| ${label} | ${rs.map(f).join(' | ')} |`;
  const names = [...new Set(rs.flatMap((r) => Object.keys(r.processes)))];
  const lines = [
    `Ingest benchmark ${result.when}; results: ${file}`,
    ``,
    `| stage alone | messages/s (3 values each) |`,
    `|---|---|`,
    `| MQTT endpoint → no-op handler (QoS 1) | ${fmt(result.stages.endpointMsgPerSec!)} |`,
    `| Kafka produce + consume no-op | ${fmt(result.stages.kafkaMsgPerSec!)} |`,
    `| bulk load into readings | ${fmt(result.stages.dbMsgPerSec!)} (${fmt(result.stages.dbValuesPerSec!)} values/s) |`,
    ``,
    `| end to end | ${rs.map((r) => `offered ${fmt(r.rate)} msg/s`).join(' | ')} |`,
    `|---|${rs.map(() => '---').join('|')}|`,
    row('load average (1 min) before / mean / max', (r) => `${r.load.before} / ${r.load.mean} / ${r.load.max}`),
    row('offered / acknowledged msgs', (r) => `${fmt(r.offered)} / ${fmt(r.acked)}`),
    row('acknowledged values / stored / lost', (r) => `${fmt(r.ackedValues)} / ${fmt(r.storedValues)} / **${fmt(r.lost)}**`),
    row('sustained', (r) => `**${fmt(r.msgPerSec)} msg/s** (${fmt(r.valuesPerSec)} values/s)`),
    row('publish-to-stored p50 / p99', (r) => `${r.latencyP50s} s / **${r.latencyP99s} s**`),
    row('CPU µs per stored value: pipeline / with load generator', (r) => `${r.cpuMicrosPerValuePipeline} / ${r.cpuMicrosPerValueTotal}`),
    ...names.map((n) =>
      row(`${n}: CPU s (cores), µs/value, peak RSS`, (r) => {
        const p = r.processes[n];
        return p ? `${p.cpuSeconds} s (${p.cpuCores}), ${p.cpuMicrosPerValue} µs, ${p.peakRssMiB} MiB` : '-';
      }),
    ),
    row('end to end / slowest stage', (r) => String(r.ratioToSlowestStage)),
  ];
  process.stdout.write(lines.join('\n') + '\n\n');
}

function spread(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  return `${s[0]} / ${s[Math.floor(s.length / 2)]} / ${s[s.length - 1]}`;
}

/** The spread (min / median / max) of several runs' end-to-end figures, per offered rate, as Markdown. */
export function printSpread(all: readonly { endToEnd: RateResult[] }[], rates: readonly number[]): void {
  const runs = all.length;
  const at = (rate: number) => all.map((a) => a.endToEnd.find((r) => r.rate === rate)!);
  const row = (label: string, f: (r: RateResult) => number) => `| ${label} | ${rates.map((rate) => spread(at(rate).map(f))).join(' | ')} |`;
  process.stdout.write(
    [
      `Spread of ${runs} runs (min / median / max)`,
      ``,
      `| | ${rates.map((r) => `offered ${fmt(r)} msg/s`).join(' | ')} |`,
      `|---|${rates.map(() => '---').join('|')}|`,
      row('lost values', (r) => r.lost),
      row('sustained msg/s', (r) => r.msgPerSec),
      row('p50 s', (r) => r.latencyP50s),
      row('p99 s', (r) => r.latencyP99s),
      row('CPU µs per stored value (pipeline)', (r) => r.cpuMicrosPerValuePipeline),
      row('CPU µs per stored value (with load generator)', (r) => r.cpuMicrosPerValueTotal),
      row('gateway peak RSS MiB', (r) => r.processes.gateway?.peakRssMiB ?? 0),
      row('load average mean', (r) => r.load.mean),
      '',
    ].join('\n'),
  );
}
