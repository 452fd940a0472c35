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
): Promise<number[]> {
  const opened: number[] = [];
  const suspect = cells.filter((c) => c.suspect);
  if (suspect.length) {
    const tops = await tx.topDevices(series, window, suspect.map((c) => c.cell).sort(), filter, 5);
    for (const c of suspect) {
      const devices = [...(tops.get(c.cell) ?? [])].sort((a, b) => b.mean - a.mean || (a.deviceId < b.deviceId ? -1 : 1));
      for (const d of devices.slice(0, SUSPECT_DEVICES)) {
        const r = await tx.openSensorCheck({
          deviceId: d.deviceId,
          series,
          cell: c.cell,
          window: window.start,
          reason: 'stands_out_persistently',
          details: { excess: c.excess ?? null, uncertainty: c.uncertainty ?? null, deviceMean: d.mean, tests: c.tests ?? [] },
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
