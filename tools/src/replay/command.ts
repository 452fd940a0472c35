import { loadConfig } from '@voc/config';
import { ERROR_CODES, VocError } from '@voc/domain';
import { commandArgs, isoTimeOption, readCredentialsFile, UsageError, type Command } from '@voc/cli';
import { replayDeps } from './adapters.js';
import { replay } from './engine.js';
import { barProgress, lineProgress } from './progress.js';
import { sourceAvailable, sourceMarkerFile, UCI_DEFAULT_TIME_ZONE } from './sources/index.js';
import { formatReplaySummary } from './summary.js';
import { isTimeZone } from './time.js';
import { SOURCE_IDS, type SourceId } from './types.js';

function numberOption(name: string, v: string | boolean | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) throw new UsageError(`--${name}: "${String(v)}" must be a number ≥ ${min}`);
  return n;
}

/** `voc replay`. */
export const replayCommand: Command = {
  name: 'replay',
  summary: 'publish the real data sets over MQTT as the devices that produced them',
  usage: `voc replay --credentials <credentials.json> [--data data/demo] [--sources beijing,uci,mobile]
           [--speed 3600|max] [--max-rate <msg/s>] [--from <ISO>] [--to <ISO>] [--batch 1] [--uci-tz +01:00]

  Publishes each source's readings with their original timestamps (UTC, ISO 8601 "Z") over MQTT v5,
  QoS 1, one authenticated connection per device on its own topic voc/v1/{kind}/{id}/up. Sources replay
  concurrently, each on its own clock starting at its first reading.

  --credentials <file>  JSON written by \`voc devices register ... --credentials-out <file>\` (required)
  --data <dir>          data folder laid out like ../shared/data (default data/demo)
  --sources <list>      any of beijing, uci, mobile (default all three)
  --speed <factor>      time compression: 3600 = one hour of data per second (default); "max" or 0 = no pacing
  --max-rate <n>        at most n messages per second over all sources
  --from, --to <ISO>    only readings with from <= time < to (dates alone are UTC midnight)
  --batch <n>           readings per MQTT message, 1-1000 (default 1)
  --uci-tz <zone>       time zone of the UCI file: +01:00 (default, the file's clock has no DST) or e.g. Europe/Rome

  The gateway refuses readings older than VOC_ALLOWED_LATENESS_MS (default 7 days) or earlier than
  VOC_EARLIEST_READING_TIME (default 2013-01-01): run it with a lateness longer than the age of the
  data and an earlier floor (the UCI file is from 2004) when replaying history.`,
  async run(argv) {
    const { values } = commandArgs(argv, {
      credentials: { type: 'string' },
      data: { type: 'string', default: 'data/demo' },
      sources: { type: 'string', default: SOURCE_IDS.join(',') },
      speed: { type: 'string', default: '3600' },
      'max-rate': { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      batch: { type: 'string', default: '1' },
      'uci-tz': { type: 'string', default: UCI_DEFAULT_TIME_ZONE },
    });
    const credPath = values.credentials as string | undefined;
    if (!credPath) throw new UsageError('--credentials is required');
    const dataDir = values.data as string;
    const sources = String(values.sources)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const s of sources)
      if (!SOURCE_IDS.includes(s as SourceId)) throw new UsageError(`--sources: unknown source "${s}" (known: ${SOURCE_IDS.join(', ')})`);
    if (sources.length === 0) throw new UsageError('--sources: give at least one source');
    for (const s of sources as SourceId[]) {
      if (!sourceAvailable(s, dataDir))
        throw new VocError(ERROR_CODES.invalid_request, `source ${s}: ${sourceMarkerFile(s, dataDir)} not found`);
    }
    const speedRaw = String(values.speed);
    const speed = speedRaw === 'max' ? Infinity : numberOption('speed', speedRaw, 0)!;
    const batch = numberOption('batch', values.batch, 1)!;
    if (!Number.isInteger(batch) || batch > 1000) throw new UsageError('--batch must be an integer from 1 to 1000');
    const uciTz = String(values['uci-tz']);
    if (!isTimeZone(uciTz)) throw new UsageError(`--uci-tz: "${uciTz}" is neither ±HH:MM nor a known IANA time zone`);
    const from = isoTimeOption('from', values.from);
    const to = isoTimeOption('to', values.to);
    if (from && to && from >= to) throw new UsageError('--from must be before --to');

    const credentials = await readCredentialsFile(credPath);
    if (Object.keys(credentials).length === 0)
      throw new VocError(ERROR_CODES.invalid_request, `${credPath}: no credentials (missing or empty file)`);
    const cfg = loadConfig();

    const controller = new AbortController();
    const onSignal = () => controller.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const deps = {
        ...replayDeps(dataDir, cfg.mqtt.url, { uci: { timeZone: uciTz } }),
        progress: process.stderr.isTTY ? barProgress() : lineProgress(),
      };
      const result = await replay(
        {
          sources: sources as SourceId[],
          credentials,
          speed: speed === 0 ? Infinity : speed,
          maxRate: numberOption('max-rate', values['max-rate'], 0),
          from,
          to,
          batch,
          maxPayloadBytes: cfg.ingest.maxPayloadBytes,
          signal: controller.signal,
        },
        deps,
      );
      process.stdout.write(formatReplaySummary(result));
      if (result.aborted) return 130;
      return Object.values(result.sources).some((c) => c.failedMessages > 0) ? 1 : 0;
    } catch (err) {
      if (err instanceof VocError || err instanceof UsageError || !(err instanceof Error)) throw err;
      // Broker refusals and socket errors: a message, not a stack trace.
      process.stderr.write(`voc replay: ${err.message}\n`);
      return 1;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};
