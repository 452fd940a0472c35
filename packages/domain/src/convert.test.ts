import { describe, expect, it } from 'vitest';
import { METRICS, toCanonical, UNITS, VM_REFERENCE, VM_STANDARD, parseUnit } from './index.js';

describe('unit conversion (DOMAIN.md §3)', () => {
  it('uses 24.45 L/mol at the reference state and 22.414 at the standard state', () => {
    expect(VM_REFERENCE).toBeCloseTo(24.465, 2);
    expect(VM_STANDARD).toBeCloseTo(22.414, 3);
  });

  it('converts benzene ppb to µg/m³ at 25 °C: 1 ppb = 78.112 / 24.46 µg/m³', () => {
    const r = toCanonical(1, UNITS.ppb, 'reference', METRICS.benzene);
    expect(r.ok && r.value).toBeCloseTo(78.112 / VM_REFERENCE, 6);
  });

  it('converts mg/m³ to µg/m³ by 1000 and never ppb by 1000', () => {
    const mg = toCanonical(0.3, UNITS.mg_m3, 'reference', METRICS.no2);
    expect(mg.ok && mg.value).toBeCloseTo(300, 9);
    const ppb = toCanonical(1, UNITS.ppb, 'reference', METRICS.no2);
    expect(ppb.ok && ppb.value).not.toBeCloseTo(1000, 0);
  });

  it('stores CO in mg/m³: the Beijing data set gives 300 µg/m³, which is 0.3 mg/m³', () => {
    const r = toCanonical(300, UNITS.ug_m3, 'reference', METRICS.co);
    expect(r).toEqual({ ok: true, value: 0.3, unit: UNITS.mg_m3 });
  });

  it('refuses ppb for NMHC, which has no single molar mass', () => {
    const r = toCanonical(10, UNITS.ppb, 'reference', METRICS.nmhc);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.rejection.reason).toBe('unit_not_convertible');
  });

  it('never converts a MOS index', () => {
    expect(toCanonical(1046, UNITS.index, 'none', METRICS.voc_index)).toEqual({ ok: true, value: 1046, unit: UNITS.index });
    const r = toCanonical(5, UNITS.ppb, 'none', METRICS.voc_index);
    expect(!r.ok && r.rejection.reason).toBe('unit_not_convertible');
  });

  it('refuses an ambient mass concentration given at the standard state', () => {
    const r = toCanonical(10, UNITS.ug_m3, 'standard', METRICS.benzene);
    expect(!r.ok && r.rejection.reason).toBe('reference_state_mismatch');
  });

  it('reads the spellings devices use', () => {
    expect(parseUnit('ug/m3')).toBe(UNITS.ug_m3);
    expect(parseUnit('μg/m³')).toBe(UNITS.ug_m3);
    expect(parseUnit('µg/m³')).toBe(UNITS.ug_m3);
    expect(parseUnit('PPB')).toBe(UNITS.ppb);
    expect(parseUnit('furlongs')).toBeUndefined();
  });
});
