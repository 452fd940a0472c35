import { Partitioners } from 'kafkajs';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createLogger, loadConfig, type Config } from '@voc/config';
import { AlertDispatcher, backfill, getTask, methodSettings, traceSettings, type HotspotListing, type TaskDetail } from '@voc/core';
import {
  AlertOutboxRepository,
  BackfillSourceRepository,
  createPool,
  EvaluationRepository,
  HotspotReportRepository,
  TaskRepository,
  type Pool,
} from '@voc/db';
import { evaluationJobId, isMetricId } from '@voc/domain';
import { windowOf, type MethodSettings } from '@voc/hotspot';
import { createKafka, KafkaAlertSink, topicNames } from '@voc/messaging';
import { commandArgs as args, isoTimeOption } from './args.js';
import { facilitiesImportCommand, jurisdictionsImportCommand } from './facilities.js';
import { UsageError, type Command } from './types.js';

function parseTime(name: string, v: string | boolean | undefined): number {
  const t = isoTimeOption(name, v);
  if (!t) throw new UsageError(`--${name} <ISO 8601 date or date-time with offset> is required`);
  return t.getTime();
}

function positive(name: string, v: string | boolean | undefined, integer: boolean): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)))
    throw new UsageError(`--${name} must be a positive ${integer ? 'whole ' : ''}number`);
  return n;
}

function metricsOf(v: string | boolean | undefined, cfg: Config): string[] {
  const list =
    typeof v === 'string'
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : cfg.hotspot.metrics;
  for (const m of list) if (!isMetricId(m)) throw new UsageError(`unknown metric "${m}"`);
  return list;
}

function thresholdsOf(v: string | boolean | undefined, cfg: Config): Record<string, number> | undefined {
  if (typeof v !== 'string') return undefined;
  const out: Record<string, number> = { ...cfg.hotspot.thresholds };
  for (const part of v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [k, val] = part.split('=');
    const n = Number(val);
    if (!k || !isMetricId(k.trim()) || !Number.isFinite(n)) throw new UsageError(`--thresholds: "${part}" is not metric=number`);
    out[k.trim()] = n;
  }
  return out;
}

const f = (x: number | null | undefined, d = 2): string => (x === null || x === undefined ? '-' : x.toFixed(d));
const iso = (s: string): string => s.replace(':00.000Z', 'Z');

/** The settings line printed before any result, so a run states exactly what it evaluated with. */
export function settingsLine(s: MethodSettings, defaults: MethodSettings): string {
  const mark = (k: keyof MethodSettings) =>
    JSON.stringify(s[k]) === JSON.stringify(defaults[k]) ? '' : ` (default ${JSON.stringify(defaults[k])})`;
  const th =
    Object.entries(s.thresholds)
      .map(([k, v]) => `${k}=${v}`)
      .join(',') || 'none';
  return (
    `settings: resolution ${s.resolution}${mark('resolution')}, window ${s.windowMinutes} min${mark('windowMinutes')}, ` +
    `min readings ${s.minReadings}${mark('minReadings')}, min van-pass readings ${s.minVanPassReadings}${mark('minVanPassReadings')}, ` +
    `ratio ${s.ratio}${mark('ratio')}, robust z ${s.robustZ}${mark('robustZ')}, van ≤ ${s.vanMaxSpeedKmh} km/h, pass gap ${s.vanPassGapSeconds} s, ` +
    `open ${s.openK} of ${s.openN}, clear after ${s.clearN}, thresholds ${th}${mark('thresholds')}`
  );
}

/** Table of hotspots (deterministic: ordered by window, metric, cell; no timings). */
export function hotspotTable(hs: readonly HotspotListing[]): string {
  if (hs.length === 0) return '  (none)\n';
  const head = [
    'hotspot',
    'metric',
    'cell',
    'opened window (UTC)',
    'cleared',
    'state',
    'n',
    'median',
    'baseline',
    'ratio',
    'z',
    'Gi*',
    'tests fired',
    'task',
  ];
  const rows = hs.map((h) => [
    `#${h.id}`,
    h.metric,
    h.cell,
    iso(h.openedWindow),
    h.clearedWindow ? iso(h.clearedWindow) : '-',
    h.state,
    String(h.n ?? '-'),
    f(h.median, 1),
    f(h.baseline, 1),
    f(h.ratio),
    f(h.robustZ),
    f(h.giStar),
    h.reasons.length ? h.reasons.join('+') : '-',
    h.taskId === null ? '-' : `#${h.taskId}`,
  ]);
  const w = head.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    `  ${r
      .map((c, i) => c.padEnd(w[i]!))
      .join('  ')
      .trimEnd()}\n`;
  return line(head) + rows.map(line).join('');
}

/** One task in a few lines: where, who is responsible, wind, the best candidates, top device. */
export function taskBlock(t: TaskDetail): string {
  const wind = t.wind as { deviceId: string; distanceM: number; dirDeg: number | null; speedMs: number } | null;
  const cands = (t.candidates as { name: string; category: string; distanceM: number; score: number; alignment: number | null }[]).slice(
    0,
    3,
  );
  const top = (t.topDevices as { deviceId: string; n: number; mean: number }[])[0];
  const st = t.statistics as { median?: number; baseline?: number | null; ratio?: number | null; robustZ?: number | null; unit?: string };
  if (t.category === 'fume_compliance')
    return (
      `  task #${t.id} [${t.state}] fume compliance: rule ${t.rule ?? '-'}, ${t.metric}, monitor ${t.deviceId ?? '-'}, restaurant ${t.facilityId ?? '-'}, opened for window ${iso(t.openedWindow)}, last evidence ${iso(t.lastWindow)}\n` +
      `    street office: ${t.streetOffice ? `${t.streetOffice.name} (${t.streetOffice.id})` : 'none (outside the jurisdiction map)'}; at ${t.lat.toFixed(4)} N, ${t.lon.toFixed(4)} E\n` +
      `    statistics: ${JSON.stringify(t.statistics)}\n`
    );
  return (
    `  task #${t.id} [${t.state}] ${t.metric} cell ${t.cell} (${t.lat.toFixed(4)} N, ${t.lon.toFixed(4)} E), opened for window ${iso(t.openedWindow)}, last evidence ${iso(t.lastWindow)}\n` +
    `    street office: ${t.streetOffice ? `${t.streetOffice.name} (${t.streetOffice.id})` : 'none (outside the jurisdiction map)'}\n` +
    `    statistics: median ${f(st.median, 1)} ${st.unit ?? ''} vs baseline ${f(st.baseline ?? null, 1)}, ratio ${f(st.ratio ?? null)}, z ${f(st.robustZ ?? null)}; hotspots ${t.hotspots.map((h) => `#${h.id} ${h.state}`).join(', ')}\n` +
    `    top device: ${top ? `${top.deviceId} (${top.n} readings, mean ${f(top.mean, 1)})` : '-'}; wind: ${wind ? `${wind.dirDeg === null ? 'calm/variable' : `from ${Math.round(wind.dirDeg)}°`} ${f(wind.speedMs, 1)} m/s (${wind.deviceId}, ${Math.round(wind.distanceM)} m away)` : 'no wind device within range'}\n` +
    `    candidates: ${cands.length ? cands.map((c) => `${c.name} [${c.category}] ${Math.round(c.distanceM)} m, score ${f(c.score)}`).join('; ') : 'no registered facility in the cell or upwind ring'}\n`
  );
}

async function publishPending(cfg: Config, pool: Pool): Promise<string> {
  const log = createLogger('cli', 'silent');
  const kafka = createKafka({ ...cfg.kafka }, log);
  const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  try {
    await producer.connect();
    const n = await new AlertDispatcher(
      new AlertOutboxRepository(pool),
      new KafkaAlertSink(producer, topicNames(cfg.kafka.topicPrefix).alerts),
      log,
      1000,
    ).dispatchOnce();
    return `alerts: ${n} published to ${topicNames(cfg.kafka.topicPrefix).alerts}\n`;
  } catch (err) {
    return `alerts: not published now (${err instanceof Error ? err.message : String(err)}); they stay in the outbox for the hotspot worker\n`;
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}

/** `voc hotspots backfill`. */
export const hotspotsBackfillCommand: Command = {
  name: 'hotspots backfill',
  summary: 'evaluate the hotspot grid over a historical range, in window order, and print hotspots and tasks',
  usage: `voc hotspots backfill --from <ISO> --to <ISO> [--metric m[,m…]] [--resolution r] [--window-minutes n]
                     [--min-readings n] [--min-van-pass-readings n] [--ratio x] [--robust-z x]
                     [--thresholds metric=value[,…]] [--all-windows] [--no-publish]

  Evaluates every window of [from, to) for each metric in window order (one transaction per window),
  with the settings of the environment (VOC_HOTSPOT_*) unless overridden here; the settings used are
  printed first. Windows without readings of a metric are skipped (with the max(open n, clear n)
  windows after each window with data still evaluated, which gives the same result; --all-windows
  evaluates every window). Prints per metric the windows evaluated, cells, eligible and high-value
  cell-windows, then the hotspots that opened in the range (cell, metric, window, ratio, robust z,
  Gi*) and their trace-to-source tasks. The same readings and settings give the same output on every
  run; running it again re-evaluates and changes nothing. Alerts go to the outbox and, unless
  --no-publish, are published to Kafka at the end.`,
  async run(argv) {
    const { values } = args(argv, {
      from: { type: 'string' },
      to: { type: 'string' },
      metric: { type: 'string' },
      resolution: { type: 'string' },
      'window-minutes': { type: 'string' },
      'min-readings': { type: 'string' },
      'min-van-pass-readings': { type: 'string' },
      ratio: { type: 'string' },
      'robust-z': { type: 'string' },
      thresholds: { type: 'string' },
      'all-windows': { type: 'boolean' },
      'no-publish': { type: 'boolean' },
    });
    const cfg = loadConfig(process.env, { service: 'cli' });
    const from = parseTime('from', values.from);
    const to = parseTime('to', values.to);
    if (to <= from) throw new UsageError('--to must be after --from');
    const metrics = metricsOf(values.metric, cfg);
    const override: { -readonly [K in keyof MethodSettings]?: MethodSettings[K] } = {};
    const res = positive('resolution', values.resolution, true);
    if (res !== undefined) {
      if (res < 7 || res > 10) throw new UsageError('--resolution must be 7-10');
      override.resolution = res;
    }
    const set = <K extends keyof MethodSettings>(k: K, v: MethodSettings[K] | undefined) => {
      if (v !== undefined) override[k] = v;
    };
    set('windowMinutes', positive('window-minutes', values['window-minutes'], true));
    set('minReadings', positive('min-readings', values['min-readings'], true));
    set('minVanPassReadings', positive('min-van-pass-readings', values['min-van-pass-readings'], true));
    set('ratio', positive('ratio', values.ratio, false));
    set('robustZ', positive('robust-z', values['robust-z'], false));
    set('thresholds', thresholdsOf(values.thresholds, cfg));
    const method = methodSettings(cfg.hotspot, override);
    const start = windowOf(from, method.windowMinutes).start;
    const log = createLogger('cli', cfg.logLevel);
    const pool = createPool(cfg.pg, log, 'voc-hotspots-backfill');
    try {
      process.stdout.write(
        `hotspot backfill ${new Date(start).toISOString()} → ${new Date(to).toISOString()}, metrics ${metrics.join(', ')}\n${settingsLine(method, methodSettings(cfg.hotspot))}\n`,
      );
      const store = new EvaluationRepository(pool, { connections: cfg.hotspot.rollupConnections, workMem: cfg.hotspot.workMem });
      const summary = await backfill(
        { store, method, trace: traceSettings(cfg.hotspot), watermarkMarginMs: cfg.hotspot.watermarkMarginMs, log },
        { from: start, to, metrics, source: values['all-windows'] === true ? undefined : new BackfillSourceRepository(pool) },
      );
      const report = new HotspotReportRepository(pool);
      const filter = { from: start, to, resolution: method.resolution, windowMinutes: method.windowMinutes, metrics };
      process.stdout.write('\nper metric: windows evaluated, cell-windows, eligible, high-value\n');
      for (const s of await report.summary(filter))
        process.stdout.write(
          `  ${s.metric.padEnd(10)} ${String(s.windows).padStart(5)} windows  ${String(s.cellWindows).padStart(6)} cells  ${String(s.eligible).padStart(6)} eligible  ${String(s.high).padStart(5)} high-value\n`,
        );
      const hs = await report.hotspots(filter);
      process.stdout.write(`\nhotspots opened in the range: ${hs.length}\n${hotspotTable(hs)}`);
      const taskIds = [...new Set(hs.map((h) => h.taskId).filter((id): id is number => id !== null))].sort((a, b) => a - b);
      process.stdout.write(
        `\ntrace-to-source tasks: ${taskIds.length} (a task stays open until a team resolves or dismisses it; a hotspot that clears is only noted on it)\n`,
      );
      const tasks = new TaskRepository(pool);
      for (const id of taskIds) process.stdout.write(taskBlock(await getTask(tasks, id)));
      if (values['no-publish'] !== true) process.stdout.write(`\n${await publishPending(cfg, pool)}`);
      process.stderr.write(`backfill: ${summary.windows} windows in ${(summary.durationMs / 1000).toFixed(1)} s\n`);
      return 0;
    } finally {
      await pool.end();
    }
  },
};

/** `voc hotspots list`. */
export const hotspotsListCommand: Command = {
  name: 'hotspots list',
  summary: 'list hotspots of the live grid (or of --window-minutes/--resolution) opened in a range',
  usage: `voc hotspots list [--from <ISO>] [--to <ISO>] [--metric m[,m…]] [--state open|cleared|withdrawn] [--resolution r] [--window-minutes n]

  Default range: the last 7 days; default grid: VOC_HOTSPOT_RESOLUTION and VOC_HOTSPOT_WINDOW_MINUTES.`,
  async run(argv) {
    const { values } = args(argv, {
      from: { type: 'string' },
      to: { type: 'string' },
      metric: { type: 'string' },
      state: { type: 'string' },
      resolution: { type: 'string' },
      'window-minutes': { type: 'string' },
    });
    const cfg = loadConfig(process.env, { service: 'cli' });
    const to = values.to === undefined ? Date.now() : parseTime('to', values.to);
    const from = values.from === undefined ? to - 7 * 24 * 3_600_000 : parseTime('from', values.from);
    const pool = createPool(cfg.pg, createLogger('cli', cfg.logLevel), 'voc-hotspots');
    try {
      const hs = await new HotspotReportRepository(pool).hotspots({
        from,
        to,
        resolution: positive('resolution', values.resolution, true) ?? cfg.hotspot.resolution,
        windowMinutes: positive('window-minutes', values['window-minutes'], true) ?? cfg.hotspot.windowMinutes,
        metrics: typeof values.metric === 'string' ? metricsOf(values.metric, cfg) : undefined,
        states: typeof values.state === 'string' ? [values.state] : undefined,
      });
      process.stdout.write(hotspotTable(hs));
      return 0;
    } finally {
      await pool.end();
    }
  },
};

/** `voc hotspots enqueue`: adds the evaluation job of one window to the worker's queue (operations). */
export const hotspotsEnqueueCommand: Command = {
  name: 'hotspots enqueue',
  summary: 'ask the hotspot worker to (re-)evaluate one window of one metric now',
  usage: `voc hotspots enqueue --metric m --window <ISO start of the window>

  Adds a manual evaluation job (id eval/<metric>/<resolution>/<window>/manual-<time>) to VOC_HOTSPOT_QUEUE.`,
  async run(argv) {
    const { values } = args(argv, { metric: { type: 'string' }, window: { type: 'string' } });
    const cfg = loadConfig(process.env, { service: 'cli' });
    if (typeof values.metric !== 'string') throw new UsageError('--metric is required');
    const metric = metricsOf(values.metric, cfg)[0]!;
    const w = windowOf(parseTime('window', values.window), cfg.hotspot.windowMinutes).start;
    const connection = new Redis(cfg.redis.url, { username: cfg.redis.username, password: cfg.redis.password, maxRetriesPerRequest: null });
    const queue = new Queue(cfg.hotspot.queue, { connection });
    try {
      const id = `${evaluationJobId({ metric, resolution: cfg.hotspot.resolution, windowMinutes: cfg.hotspot.windowMinutes }, w)}/manual-${Date.now()}`;
      await queue.add(
        'evaluate',
        {
          metric,
          resolution: cfg.hotspot.resolution,
          windowMinutes: cfg.hotspot.windowMinutes,
          windowStart: new Date(w).toISOString(),
          trigger: 'manual',
          enqueuedAt: Date.now(),
        },
        { jobId: id, attempts: cfg.hotspot.attempts, backoff: { type: 'exponential', delay: cfg.hotspot.backoffMs } },
      );
      process.stdout.write(`enqueued ${id}\n`);
      return 0;
    } finally {
      await queue.close();
      connection.disconnect();
    }
  },
};

/** The hotspot commands. */
export const HOTSPOT_COMMANDS: readonly Command[] = [hotspotsBackfillCommand, hotspotsListCommand, hotspotsEnqueueCommand];

/**
 * Arguments of `voc hotspots backfill` for the committed demo data (docs/hotspots.md, "The demo"): every
 * replayed data set (2004, 2017, 2019), 6-hour windows so that hourly station cells can be eligible with
 * the default 6 readings; ozone left out.
 */
export const DEMO_BACKFILL_ARGS: readonly string[] = [
  '--from',
  '2004-01-01T00:00:00Z',
  '--to',
  '2020-01-01T00:00:00Z',
  '--metric',
  'pm25,pm10,no2,so2,co,voc_index,benzene,nmhc,bc,ufp,co2',
  '--window-minutes',
  '360',
];

/**
 * The hotspot part of the demo, for `voc demo` to call after the replay: imports the illustrative
 * facilities and street offices of `dataDir` (data/demo) and runs the backfill above, printing its
 * settings, hotspots and tasks. Uses the environment's database and Kafka prefix.
 * @returns exit code
 */
export async function runDemoHotspots(dataDir: string): Promise<number> {
  const dir = dataDir.replace(/\/$/, '');
  if ((await facilitiesImportCommand.run([`${dir}/facilities.csv`])) !== 0) return 1;
  if ((await jurisdictionsImportCommand.run([`${dir}/jurisdictions.geojson`])) !== 0) return 1;
  return hotspotsBackfillCommand.run([...DEMO_BACKFILL_ARGS]);
}
