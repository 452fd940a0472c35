import { latLngToCell } from 'h3-js';
import {
  evaluateDevice,
  identicalSeries,
  parseOpeningHours,
  RULE_METRIC,
  type ComplianceSettings,
  type DeviceWindow,
  type LimitStandard,
  type RuleOutcome,
} from '@voc/compliance';
import { cellPolygon, findJurisdiction } from '@voc/hotspot';
import type { Logger } from '@voc/domain';
import type { ComplianceDevice, ComplianceStore } from './ports.js';

/** H3 resolution of a compliance task's cell (about 65 m edge: one restaurant frontage). */
export const COMPLIANCE_TASK_RESOLUTION = 10;

/** What one compliance tick did. */
export interface ComplianceTickResult {
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly devices: number;
  readonly raised: { deviceId: string; rule: string; taskId: number }[];
  readonly cleared: { deviceId: string; rule: string }[];
  /** Outcomes that changed nothing (too little data, rule not applicable). */
  unknown: number;
}

/** Inputs of {@link evaluateCompliance}. */
export interface ComplianceDeps {
  readonly store: ComplianceStore;
  readonly settings: ComplianceSettings;
  readonly log: Logger;
}

function toWindow(d: ComplianceDevice, series: Record<string, DeviceWindow['series'][string]>): DeviceWindow {
  let hours = null;
  try {
    hours = d.openingHours ? parseOpeningHours(d.openingHours) : null;
  } catch {
    hours = null; // validated at registration; a hand-edited bad value disables only the offline rule
  }
  return {
    deviceId: d.deviceId,
    standard: (d.limitStandard === 'GB 18483-2001' ? 'GB 18483-2001' : 'DB11/1488-2018') satisfies LimitStandard,
    openingHours: hours,
    ratedPurifierCurrentA: d.purifierRatedCurrentA,
    series,
  };
}

/**
 * One compliance tick: evaluates every rule for every active fume monitor on the window
 * [`end` − window, `end`), and turns changes of state into events and tasks: a rule that starts to
 * hold raises an event and opens one task per device and rule (routed to the street office whose
 * area holds the device); a rule that stops holding records a cleared event and notes it on the
 * task; `unknown` (too little data) changes nothing.
 * @param end window end, epoch ms (the worker passes now − lateness, floored to the minute)
 */
export async function evaluateCompliance(deps: ComplianceDeps, end: number): Promise<ComplianceTickResult> {
  const { store, settings, log } = deps;
  const windowEnd = Math.floor(end / 60_000) * 60_000;
  const windowStart = windowEnd - settings.windowMinutes * 60_000;
  const w = { start: windowStart, end: windowEnd };
  const devices = await store.devices();
  const [samples, states, jurisdictions] = await Promise.all([
    store.samples(
      devices.map((d) => d.deviceId),
      windowStart,
      windowEnd,
    ),
    store.states(),
    store.jurisdictions(),
  ]);
  const windows = devices.map((d) => toWindow(d, samples.get(d.deviceId) ?? {}));
  const twins = identicalSeries(windows, w, settings);
  const result: ComplianceTickResult = {
    windowStart: new Date(windowStart).toISOString(),
    windowEnd: new Date(windowEnd).toISOString(),
    devices: devices.length,
    raised: [],
    cleared: [],
    unknown: 0,
  };
  for (const [i, d] of devices.entries()) {
    const outcomes: RuleOutcome[] = [...evaluateDevice(windows[i]!, w, settings)];
    const twin = twins.get(d.deviceId);
    if (twin) outcomes.push(twin);
    const cell = latLngToCell(d.lat, d.lon, COMPLIANCE_TASK_RESOLUTION);
    const office = findJurisdiction({ lat: d.lat, lon: d.lon }, jurisdictions);
    for (const o of outcomes) {
      if (o.status === 'unknown') {
        result.unknown++;
        continue;
      }
      const prev = states.get(`${d.deviceId}|${o.rule}`);
      const change = {
        deviceId: d.deviceId,
        rule: o.rule,
        metric: RULE_METRIC[o.rule],
        windowStart,
        windowEnd,
        evidence: o.evidence,
        facilityId: d.facilityId,
        lat: d.lat,
        lon: d.lon,
        cell,
        cellPolygon: cellPolygon(cell),
        streetOffice: office ? { id: office.id, name: office.name } : null,
        windowMinutes: settings.windowMinutes,
      };
      if (o.status === 'violation' && !prev?.active) {
        const taskId = await store.raise(change);
        result.raised.push({ deviceId: d.deviceId, rule: o.rule, taskId });
        log.info({ deviceId: d.deviceId, rule: o.rule, taskId }, 'compliance condition raised');
      } else if (o.status === 'ok' && prev?.active) {
        await store.clear(change, prev.taskId);
        result.cleared.push({ deviceId: d.deviceId, rule: o.rule });
        log.info({ deviceId: d.deviceId, rule: o.rule, taskId: prev.taskId }, 'compliance condition cleared');
      } else {
        await store.touch(change, o.status === 'violation');
      }
    }
  }
  return result;
}
