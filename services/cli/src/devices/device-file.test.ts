import { describe, expect, it } from 'vitest';
import { deviceFileFormat, parseDeviceFile } from './device-file.js';

describe('device file', () => {
  it('reads a CSV with empty cells as absent fields and a JSON metadata column', () => {
    const csv = 'id,kind,name,sensor,lat,lon,metadata\nfx-001,fixed,Corner,pid,39.9,116.37,"{""street"":""Xidan""}"\nvan-9,van,,,,,\n';
    const r = parseDeviceFile(csv, 'csv');
    expect(r).toEqual({
      ok: true,
      devices: [
        { id: 'fx-001', kind: 'fixed', name: 'Corner', sensor: 'pid', lat: 39.9, lon: 116.37, metadata: { street: 'Xidan' } },
        { id: 'van-9', kind: 'van' },
      ],
    });
  });

  it('reports every bad CSV row with its file line and the validation message', () => {
    const csv = [
      'id,kind,lat,lon',
      'ok-001,fixed,39.9,116.3',
      'fx-002,fixed,,', // fixed device without a position
      'fx-003,rocket,39.9,116.3', // unknown kind
      'ok-001,fixed,39.9,116.3', // duplicate id
      'x,fixed,99,116.3', // id too short, latitude out of range
      'voc-gateway,fixed,39.9,116.3', // the gateway's account
    ].join('\n');
    const r = parseDeviceFile(csv, 'csv', ['voc-gateway']);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.line)).toEqual([3, 4, 5, 6, 7]);
    expect(r.errors[0]!.message).toMatch(/^lat: a fixed device needs lat and lon/);
    expect(r.errors[1]!.message).toMatch(/^kind: /);
    expect(r.errors[2]!.message).toBe('id: "ok-001" is already on line 2');
    expect(r.errors[3]!.message).toMatch(/^id: .*; lat: /);
    expect(r.errors[4]!.message).toMatch(/reserved/);
  });

  it('rejects unknown columns and bad metadata', () => {
    const r = parseDeviceFile('id,kind,lat,lon,colour,metadata\nfx-001,fixed,1,2,red,{\n', 'csv');
    expect(r).toEqual({ ok: false, errors: [{ line: 2, message: 'metadata: "{" is not valid JSON' }] });
    const r2 = parseDeviceFile('id,kind,lat,lon,colour\nfx-001,fixed,1,2,red\n', 'csv');
    expect(r2.ok).toBe(false);
    if (!r2.ok) expect(r2.errors[0]!.message).toMatch(/colour/);
  });

  it('gives JSON rows the line where their object starts', () => {
    const json = `[
  { "id": "fx-001", "kind": "fixed", "lat": 39.9, "lon": 116.3 },
  {
    "id": "fx-002",
    "kind": "fixed"
  },
  { "id": "van-01", "kind": "van", "name": "a \\"quoted\\" [name]" }
]`;
    const r = parseDeviceFile(json, 'json');
    expect(r).toEqual({ ok: false, errors: [{ line: 3, message: 'lat: a fixed device needs lat and lon (WGS-84)' }] });
    const wrapped = parseDeviceFile(`{\n "devices": [\n  {"id": "van-01", "kind": "van"},\n  {"id": "v", "kind": "van"}\n ]\n}`, 'json');
    expect(wrapped.ok).toBe(false);
    if (!wrapped.ok) expect(wrapped.errors.map((e) => e.line)).toEqual([4]);
  });

  it('refuses a file that is not CSV/JSON or holds no device', () => {
    expect(deviceFileFormat('a/b.CSV')).toBe('csv');
    expect(deviceFileFormat('a/b.json')).toBe('json');
    expect(deviceFileFormat('a/b.txt')).toBeUndefined();
    expect(parseDeviceFile('{', 'json').ok).toBe(false);
    expect(parseDeviceFile('id,kind\n', 'csv')).toEqual({ ok: false, errors: [{ line: 1, message: 'the file holds no device' }] });
  });
});
