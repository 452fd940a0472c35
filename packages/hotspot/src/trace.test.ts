import { cellToParent, latLngToCell } from 'h3-js';
import { describe, expect, it } from 'vitest';
import { compactIso, firstWindowNotDue, windowOf, windowStarts } from './windows.js';
import { checkTransition } from './tasks.js';
import { bearingDeg, cellCentre, cellPolygon, findJurisdiction, rankCandidates, summariseWind, type Facility } from './trace.js';
import { parseFacilitiesCsv, parseFacilitiesGeoJson, parseJurisdictionsGeoJson } from './registry.js';

const CELL = latLngToCell(39.929, 116.339, 8);
const C = cellCentre(CELL);
// ~300 m north, south, east of the cell centre (1° lat ≈ 111.2 km; 1° lon ≈ 85.3 km at 39.9° N)
const north: Facility = { id: 'n', category: 'restaurant', name: 'N', lat: C.lat + 0.0027, lon: C.lon, fumeDeviceIds: [] };
const south: Facility = { id: 's', category: 'printer', name: 'S', lat: C.lat - 0.0027, lon: C.lon, fumeDeviceIds: [] };
const far: Facility = { id: 'x', category: 'fuel_station', name: 'far', lat: C.lat + 0.05, lon: C.lon, fumeDeviceIds: [] };

describe('trace-to-source geometry', () => {
  it('gives the cell polygon in GeoJSON order, closed', () => {
    const p = cellPolygon(CELL);
    const ring = p.coordinates[0]!;
    expect(ring[0]).toEqual(ring[ring.length - 1]);
    expect(ring[0]![0]).toBeGreaterThan(116);
    expect(ring[0]![1]).toBeLessThan(41);
  });

  it('computes bearings clockwise from north', () => {
    expect(bearingDeg(C, north)).toBeCloseTo(0, 3);
    expect(bearingDeg(C, south)).toBeCloseTo(180, 3);
    expect(bearingDeg(C, { lat: C.lat, lon: C.lon + 0.01 })).toBeCloseTo(90, 1);
  });

  it('averages wind as vectors and reports calm as no direction', () => {
    const w = summariseWind(
      'd',
      0,
      [
        { dirDeg: 350, speedMs: 2 },
        { dirDeg: 10, speedMs: 2 },
      ],
      0.5,
    )!;
    expect(w.dirDeg === null ? NaN : Math.min(w.dirDeg, 360 - w.dirDeg)).toBeCloseTo(0, 6);
    expect(w.speedMs).toBe(2);
    expect(summariseWind('d', 0, [{ dirDeg: 90, speedMs: 0.2 }], 0.5)!.dirDeg).toBeNull();
  });

  it('ranks the upwind facility first and leaves out downwind neighbours and far facilities', () => {
    // north wind (blowing from 0°): the facility to the north is upwind
    const ranked = rankCandidates(CELL, [south, far, north], { dirDeg: 0 }, { candidateRing: 1 });
    expect(ranked[0]!.id).toBe('n');
    expect(ranked[0]!.alignment).toBeCloseTo(1, 6);
    expect(ranked.map((r) => r.id)).not.toContain('x');
    // without wind both count and rank by distance only
    const calm = rankCandidates(CELL, [south, north], null, { candidateRing: 1 });
    expect(calm).toHaveLength(2);
    expect(calm.every((c) => c.alignment === null)).toBe(true);
  });

  it('assigns a point to the polygon that contains it', () => {
    const js = parseJurisdictionsGeoJson(
      JSON.stringify({
        type: 'FeatureCollection',
        features: [
          {
            type: 'Feature',
            properties: { id: 'b', name: 'East' },
            geometry: {
              type: 'Polygon',
              coordinates: [
                [
                  [116.34, 39.9],
                  [116.4, 39.9],
                  [116.4, 40],
                  [116.34, 40],
                  [116.34, 39.9],
                ],
              ],
            },
          },
          {
            type: 'Feature',
            properties: { id: 'a', name: 'West' },
            geometry: {
              type: 'Polygon',
              coordinates: [
                [
                  [116.3, 39.9],
                  [116.34, 39.9],
                  [116.34, 40],
                  [116.3, 40],
                  [116.3, 39.9],
                ],
              ],
            },
          },
        ],
      }),
    );
    expect(findJurisdiction({ lat: 39.95, lon: 116.31 }, js)?.name).toBe('West');
    expect(findJurisdiction({ lat: 39.95, lon: 116.39 }, js)?.name).toBe('East');
    expect(findJurisdiction({ lat: 39.5, lon: 116.39 }, js)).toBeUndefined();
  });
});

describe('facility import', () => {
  it('reads CSV with comments and fume monitor ids', () => {
    const f = parseFacilitiesCsv(
      '# illustrative\nid,category,name,lat,lon,fume_device_ids\nr1,restaurant,Noodles,39.93,116.34,fume-1;fume-2\n',
    );
    expect(f).toEqual([
      { id: 'r1', category: 'restaurant', name: 'Noodles', lat: 39.93, lon: 116.34, fumeDeviceIds: ['fume-1', 'fume-2'] },
    ]);
    expect(() => parseFacilitiesCsv('id,category,name,lat,lon\nr1,bakery,X,39.9,116.3\n')).toThrow(/row 1/);
  });
  it('reads GeoJSON points ([lon, lat]) and refuses other geometries', () => {
    const point = (coordinates: unknown, properties: Record<string, unknown>) => ({
      type: 'Feature',
      geometry: { type: 'Point', coordinates },
      properties,
    });
    const f = parseFacilitiesGeoJson(
      JSON.stringify({
        type: 'FeatureCollection',
        features: [point([116.34, 39.93], { id: 'p1', category: 'printer', name: 'Print', fume_device_ids: ['a', 'b'] })],
      }),
    );
    expect(f).toEqual([{ id: 'p1', category: 'printer', name: 'Print', lat: 39.93, lon: 116.34, fumeDeviceIds: ['a', 'b'] }]);
    const line = {
      type: 'Feature',
      geometry: {
        type: 'LineString',
        coordinates: [
          [116.3, 39.9],
          [116.4, 39.9],
        ],
      },
      properties: { id: 'x', category: 'other', name: 'x' },
    };
    expect(() => parseFacilitiesGeoJson(JSON.stringify({ type: 'FeatureCollection', features: [line] }))).toThrow(/Point/);
  });

  it('keeps the grid cell of a facility exact', () => {
    expect(cellToParent(latLngToCell(north.lat, north.lon, 15), 8)).toBe(latLngToCell(north.lat, north.lon, 8));
  });
});

describe('windows and task lifecycle', () => {
  it('aligns windows to the epoch and formats ids without colons', () => {
    const t = Date.UTC(2017, 0, 1, 7, 30);
    expect(windowOf(t, 60)).toEqual({ start: Date.UTC(2017, 0, 1, 7), end: Date.UTC(2017, 0, 1, 8) });
    expect(windowOf(t, 360).start).toBe(Date.UTC(2017, 0, 1, 6));
    expect(windowStarts(Date.UTC(2017, 0, 1), Date.UTC(2017, 0, 1, 3), 60)).toHaveLength(3);
    expect(compactIso(Date.UTC(2017, 0, 1, 6))).toBe('20170101T060000Z');
    // at 08:09 with 10 min lateness the 07:00 window is not due; at 08:10 it is
    expect(firstWindowNotDue(Date.UTC(2017, 0, 1, 8, 9), 60, 600_000)).toBe(Date.UTC(2017, 0, 1, 7));
    expect(firstWindowNotDue(Date.UTC(2017, 0, 1, 8, 10), 60, 600_000)).toBe(Date.UTC(2017, 0, 1, 8));
  });

  it('allows the documented transitions only', () => {
    expect(() => checkTransition('open', 'acknowledged')).not.toThrow();
    expect(() => checkTransition('in_progress', 'resolved', 'no_source_found')).not.toThrow();
    expect(() => checkTransition('open', 'resolved', 'no_source_found')).toThrow(
      expect.objectContaining({ code: 'VOC_ERR_INVALID_TRANSITION' }),
    );
    expect(() => checkTransition('resolved', 'dismissed')).toThrow(expect.objectContaining({ code: 'VOC_ERR_INVALID_TRANSITION' }));
    expect(() => checkTransition('in_progress', 'resolved')).toThrow(expect.objectContaining({ code: 'VOC_ERR_INVALID_REQUEST' }));
  });
});
