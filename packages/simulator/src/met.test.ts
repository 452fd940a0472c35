import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildBackground, findEpisodes } from './background.js';
import { DEFAULT_SLICE_FILES, loadDefaultStations, parseBeijingStationCsv } from './met.js';

const SHARED = fileURLToPath(new URL('../../../../shared/data/beijing-multisite/', import.meta.url));
const SLICE = fileURLToPath(new URL('../data/beijing-multisite/', import.meta.url));

describe('Beijing station data', () => {
  it('parses China Standard Time, NA as missing and the 16-point wind direction', () => {
    const text =
      '"No","year","month","day","hour","PM2.5","PM10","SO2","NO2","CO","O3","TEMP","PRES","DEWP","RAIN","wd","WSPM","station"\r\n' +
      '32905,2016,12,1,0,4,8,5,29,500,50,3.5,1024.1,-8.5,0,"ENE",1,"Guanyuan"\r\n' +
      '32906,2016,12,1,1,NA,9,5,29,NA,50,3.5,1024.1,-8.5,0,NA,NA,"Guanyuan"\r\n';
    const rows = parseBeijingStationCsv(text);
    expect(rows[0]).toMatchObject({ time: Date.UTC(2016, 10, 30, 16), pm25: 4, coUgM3Standard: 500, windFromDeg: 67.5, windSpeed: 1 });
    expect(rows[1]).toMatchObject({ pm25: null, coUgM3Standard: null, windFromDeg: null, windSpeed: null });
  });

  it('ships December 2016 of the two Xicheng stations, 744 hours each, with the 16-22 December episode', () => {
    const stations = loadDefaultStations();
    expect(stations.map((s) => s.length)).toEqual([744, 744]);
    const bg = buildBackground(stations);
    expect(bg.to - bg.from).toBe(744 * 3_600_000);
    const long = findEpisodes(bg).filter((e) => e.end - e.start >= 48 * 3_600_000);
    // District PM2.5 > 150 µg/m³ from 17 December 12:00 to 22 December 04:00 CST.
    expect(long.some((e) => e.start === Date.UTC(2016, 11, 17, 4) && e.end === Date.UTC(2016, 11, 21, 20))).toBe(true);
  });

  it.skipIf(!existsSync(SHARED))('holds byte-exact lines 1 and 32906-33649 of the full station files', () => {
    for (const [i, station] of ['Guanyuan', 'Wanshouxigong'].entries()) {
      const full = readFileSync(`${SHARED}PRSA_Data_${station}_20130301-20170228.csv`);
      const lines = full.toString('latin1').split('\n');
      const expected = [lines[0], ...lines.slice(32905, 33649)].join('\n') + '\n';
      const slice = readFileSync(`${SLICE}${DEFAULT_SLICE_FILES[i]}`);
      expect(createHash('sha256').update(slice).digest('hex')).toBe(
        createHash('sha256').update(Buffer.from(expected, 'latin1')).digest('hex'),
      );
    }
  });
});
