import { readFile } from 'node:fs/promises';
import { parseFacilitiesCsv, parseFacilitiesGeoJson, parseJurisdictionsGeoJson } from '@voc/hotspot';
import { importFacilities, importJurisdictions } from '@voc/core';
import { FacilityRepository, JurisdictionRepository } from '@voc/db';
import { commandArgs as args } from './args.js';
import { withPool } from './context.js';
import { UsageError, type Command } from './types.js';

/** `voc facilities import`. */
export const facilitiesImportCommand: Command = {
  name: 'facilities import',
  summary: 'register candidate sources (facilities) from CSV or GeoJSON',
  usage: `voc facilities import <file.csv|file.geojson>

  CSV header: id,category,name,lat,lon[,fume_device_ids][,address] (fume_device_ids separated by ";"; lines
  starting with "#" are comments). GeoJSON: a FeatureCollection of Points with properties id, category,
  name[, fume_device_ids, address]. Categories: restaurant, auto_repair, body_shop, printer, dry_cleaner,
  fuel_station, construction_site, other. Positions WGS-84. Re-importing updates rows by id.`,
  async run(argv) {
    const { positionals } = args(argv, {}, 1);
    const file = positionals[0]!;
    const text = await readFile(file, 'utf8');
    const items = /\.csv$/i.test(file) ? parseFacilitiesCsv(text) : /\.(geo)?json$/i.test(file) ? parseFacilitiesGeoJson(text) : undefined;
    if (!items) throw new UsageError(`${file}: expected a .csv, .geojson or .json file`);
    const r = await withPool('voc-registry', (pool) => importFacilities(new FacilityRepository(pool), items));
    process.stdout.write(`facilities: ${r.inserted} added, ${r.updated} updated (${items.length} in ${file})\n`);
    return 0;
  },
};

/** `voc jurisdictions import`. */
export const jurisdictionsImportCommand: Command = {
  name: 'jurisdictions import',
  summary: 'register street-office areas (GeoJSON polygons) that assign cells to the office responsible',
  usage: `voc jurisdictions import <file.geojson>

  A FeatureCollection of Polygon or MultiPolygon features (WGS-84, [lon, lat]) with properties id and name.
  A cell belongs to the first area (by id) that contains its centre. Re-importing updates rows by id.`,
  async run(argv) {
    const { positionals } = args(argv, {}, 1);
    const file = positionals[0]!;
    const items = parseJurisdictionsGeoJson(await readFile(file, 'utf8'));
    const r = await withPool('voc-registry', (pool) => importJurisdictions(new JurisdictionRepository(pool), items));
    process.stdout.write(`jurisdictions: ${r.inserted} added, ${r.updated} updated (${items.length} in ${file})\n`);
    return 0;
  },
};

/** The registry commands. */
export const REGISTRY_COMMANDS: readonly Command[] = [facilitiesImportCommand, jurisdictionsImportCommand];
