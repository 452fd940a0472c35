import cliProgress from 'cli-progress';
import type { ReplayProgress } from './engine.js';
import type { SourceId } from './types.js';

/**
 * Progress on a terminal: one `cli-progress` bar per source (acknowledged readings of the total),
 * written to `stream` (stderr by default so stdout keeps only the summary).
 */
export function barProgress(stream: NodeJS.WritableStream = process.stderr): ReplayProgress {
  const multi = new cliProgress.MultiBar(
    {
      stream,
      format: '{source} [{bar}] {percentage}% | {value}/{total} readings | failed {failed} | ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: false,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<SourceId, cliProgress.SingleBar>();
  return {
    start(totals) {
      for (const [source, total] of Object.entries(totals) as [SourceId, number][]) {
        bars.set(source, multi.create(Math.max(total, 1), 0, { source: source.padEnd(7), failed: 0 }));
      }
    },
    update(source, acknowledged, failed) {
      bars.get(source)?.update(acknowledged + failed, { failed });
    },
    stop() {
      multi.stop();
    },
  };
}

/**
 * Progress without a terminal (CI, logs): one line per source every `everyMs` (default 5 s) while
 * readings are being acknowledged, e.g. `replay beijing: 1200/5952 readings (failed 0)`.
 */
export function lineProgress(write: (line: string) => void = (l) => process.stderr.write(l), everyMs = 5000): ReplayProgress {
  const totals: Partial<Record<SourceId, number>> = {};
  const state = new Map<SourceId, { ack: number; failed: number; printed: number }>();
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    for (const [source, s] of state) {
      if (s.ack + s.failed === s.printed) continue;
      s.printed = s.ack + s.failed;
      write(`replay ${source}: ${s.ack}${totals[source] !== undefined ? `/${totals[source]}` : ''} readings (failed ${s.failed})\n`);
    }
  };
  return {
    start(t) {
      Object.assign(totals, t);
      timer = setInterval(flush, everyMs);
      timer.unref();
    },
    update(source, ack, failed) {
      const s = state.get(source) ?? { ack: 0, failed: 0, printed: 0 };
      s.ack = ack;
      s.failed = failed;
      state.set(source, s);
    },
    stop() {
      if (timer) clearInterval(timer);
      flush();
    },
  };
}
