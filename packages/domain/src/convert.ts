import type { Rejection } from './errors.js';
import type { MetricDef } from './metrics.js';
import { UNITS, VM_REFERENCE, VM_STANDARD, type ReferenceState, type Unit } from './units.js';

/** Result of converting one value to its metric's canonical unit. */
export type Converted = { ok: true; value: number; unit: Unit } | { ok: false; rejection: Rejection };

const MASS_FACTOR_TO_UG: Partial<Record<Unit, number>> = { [UNITS.ug_m3]: 1, [UNITS.mg_m3]: 1000 };
const RATIO_FACTOR_TO_PPB: Partial<Record<Unit, number>> = { [UNITS.ppb]: 1, [UNITS.ppm]: 1000 };

/** Molar volume (L/mol) of a reference state, or undefined for `actual`/`none` (needs T and P). */
function vmOf(state: ReferenceState): number | undefined {
  if (state === 'reference') return VM_REFERENCE;
  if (state === 'standard') return VM_STANDARD;
  return undefined;
}

const fail = (reason: Rejection['reason'], detail: string): Converted => ({ ok: false, rejection: { reason, detail } });

/**
 * Converts a received value to the canonical unit and reference state of its metric (DOMAIN.md §3).
 *
 * - mass ↔ mass: mg/m³ × 1000 = µg/m³; the received reference state must equal the metric's, otherwise
 *   `reference_state_mismatch` (states are never converted silently).
 * - mixing ratio → mass: µg/m³ = ppb × M / Vm with Vm of the metric's reference state (24.45 L/mol at
 *   25 °C, 22.414 L/mol at 0 °C); a metric without a molar mass gives `unit_not_convertible`.
 * - mass → mixing ratio: ppb = µg/m³ × Vm / M with Vm of the received state (`reference` or `standard`).
 * - `index` values are never converted and nothing else converts into an index.
 * - pressure kPa/Pa → hPa, wind km/h → m/s.
 *
 * @param value the value as received (finite)
 * @param unit the received unit, already parsed
 * @param refState the received reference state
 * @param metric the metric definition
 */
export function toCanonical(value: number, unit: Unit, refState: ReferenceState, metric: MetricDef): Converted {
  const target = metric.unit;
  const cannot = () => fail('unit_not_convertible', `metric ${metric.id} is stored in ${target}; ${unit} cannot be converted to it`);
  const targetMass = MASS_FACTOR_TO_UG[target];
  const targetRatio = RATIO_FACTOR_TO_PPB[target];
  const fromMass = MASS_FACTOR_TO_UG[unit];
  const fromRatio = RATIO_FACTOR_TO_PPB[unit];
  const mismatch = () =>
    fail(
      'reference_state_mismatch',
      `metric ${metric.id} is stored at the ${metric.refState} state; the value was given at the ${refState} state`,
    );

  if (unit === target) {
    if (fromMass !== undefined && metric.refState !== 'none' && refState !== metric.refState) return mismatch();
    return { ok: true, value, unit: target };
  }

  if (metric.family === 'gas' || metric.family === 'particulate') {
    if (targetMass !== undefined && fromMass !== undefined) {
      if (metric.refState !== 'none' && refState !== metric.refState) return mismatch();
      return { ok: true, value: (value * fromMass) / targetMass, unit: target };
    }
    if (metric.family === 'gas' && targetMass !== undefined && fromRatio !== undefined) {
      const vm = vmOf(metric.refState);
      if (metric.molarMass === undefined || vm === undefined) {
        return fail('unit_not_convertible', `metric ${metric.id} has no single molar mass; ${unit} cannot be converted to ${target}`);
      }
      const ugm3 = (value * fromRatio * metric.molarMass) / vm;
      return { ok: true, value: ugm3 / targetMass, unit: target };
    }
    if (metric.family === 'gas' && targetRatio !== undefined && fromRatio !== undefined) {
      return { ok: true, value: (value * fromRatio) / targetRatio, unit: target };
    }
    if (metric.family === 'gas' && targetRatio !== undefined && fromMass !== undefined) {
      const vm = vmOf(refState);
      if (metric.molarMass === undefined || vm === undefined) {
        return fail(
          'unit_not_convertible',
          `converting ${unit} to ${target} for ${metric.id} needs a molar mass and a reference or standard state, got ${refState}`,
        );
      }
      return { ok: true, value: (value * fromMass * vm) / metric.molarMass / targetRatio, unit: target };
    }
    return cannot();
  }
  if (target === UNITS.hPa) {
    if (unit === UNITS.kPa) return { ok: true, value: value * 10, unit: target };
    if (unit === UNITS.Pa) return { ok: true, value: value / 100, unit: target };
  }
  if (target === UNITS.m_s && unit === UNITS.km_h) return { ok: true, value: value / 3.6, unit: target };
  return cannot();
}
