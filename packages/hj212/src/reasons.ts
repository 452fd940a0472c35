/**
 * Stable reason codes of the HJ 212 codec. A code is never reused or renamed: the dead-letter topic,
 * counters and dashboards key on it. Each entry says what failed; `detail` on a rejection says where.
 */
export const REJECT_REASONS = {
  /** The frame does not start with `##` (a lost `#`, a missing header, garbage). */
  bad_header: 'bad_header',
  /** The 4 characters after `##` are not 4 decimal digits (e.g. a 2-digit length `##81…`). */
  bad_length: 'bad_length',
  /** The declared data length does not match the bytes between the length field and the CRC. */
  length_mismatch: 'length_mismatch',
  /** The declared data length exceeds the allowed maximum (1024 by the standard, or the device's setting). */
  oversize: 'oversize',
  /** The frame ended before the declared length, CRC and CR LF were complete. */
  truncated: 'truncated',
  /** The two bytes after the CRC are not CR LF. */
  bad_terminator: 'bad_terminator',
  /** The CRC field is not 4 hex digits, or uses lower-case hex on a device not allowed to. */
  bad_crc_format: 'bad_crc_format',
  /** The CRC does not match the data segment under the device's allowed CRC algorithms. */
  crc_mismatch: 'crc_mismatch',
  /** A required header field (`ST`, `CN`, `PW`, `MN`, `CP`) or half of `PNUM`/`PNO` is absent. */
  missing_field: 'missing_field',
  /** A header field is malformed (`QN` not 17 digits, `CN` not 4 digits, `Flag` not 0–255, …). */
  bad_field: 'bad_field',
  /** A header field occurs twice. */
  duplicate_field: 'duplicate_field',
  /** The `CP=&&…&&` data area is not closed by `&&`, or an item has no `=` or an empty name. */
  malformed_cp: 'malformed_cp',
  /** A time item (`DataTime`, `SystemTime`, `BeginTime`, `EndTime`, `RestartTime`) is not a valid time. */
  bad_datatime: 'bad_datatime',
  /** `CN` is 4 digits but not a command of the 2005/2017 lists (and the device does not allow extra codes). */
  unknown_command: 'unknown_command',
  /** `PNUM`/`PNO` out of range (`PNO` 0 or greater than `PNUM`). */
  bad_split: 'bad_split',
  /** Stream only: bytes between frames that are not a frame (reported with their raw bytes). */
  garbage: 'garbage',
} as const;

/** A rejection reason code. */
export type RejectReason = (typeof REJECT_REASONS)[keyof typeof REJECT_REASONS];

/**
 * Per-device tolerances for deviations seen in the wild (SPEC-NOTES §1, §2, §4). All are off by
 * default; a frame accepted through one lists it in `tolerances`, and so do its observations.
 */
export const TOLERANCES = {
  /** CRC printed in lower-case hex (`b541`). */
  lowercase_crc: 'lowercase_crc',
  /** `DataTime` (and other time items) with 17 digits, i.e. with milliseconds. */
  datatime_ms: 'datatime_ms',
  /** CRC-16/MODBUS printed high byte first instead of the HJ 212 routine. */
  crc_modbus: 'crc_modbus',
  /** CRC-16/MODBUS printed low byte first (byte-swapped). */
  crc_modbus_swapped: 'crc_modbus_swapped',
  /** No CR LF after the CRC. */
  missing_crlf: 'missing_crlf',
  /** Declared length wrong, but the CRC over the actual segment is right. */
  length_mismatch: 'length_mismatch',
  /**
   * Data segment longer than the standard's 1024. Recorded only: it is admitted by raising the
   * device's `maxDataLength`, not by listing it in `tolerances`.
   */
  oversize: 'oversize',
  /** A `CN` outside the 2005/2017 command lists. */
  unknown_command: 'unknown_command',
} as const;

/** A tolerance name. */
export type Tolerance = (typeof TOLERANCES)[keyof typeof TOLERANCES];

/** Non-fatal findings on an accepted frame (logged and counted, never a rejection). */
export const WARNINGS = {
  /** `ST` is not in the 2017 system-code list (e.g. `ST=101`, `ST=80`). */
  unknown_system: 'unknown_system',
  /** `Flag` version bits are neither 2005 (0) nor 2017 (1) (e.g. `Flag=8`). */
  unknown_flag_version: 'unknown_flag_version',
  /** `PNUM`/`PNO` present while the `Flag` D bit is clear or `Flag` absent; treated as split. */
  split_without_flag: 'split_without_flag',
  /** `Flag` D bit set but no `PNUM`/`PNO`; treated as not split. */
  split_flag_without_pnum: 'split_flag_without_pnum',
  /** The data segment has bytes outside ASCII; lengths and CRC are computed on bytes. */
  non_ascii: 'non_ascii',
  /** An item name occurs twice in `CP`; the last value is kept. */
  duplicate_item: 'duplicate_item',
  /** A header key outside the standard's list; kept in `extraFields`. */
  unknown_header_field: 'unknown_header_field',
} as const;

/** A warning code. */
export type Warning = (typeof WARNINGS)[keyof typeof WARNINGS];
