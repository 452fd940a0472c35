import { USABLE_GPS_FIXES } from '@voc/hotspot';

/**
 * The SQL form of the usable-reading rule (DOMAIN.md §2/§6; the TypeScript form is `isUsable` in
 * `@voc/hotspot` aggregate.ts, over the same {@link USABLE_GPS_FIXES}): a valid reading with an H3
 * cell; a van reading (per-reading position, `lat` set) also needs a GPS fix and a known speed at or
 * below the van speed limit. Used by the evaluation rollup, its van scan and the TimescaleDB hourly
 * rollup migration (through the `{{usable_reading}}` placeholder), so the rule has one source.
 * @param alias table alias with its dot (`'r.'`) or `''`
 * With `negativeSuspect` (the evaluation's rollup) a negative value flagged `suspect` also counts, at its
 * value: ingest flags negative concentrations `suspect` instead of refusing them because dropping them
 * would bias means upwards (README "Negative concentrations"); the grid keeps them for the same reason.
 * The TimescaleDB hourly rollup keeps the valid-only rule it was created with.
 * @param maxSpeedKmh a SQL expression: a parameter (`'$6'`) or a number (`VOC_HOTSPOT_VAN_MAX_SPEED_KMH`)
 */
export function usableReadingSql(alias: string, maxSpeedKmh: string, opts: { negativeSuspect?: boolean } = {}): string {
  const fixes = USABLE_GPS_FIXES.map((f) => `'${f}'`).join(', ');
  const qa = opts.negativeSuspect ? `(${alias}qa = 'valid' or (${alias}qa = 'suspect' and ${alias}value < 0))` : `${alias}qa = 'valid'`;
  return `${qa} and ${alias}h3 is not null and (${alias}lat is null or (${alias}gps_fix in (${fixes}) and ${alias}speed_kmh <= ${maxSpeedKmh}))`;
}
