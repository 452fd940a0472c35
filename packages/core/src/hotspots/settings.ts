import type { Config } from '@voc/config';
import type { MethodSettings, TraceSettings } from '@voc/hotspot';

/** The method settings of `config.hotspot`, optionally overridden (backfill options). */
export function methodSettings(h: Config['hotspot'], override: Partial<MethodSettings> = {}): MethodSettings {
  return {
    resolution: h.resolution,
    windowMinutes: h.windowMinutes,
    minReadings: h.minReadings,
    minVanPassReadings: h.minVanPassReadings,
    ratio: h.ratio,
    robustZ: h.robustZ,
    vanMaxSpeedKmh: h.vanMaxSpeedKmh,
    vanPassGapSeconds: h.vanPassGapSeconds,
    openK: h.openK,
    openN: h.openN,
    clearN: h.clearN,
    thresholds: h.thresholds,
    minExcessFactor: h.minExcessFactor,
    uncertainty: h.uncertainty,
    upperQuantile: h.upperQuantile,
    meanTest: h.meanTest,
    temporalDays: h.temporalDays,
    temporalMinDays: h.temporalMinDays,
    temporalWindows: h.temporalWindows,
    temporalMinWindows: h.temporalMinWindows,
    regionalFraction: h.regionalFraction,
    regionalMinCells: h.regionalMinCells,
    suspectHigh: h.suspectHigh,
    suspectWindows: h.suspectWindows,
    plumeFluctuation: h.plumeFluctuation,
    plumeMaxSpacingS: h.plumeMaxSpacingS,
    ...override,
  };
}

/** The trace-to-source settings of `config.hotspot`. */
export function traceSettings(h: Config['hotspot']): TraceSettings {
  return {
    windMaxKm: h.windMaxKm,
    calmWindMs: h.calmWindMs,
    candidateRing: h.candidateRing,
    traceHours: h.traceHours,
    plumeSpreadDeg: h.plumeSpreadDeg,
    distanceScaleM: h.distanceScaleM,
  };
}
