import type { DeviceKind } from './devices.js';
import type { MetricId } from './metrics.js';

/**
 * Metrics only restaurant fume monitors report (DOMAIN.md §2, §4): emission concentrations at the
 * standard state and the fan/purifier equipment signals. From any other device kind they are refused
 * as `unknown_metric`, so an ambient sensor can never feed emission-state values into ambient maps.
 */
export const FUME_ONLY_METRICS: readonly MetricId[] = [
  'oil_fume',
  'fume_pm',
  'fume_nmhc',
  'fan_current',
  'purifier_current',
  'fan_state',
  'purifier_state',
  'flue_temp',
] as const;

const FUME_ONLY = new Set<string>(FUME_ONLY_METRICS);

/**
 * Metrics only construction-site dust monitors report (HJ 212 ST=39, SPEC-NOTES §7): TSP and the
 * site's noise level. Refused from other kinds, so a site's noise never enters the air-quality grid.
 */
export const DUST_ONLY_METRICS: readonly MetricId[] = ['tsp', 'noise_laeq'] as const;

const DUST_ONLY = new Set<string>(DUST_ONLY_METRICS);

/**
 * Whether a device of `kind` may report `metric`: the {@link FUME_ONLY_METRICS} only from fume
 * monitors, the {@link DUST_ONLY_METRICS} only from dust monitors; every other catalogue metric from
 * any kind.
 */
export function metricAllowedForKind(metric: MetricId, kind: DeviceKind): boolean {
  if (FUME_ONLY.has(metric)) return kind === 'fume';
  if (DUST_ONLY.has(metric)) return kind === 'dust';
  return true;
}
