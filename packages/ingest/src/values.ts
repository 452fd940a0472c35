import {
  METRICS,
  isMetricId,
  metricAllowedForKind,
  FUME_ONLY_METRICS,
  parseUnit,
  toCanonical,
  type Device,
  type NormalizedValue,
  type QaFlag,
} from '@voc/domain';
import { quote, reject, type DecodedValue, type Outcome } from './types.js';

/**
 * Validates one value and converts it to its metric's canonical unit, keeping it as received.
 *
 * Refusals: `unknown_metric` (not in the catalogue, or a fume-only metric from another kind),
 * `non_finite_value` (a NaN/±Infinity token), `unit_not_convertible` (unknown spelling or no
 * conversion), `reference_state_mismatch` (from `toCanonical`), `value_out_of_range` (outside
 * `METRICS[id].range` in the canonical unit). A negative concentration (gas or particulate metric)
 * inside the range is instrument noise around zero: accepted with QA `suspect` unless the device
 * flagged it otherwise; negative temperatures and dew points are ordinary values and keep their flag.
 * A value without a unit is taken in the metric's canonical unit.
 */
export function normalizeValue(v: DecodedValue, device: Device, path: string): Outcome<NormalizedValue> {
  if (!isMetricId(v.metric)) return reject('unknown_metric', `${path}.metric "${quote(v.metric)}" is not in the metric catalogue`);
  const metric = METRICS[v.metric];
  if (!metricAllowedForKind(v.metric, device.kind)) {
    return reject(
      'unknown_metric',
      `${path}.metric "${v.metric}" is reported by ${FUME_ONLY_METRICS.includes(v.metric) ? 'fume' : 'dust'} monitors only; device "${device.id}" is a ${device.kind} device`,
    );
  }
  if (typeof v.value !== 'number') {
    return reject(
      'non_finite_value',
      `${path}.value of ${v.metric} is ${v.value}, not a finite number (NaN and ±Infinity, including numbers too large for a double such as 1e999, are refused)`,
    );
  }
  const rawUnit = v.unit ?? metric.unit;
  const unit = parseUnit(rawUnit);
  if (unit === undefined) {
    return reject(
      'unit_not_convertible',
      `${path}.unit "${quote(rawUnit)}" of ${v.metric} is not a known unit spelling (${v.metric} is stored in ${metric.unit})`,
    );
  }
  const ref = v.ref ?? metric.refState;
  const conv = toCanonical(v.value, unit, ref, metric);
  if (!conv.ok) return reject(conv.rejection.reason, `${path}: ${v.value} ${rawUnit} (${ref} state): ${conv.rejection.detail}`);
  const [lo, hi] = metric.range;
  if (!(conv.value >= lo && conv.value <= hi)) {
    const received = conv.unit === unit && conv.value === v.value ? '' : ` (received ${v.value} ${rawUnit})`;
    return reject(
      'value_out_of_range',
      `${path}: ${v.metric} = ${conv.value} ${conv.unit}${received} is outside the physical range [${lo}, ${hi}] ${conv.unit}`,
    );
  }
  let qa: QaFlag = v.qa ?? 'valid';
  // Only a concentration below zero is noise; a temperature or dew point below 0 °C is a real value.
  const concentration = metric.family === 'gas' || metric.family === 'particulate';
  if (concentration && conv.value < 0 && qa === 'valid') qa = 'suspect';
  return {
    ok: true,
    value: { metric: v.metric, value: conv.value, unit: conv.unit, rawValue: v.value, rawUnit, refState: ref, qa },
  };
}
