import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ReplayDevice, ReplayItem, SourceId } from '../types.js';
import { BEIJING_DIR, BEIJING_STATIONS_FILE, beijingDevices, beijingItems, type BeijingOptions } from './beijing.js';
import { MOBILE_FILE, mobileDevices, mobileItems, type MobileOptions } from './mobile.js';
import { UCI_FILE, uciDevices, uciItems, type UciOptions } from './uci.js';

export * from './beijing.js';
export * from './uci.js';
export * from './mobile.js';

/** Per-source options of the replay sources. */
export interface SourceOptions {
  readonly beijing?: BeijingOptions;
  readonly uci?: UciOptions;
  readonly mobile?: MobileOptions;
}

/** A replay source opened on a data directory: the devices it publishes as and its readings in time order. */
export interface ReplaySource {
  readonly id: SourceId;
  devices(): Promise<ReplayDevice[]>;
  items(): AsyncIterable<ReplayItem>;
}

/** The file whose presence marks a source as available in `dataDir`. */
export function sourceMarkerFile(id: SourceId, dataDir: string): string {
  switch (id) {
    case 'beijing':
      return join(dataDir, BEIJING_DIR, BEIJING_STATIONS_FILE);
    case 'uci':
      return join(dataDir, UCI_FILE);
    case 'mobile':
      return join(dataDir, MOBILE_FILE);
  }
}

/** True when the data directory holds the source's file(s). */
export function sourceAvailable(id: SourceId, dataDir: string): boolean {
  return existsSync(sourceMarkerFile(id, dataDir));
}

/**
 * Opens a source on a data directory laid out like `../shared/data` (and `data/demo`):
 * `beijing-multisite/`, `uci-air-quality/AirQualityUCI.csv`, `mobile/bangalore-mmaqshiny/joined_file.csv`.
 */
export function openSource(id: SourceId, dataDir: string, opts: SourceOptions = {}): ReplaySource {
  switch (id) {
    case 'beijing':
      return { id, devices: () => beijingDevices(dataDir, opts.beijing), items: () => beijingItems(dataDir, opts.beijing) };
    case 'uci':
      return { id, devices: () => Promise.resolve(uciDevices()), items: () => uciItems(dataDir, opts.uci) };
    case 'mobile':
      return { id, devices: () => Promise.resolve(mobileDevices()), items: () => mobileItems(dataDir, opts.mobile) };
  }
}
