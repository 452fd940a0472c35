import { bbox, inPolygon, localProjection, type LatLon, type PolygonRings, type Projection, type XY } from './geo.js';

/** One area of a district (a street office, 街道), with its polygon (WGS-84 `[lon, lat]` rings). */
export interface DistrictArea {
  readonly id: string;
  readonly name: string;
  readonly polygon: PolygonRings;
}

/** The district a scenario covers: the union of its areas. */
export interface District {
  readonly name: string;
  /** Where the outline comes from, shown in the ground truth. */
  readonly source: string;
  readonly areas: readonly DistrictArea[];
}

function rect(id: string, name: string, w: number, s: number, e: number, n: number): DistrictArea {
  return {
    id,
    name,
    polygon: [
      [
        [w, s],
        [e, s],
        [e, n],
        [w, n],
        [w, s],
      ],
    ],
  };
}

const W = [116.3, 116.333333, 116.366667, 116.4];
const S = [39.86, 39.896667, 39.933333, 39.97];
const COLS = ['w', 'c', 'e'];
const ROWS = ['s', 'm', 'n'];

/**
 * Xicheng as the repository's demo knows it: the nine street-office areas of
 * `data/demo/jurisdictions.geojson` (3 × 3 rectangles over 116.30–116.40 E, 39.86–39.97 N, the extent of
 * Xicheng District). They are **illustrative, not official boundaries**; the extent is larger than the
 * district (≈ 104 km² against Xicheng's 50.7 km²). A real boundary can be given with
 * {@link parseDistrictGeoJson}; a test checks this constant against the committed file.
 */
export const XICHENG_DEMO_DISTRICT: District = Object.freeze({
  name: 'Xicheng (extent of the illustrative demo street offices)',
  source: 'data/demo/jurisdictions.geojson (illustrative rectangles, not official boundaries)',
  areas: ROWS.flatMap((r, j) =>
    COLS.map((c, i) =>
      rect(`demo-so-${r}${c}`, `Demo street office ${(r + c).toUpperCase()} (illustrative)`, W[i]!, S[j]!, W[i + 1]!, S[j + 1]!),
    ),
  ),
});

/**
 * A district from a GeoJSON FeatureCollection of Polygon/MultiPolygon features with `id` and `name`
 * properties (the format of `voc jurisdictions import`). A MultiPolygon feature becomes one area per part.
 * @throws Error naming the feature when a feature has no id or an unsupported geometry
 */
export function parseDistrictGeoJson(text: string, name: string, source: string): District {
  const doc = JSON.parse(text) as { type?: string; features?: unknown[] };
  if (doc.type !== 'FeatureCollection' || !Array.isArray(doc.features)) throw new Error('district GeoJSON must be a FeatureCollection');
  const areas: DistrictArea[] = [];
  doc.features.forEach((f, i) => {
    const feat = f as { geometry?: { type?: string; coordinates?: unknown }; properties?: { id?: unknown; name?: unknown } };
    const id = feat.properties?.id;
    if (typeof id !== 'string' || id === '') throw new Error(`district GeoJSON feature ${i + 1} has no string id`);
    const areaName = typeof feat.properties?.name === 'string' ? feat.properties.name : id;
    if (feat.geometry?.type === 'Polygon') areas.push({ id, name: areaName, polygon: feat.geometry.coordinates as PolygonRings });
    else if (feat.geometry?.type === 'MultiPolygon')
      (feat.geometry.coordinates as PolygonRings[]).forEach((p, k) => areas.push({ id, name: `${areaName} (part ${k + 1})`, polygon: p }));
    else throw new Error(`district GeoJSON feature ${i + 1} (${id}): geometry must be Polygon or MultiPolygon`);
  });
  if (areas.length === 0) throw new Error('district GeoJSON has no features');
  return { name, source, areas };
}

/** The area containing a position, or null outside the district. */
export function areaOf(d: District, p: LatLon): DistrictArea | null {
  return d.areas.find((a) => inPolygon(p, a.polygon)) ?? null;
}

/** Projection centred on the district's bounding box. */
export function districtProjection(d: District): Projection {
  const [w, s, e, n] = bbox(d.areas.map((a) => a.polygon));
  return localProjection({ lat: (s + n) / 2, lon: (w + e) / 2 });
}

/** A street segment between two adjacent grid nodes (local metres). */
export interface StreetEdge {
  readonly a: number;
  readonly b: number;
}

/** A street network: nodes (local metres, inside the district) and the segments joining neighbours. */
export interface StreetGrid {
  readonly projection: Projection;
  readonly nodes: readonly XY[];
  readonly edges: readonly StreetEdge[];
  /** Neighbouring node indices of each node. */
  readonly adjacency: readonly (readonly number[])[];
  readonly spacingM: number;
}

/**
 * A street-grid approximation of the district: north–south and east–west streets every `spacingM`
 * metres (the old city of Beijing is laid out on a north–south grid; its main streets are some 400–800 m
 * apart, hutongs between them), clipped to the district. Nodes are the crossings inside the district;
 * a segment joins two adjacent crossings whose midpoint is inside too.
 * @throws RangeError when spacingM is not in 50–5000 m or the grid has no segment
 */
export function streetGrid(d: District, spacingM: number): StreetGrid {
  if (!(spacingM >= 50 && spacingM <= 5000)) throw new RangeError(`street spacing must be 50-5000 m, got ${spacingM}`);
  const projection = districtProjection(d);
  const [w, s, e, n] = bbox(d.areas.map((a) => a.polygon));
  const sw = projection.toXY({ lat: s, lon: w });
  const ne = projection.toXY({ lat: n, lon: e });
  const inside = (p: XY) => areaOf(d, projection.toLatLon(p)) !== null;
  // Streets start half a spacing in from the box so that none runs exactly along an edge of it.
  const cols = Math.floor((ne.x - sw.x) / spacingM);
  const rows = Math.floor((ne.y - sw.y) / spacingM);
  const x0 = sw.x + (ne.x - sw.x - (cols - 1) * spacingM) / 2;
  const y0 = sw.y + (ne.y - sw.y - (rows - 1) * spacingM) / 2;
  const index = new Map<string, number>();
  const nodes: XY[] = [];
  for (let j = 0; j < rows; j += 1)
    for (let i = 0; i < cols; i += 1) {
      const p = { x: x0 + i * spacingM, y: y0 + j * spacingM };
      if (inside(p)) {
        index.set(`${i},${j}`, nodes.length);
        nodes.push(p);
      }
    }
  const edges: StreetEdge[] = [];
  const adjacency: number[][] = nodes.map(() => []);
  for (const [key, a] of index) {
    const [i, j] = key.split(',').map(Number) as [number, number];
    for (const [di, dj] of [
      [1, 0],
      [0, 1],
    ] as const) {
      const b = index.get(`${i + di},${j + dj}`);
      if (b === undefined) continue;
      const pa = nodes[a]!;
      const pb = nodes[b]!;
      if (!inside({ x: (pa.x + pb.x) / 2, y: (pa.y + pb.y) / 2 })) continue;
      edges.push({ a, b });
      adjacency[a]!.push(b);
      adjacency[b]!.push(a);
    }
  }
  if (edges.length === 0) throw new RangeError(`no street segment fits the district at ${spacingM} m spacing`);
  return { projection, nodes, edges, adjacency, spacingM };
}
