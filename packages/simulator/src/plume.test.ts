import { describe, expect, it } from 'vitest';
import { briggsSigmas, plumeConcentration, plumeFrame } from './plume.js';
import { insolationOf, pasquillClass, solarElevationDeg } from './stability.js';

describe('Gaussian plume', () => {
  // Hand computation, Briggs (1973) urban class D at x = 100 m (curves as in DOMAIN.md §9 and
  // Seinfeld & Pandis): σy = 0.16·100·(1 + 0.04)^-½ = 16 / 1.0198039 = 15.689291 m,
  // σz = 0.14·100·(1 + 0.03)^-½ = 14 / 1.0148892 = 13.794610 m.
  it('gives the Briggs urban class D spreads at 100 m', () => {
    const s = briggsSigmas(100, 'D', 'urban');
    expect(s.sy).toBeCloseTo(15.689291, 5);
    expect(s.sz).toBeCloseTo(13.79461, 5);
  });

  // Briggs open-country class F at 1 km: σy = 0.04·1000·(1.1)^-½ = 38.138504 m, σz = 0.016·1000 / 1.3 = 12.307692 m.
  it('gives the Briggs rural class F spreads at 1 km', () => {
    const s = briggsSigmas(1000, 'F', 'rural');
    expect(s.sy).toBeCloseTo(38.138504, 5);
    expect(s.sz).toBeCloseTo(12.307692, 5);
  });

  // Ground-level source and receptor on the centreline (y = z = H = 0): the bracket is 2, so
  // C = Q / (π u σy σz) = 1 / (π · 2 · 15.689291 · 13.794610) = 7.353725e-4 g/m³ for Q = 1 g/s, u = 2 m/s.
  it('matches the hand-computed centreline concentration with ground reflection', () => {
    expect(plumeConcentration(1, 2, 100, 0, 0, 0, 'D', { terrain: 'urban' })).toBeCloseTo(7.353725e-4, 9);
  });

  // Off the centreline by one σy and with z = 3 m, H = 5 m:
  // lateral e^-½ = 0.6065307; vertical e^(-4/(2·13.794610²)) + e^(-64/(2·13.794610²)) = 0.9895448 + 0.8452158 = 1.8347607.
  // C = 1 / (2π · 2 · 15.689291 · 13.794610) · 0.6065307 · 1.8347607 = 4.091755e-4 g/m³.
  it('matches the hand-computed concentration off the centreline and above ground', () => {
    const c = plumeConcentration(1, 2, 100, 15.689291, 3, 5, 'D', { terrain: 'urban' });
    expect(c).toBeCloseTo(4.091755e-4, 9);
  });

  it('is zero upwind and floors calm winds at 1 m/s', () => {
    expect(plumeConcentration(1, 2, -10, 0, 0, 0, 'D', { terrain: 'urban' })).toBe(0);
    expect(plumeConcentration(1, 0.2, 100, 0, 0, 0, 'D', { terrain: 'urban' })).toBe(
      plumeConcentration(1, 1, 100, 0, 0, 0, 'D', { terrain: 'urban' }),
    );
  });

  it('puts a receptor south of the source downwind of a north wind', () => {
    const f = plumeFrame({ x: 0, y: 0 }, { x: 0, y: -100 }, 0);
    expect(f.downwind).toBeCloseTo(100, 9);
    expect(f.crosswind).toBeCloseTo(0, 9);
    expect(plumeFrame({ x: 0, y: 0 }, { x: 100, y: 0 }, 270).downwind).toBeCloseTo(100, 9);
  });
});

describe('stability class', () => {
  it('follows the Pasquill table of Turner (1970)', () => {
    expect(pasquillClass(1.5, 'strong')).toBe('A');
    expect(pasquillClass(4, 'moderate')).toBe('B-C');
    expect(pasquillClass(5.5, 'slight')).toBe('D');
    expect(pasquillClass(2.5, 'night')).toBe('F');
    expect(pasquillClass(4, 'night')).toBe('E');
    expect(pasquillClass(7, 'night')).toBe('D');
  });

  it('finds the sun high at Beijing noon in June and below the horizon at midnight', () => {
    // 2016-06-21 12:15 local mean solar time at 116.37 E ≈ 04:30 UTC; elevation ≈ 90 − 39.9 + 23.4 = 73.5°.
    const noon = solarElevationDeg(Date.UTC(2016, 5, 21, 4, 30), 39.915, 116.35);
    expect(noon).toBeGreaterThan(72);
    expect(insolationOf(noon)).toBe('strong');
    expect(insolationOf(solarElevationDeg(Date.UTC(2016, 11, 21, 16, 0), 39.915, 116.35))).toBe('night');
  });
});
