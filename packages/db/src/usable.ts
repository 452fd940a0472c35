import { USABLE_GPS_FIXES } from '@voc/hotspot';

/**
 * The SQL form of the usable-reading rule (DOMAIN.md §2/§6; the TypeScript form is `isUsable` in
 * `@voc/hotspot` aggregate.ts, over the same {@link USABLE_GPS_FIXES}): a valid reading with an H3
 * cell; a van reading (per-reading position, `lat` set) also needs a GPS fix and a known speed at or
 * below the van speed limit. Used by the evaluation rollup, its van scan and the TimescaleDB hourly
 * rollup migration (through the `{{usable_reading}}` placeholder), so the rule has one source.
 * @param alias table alias with its dot (`'r.'`) or `''`
 * @param maxSpeedKmh a SQL expression: a parameter (`'$6'`) or a number (`VOC_HOTSPOT_VAN_MAX_SPEED_KMH`)
 */
export function usableReadingSql(alias: string, maxSpeedKmh: string): string {
  const fixes = USABLE_GPS_FIXES.map((f) => `'${f}'`).join(', ');
  return `${alias}qa = 'valid' and ${alias}h3 is not null and (${alias}lat is null or (${alias}gps_fix in (${fixes}) and ${alias}speed_kmh <= ${maxSpeedKmh}))`;
}
