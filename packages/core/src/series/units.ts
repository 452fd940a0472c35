import { ERROR_CODES, METRICS, isMetricId, parseUnit, toCanonical, VocError, type MetricDef } from '@voc/domain';

/** How values of a metric are shown: the unit, the reference state and the factor from the canonical unit. */
export interface UnitView {
  readonly metric: MetricDef;
  readonly unit: string;
  readonly refState: string;
  /** shown value = stored (canonical) value × factor. */
  readonly factor: number;
}

/**
 * The metric definition of an id.
 * @param param the request parameter that named it (for the error detail)
 * @throws VocError `VOC_ERR_INVALID_REQUEST` naming the parameter for a metric not in the catalogue
 */
export function metricOf(id: string, param = 'metric'): MetricDef {
  if (!isMetricId(id)) throw new VocError(ERROR_CODES.invalid_request, `${param}: "${id}" is not a metric of the catalogue`);
  return METRICS[id];
}

/**
 * The factor that shows a metric's canonical values in `unit` (DOMAIN.md §3), at the metric's own
 * reference state: mass ↔ mass by powers of 1000, ppb ↔ µg/m³ with the molar mass and the molar
 * volume of the metric's reference state. An index converts to nothing.
 * @throws VocError `VOC_ERR_CONVERSION_IMPOSSIBLE` naming `unit` when the catalogue cannot convert
 */
export function unitView(metricId: string, unit?: string): UnitView {
  const metric = metricOf(metricId);
  if (unit === undefined || unit === metric.unit) return { metric, unit: metric.unit, refState: metric.refState, factor: 1 };
  const parsed = parseUnit(unit);
  if (!parsed) throw new VocError(ERROR_CODES.conversion_impossible, `unit: "${unit}" is not a unit of the catalogue`);
  // toCanonical(1 target unit) is how many canonical units one target unit is; linear, so invert it.
  const c = toCanonical(1, parsed, metric.refState, metric);
  if (!c.ok || c.value === 0)
    throw new VocError(
      ERROR_CODES.conversion_impossible,
      `unit: ${metric.id} is stored in ${metric.unit} (${metric.refState} state) and cannot be shown in ${unit}${c.ok ? '' : `: ${c.rejection.detail}`}`,
    );
  return { metric, unit: parsed, refState: metric.refState, factor: 1 / c.value };
}
