import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDeviceFile } from '@voc/cli';
import { openSource } from './sources/index.js';
import { SOURCE_IDS } from './types.js';

const SHARED = fileURLToPath(new URL('../../../../shared/data/', import.meta.url));
const DEMO = fileURLToPath(new URL('../../../data/demo/', import.meta.url));

/** Splits into lines keeping each line's own ending (CRLF or LF). */
function lines(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] === 0x0a) {
      out.push(buf.subarray(start, i + 1));
      start = i + 1;
    }
  }
  if (start < buf.length) out.push(buf.subarray(start));
  return out;
}

const STATIONS = ['Guanyuan', 'Wanshouxigong', 'Dongsi', 'Tiantan', 'Changping', 'Dingling', 'Huairou', 'Shunyi'];
// File lines (1-based, header = 1) copied into data/demo, as data/demo/README.md states them.
const SLICES: [string, number, number][] = [
  ...STATIONS.map((s): [string, number, number] => [`beijing-multisite/PRSA_Data_${s}_20130301-20170228.csv`, 33650, 34393]),
  ['uci-air-quality/AirQualityUCI.csv', 512, 1231],
  ['mobile/bangalore-mmaqshiny/joined_file.csv', 2, 3001],
  ['beijing-multisite/stations.csv', 2, 9],
];

describe.skipIf(!existsSync(SHARED))('demo slice', () => {
  for (const [file, first, last] of SLICES) {
    it(`${file} is the header plus lines ${first}-${last} of the original, byte for byte`, () => {
      const orig = lines(readFileSync(`${SHARED}${file}`));
      const demo = lines(readFileSync(`${DEMO}${file}`));
      const expected = Buffer.concat([orig[0]!, ...orig.slice(first - 1, last)]);
      expect(Buffer.concat(demo).equals(expected)).toBe(true);
    });
  }
});

describe('demo devices', () => {
  it('registers exactly the devices the demo sources publish as', async () => {
    const parsed = parseDeviceFile(readFileSync(`${DEMO}devices.csv`, 'utf8'), 'csv');
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const registered = parsed.devices.map((d) => `${d.id}:${d.kind}`).sort();
    const publishing = (await Promise.all(SOURCE_IDS.map((id) => openSource(id, DEMO).devices())))
      .flat()
      .map((d) => `${d.deviceId}:${d.kind}`);
    expect(registered).toEqual(publishing.sort());
    expect(registered).toHaveLength(10);
    const van = parsed.devices.find((d) => d.kind === 'van')!;
    expect(van.name).toMatch(/translated/);
  });
});
