import type { SeriesKey } from '@voc/domain';
import type { CellResult, Window } from '@voc/hotspot';
import type { EvaluationDeps, EvaluationTx, UsableFilter } from './ports.js';

/** How many devices of a suspect cell a check names: the one reading highest (the cell's suspect). */
const SUSPECT_DEVICES = 1;

/**
 * The sensor-suspect path (docs/hotspots.md "Sensor suspect"): raises "check sensor" operations tasks,
 * never enforcement tasks, for
 * - cells the method marked `suspect` (they stood out from the district in ≥ suspectHigh of the last
 *   suspectWindows windows, whatever the hour and the wind: a source follows its schedule and the wind,
 *   a biased or drifting sensor does not); the device named is the cell's highest-reading one;
 * - cells whose excess was a level shift (the method's `levelShift`: the whole distribution moved, with
 *   no plume fluctuation) in this window and in ≥ openK − 1 of the previous openN − 1 windows (the
 *   persistence rule that would have opened a hotspot): reason `level_shift`, the cell's highest-reading
 *   device named;
 * - stuck devices: ≥ minReadings usable readings all equal in the window from a device that states a
 *   non-zero uncertainty (noise alone would make them differ).
 * A device's open check is extended, never duplicated.
 * @returns ids of the checks opened in this evaluation
 */
export async function raiseSensorChecks(
  tx: EvaluationTx,
  deps: Pick<EvaluationDeps, 'method'>,
  series: SeriesKey,
  window: Window,
  filter: UsableFilter,
  cells: readonly CellResult[],
  levelShifted: ReadonlyMap<string, number> = new Map(),
): Promise<number[]> {
  const opened: number[] = [];
  const m = deps.method;
  const flagged = cells.filter((c) => c.suspect || (c.levelShift && (levelShifted.get(c.cell) ?? 0) + 1 >= m.openK));
  if (flagged.length) {
    const tops = await tx.topDevices(series, window, flagged.map((c) => c.cell).sort(), filter, 5);
    for (const c of flagged) {
      const devices = [...(tops.get(c.cell) ?? [])].sort((a, b) => b.mean - a.mean || (a.deviceId < b.deviceId ? -1 : 1));
      for (const d of devices.slice(0, SUSPECT_DEVICES)) {
        const r = await tx.openSensorCheck({
          deviceId: d.deviceId,
          series,
          cell: c.cell,
          window: window.start,
          reason: c.suspect ? 'stands_out_persistently' : 'level_shift',
          details: {
            excess: c.excess ?? null,
            temporalExcess: c.temporalExcess ?? null,
            dispersion: c.dispersion ?? null,
            uncertainty: c.uncertainty ?? null,
            deviceMean: d.mean,
            tests: c.tests ?? [],
          },
        });
        if (r.opened) opened.push(r.id);
      }
    }
  }
  for (const d of await tx.stuckDevices(series, window, filter, deps.method.minReadings)) {
    const r = await tx.openSensorCheck({
      deviceId: d.deviceId,
      series,
      cell: d.cell,
      window: window.start,
      reason: 'stuck',
      details: { readings: d.n, value: d.value },
    });
    if (r.opened) opened.push(r.id);
  }
  return opened;
}
