import { SCHEMA_IDS, type Alert, type AlertStats, type SeriesKey } from '@voc/domain';
import { cellCentre } from '@voc/hotspot';
import type { EvaluationTx, StoredCell, UsableFilter } from './ports.js';

/** ISO 8601 UTC of an epoch-ms time, as alerts, notes and logs carry it. */
export const iso = (t: number): string => new Date(t).toISOString();

/** Statistics of a cell in a window as alerts and tasks carry them. */
export function alertStats(c: StoredCell, baseline: number | null): AlertStats {
  return {
    n: c.n,
    devices: c.devices,
    vanPasses: c.vanPasses,
    mean: c.mean,
    median: c.median,
    p90: c.p90,
    max: c.max,
    baseline,
    ratio: c.ratio,
    robustZ: c.robustZ,
    giStar: c.giStar,
    reasons: [...c.reasons],
  };
}

/**
 * Builds the alerts of one evaluation (schema `voc.alert.v1`, `packages/domain` alerts.ts) and writes
 * them to the outbox inside the evaluation's transaction; a dispatcher publishes them after commit.
 */
export class AlertBuilder {
  constructor(
    private readonly tx: EvaluationTx,
    private readonly series: SeriesKey,
    private readonly W: number,
    private readonly filter: UsableFilter,
    private readonly now: number,
  ) {}

  /** The fields every alert of hotspot `h` in window `w` carries. */
  base(h: { id: number; cell: string; openedWindow: number }, w: number) {
    const c = cellCentre(h.cell);
    return {
      schema: SCHEMA_IDS.alert,
      occurredAt: iso(this.now),
      metric: this.series.metric,
      unit: this.filter.unit,
      cell: h.cell,
      resolution: this.series.resolution,
      lat: c.lat,
      lon: c.lon,
      windowMinutes: this.series.windowMinutes,
      hotspotId: h.id,
      openedWindow: iso(h.openedWindow),
      windowStart: iso(w),
      windowEnd: iso(w + this.W),
    } as const;
  }

  /** Writes `a` to the outbox, keyed by its cell (one cell's alerts stay in order). */
  async enqueue(a: Alert): Promise<void> {
    await this.tx.enqueueAlert(a, a.cell);
  }
}
