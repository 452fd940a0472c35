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
 * Whether a device of `kind` may report `metric`: every catalogue metric is allowed for fume monitors;
 * the {@link FUME_ONLY_METRICS} are allowed for fume monitors only.
 */
export function metricAllowedForKind(metric: MetricId, kind: DeviceKind): boolean {
  return kind === 'fume' || !FUME_ONLY.has(metric);
}
