import type { DeviceKind, ReferenceState, WireGps } from '@voc/domain';

/** Replay sources, in the order `voc replay --sources` lists them by default. */
export const SOURCE_IDS = ['beijing', 'uci', 'mobile'] as const;
/** One of {@link SOURCE_IDS}. */
export type SourceId = (typeof SOURCE_IDS)[number];

/**
 * One measured value as the replay publishes it: `unit` is a symbol the gateway's unit parser knows
 * (`UNITS` of `@voc/domain`); `ref` is the reference state of a gas mass concentration, omitted where
 * the state does not apply (particles, mixing ratios, indices, weather).
 */
export interface ReplayValue {
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  readonly ref?: ReferenceState;
}

/**
 * One reading of one device at one instant, as a replay source yields it.
 * - `ts`: the instant in UTC (the source converted the file's local time).
 * - `values`: only the values present in the row: a missing cell is left out, never zero; a row with no
 *   value at all is not yielded.
 * - `gps`: survey vans only (position, speed km/h, heading degrees from north, fix).
 */
export interface ReplayItem {
  readonly source: SourceId;
  readonly deviceId: string;
  readonly kind: DeviceKind;
  readonly ts: Date;
  readonly values: readonly ReplayValue[];
  readonly gps?: WireGps;
}

/** A device a source publishes as (it needs MQTT credentials). */
export interface ReplayDevice {
  readonly deviceId: string;
  readonly kind: DeviceKind;
}
