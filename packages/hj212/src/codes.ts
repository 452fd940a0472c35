/**
 * Code catalogues of HJ 212: command codes (CN), system codes (ST), data flags and reply codes.
 * Source: SPEC-NOTES §2, §3, §5, §6 (the 2017 lists; the 2005 data and response codes share meanings).
 */

/** How a command is used on the wire. */
export type CommandKind = 'data' | 'request' | 'response' | 'notification';

/**
 * Command codes of the 2017 list plus the 2005-era codes seen in old fixtures (1021/1022, 1031/1032,
 * 2071). `data`: device uploads readings (answered with 9014 when the A bit asks); `request`:
 * platform → device (device answers 9011, then 9012); `response`: 9011–9014; `notification`: device
 * reports an event (answered with 9013 when the A bit asks).
 */
export const COMMANDS = {
  '1000': { kind: 'request', label: 'set timeout and retry count' },
  '1011': { kind: 'request', label: 'get device time' },
  '1012': { kind: 'request', label: 'set device time' },
  '1013': { kind: 'notification', label: 'device asks for time calibration' },
  '1021': { kind: 'request', label: 'get pollutant limits (2005)' },
  '1022': { kind: 'request', label: 'set pollutant limits (2005)' },
  '1031': { kind: 'request', label: 'get alarm target address (2005)' },
  '1032': { kind: 'request', label: 'set alarm target address (2005)' },
  '1061': { kind: 'request', label: 'get real-time data interval' },
  '1062': { kind: 'request', label: 'set real-time data interval' },
  '1063': { kind: 'request', label: 'get minute-data interval' },
  '1064': { kind: 'request', label: 'set minute-data interval' },
  '1072': { kind: 'request', label: 'set device access password' },
  '2011': { kind: 'data', label: 'real-time data' },
  '2012': { kind: 'request', label: 'stop real-time data' },
  '2021': { kind: 'data', label: 'equipment running state' },
  '2022': { kind: 'request', label: 'stop equipment running state' },
  '2031': { kind: 'data', label: 'daily history data' },
  '2041': { kind: 'data', label: 'equipment running time, daily' },
  '2051': { kind: 'data', label: 'minute data' },
  '2061': { kind: 'data', label: 'hourly data' },
  '2071': { kind: 'data', label: 'alarm records (2005)' },
  '2081': { kind: 'notification', label: 'data-logger restart time' },
  '3011': { kind: 'request', label: 'zero/span calibration' },
  '3012': { kind: 'request', label: 'immediate sampling' },
  '3013': { kind: 'request', label: 'cleaning / back-blowing' },
  '3014': { kind: 'request', label: 'comparison sampling' },
  '3015': { kind: 'request', label: 'over-limit sample retention' },
  '3016': { kind: 'request', label: 'set sampling period' },
  '3017': { kind: 'request', label: 'get sampling period' },
  '3018': { kind: 'request', label: 'get sample-out time' },
  '3019': { kind: 'request', label: 'get device ID' },
  '3020': { kind: 'request', label: 'get field-machine information' },
  '3021': { kind: 'request', label: 'set field-machine parameters' },
  '9011': { kind: 'response', label: 'request response (QnRtn)' },
  '9012': { kind: 'response', label: 'execution result (ExeRtn)' },
  '9013': { kind: 'response', label: 'notification response' },
  '9014': { kind: 'response', label: 'data response' },
} as const satisfies Record<string, { kind: CommandKind; label: string }>;

/** A known command code. */
export type CommandCode = keyof typeof COMMANDS;

/** Type guard for a known command code. */
export function isKnownCommand(cn: string): cn is CommandCode {
  return Object.prototype.hasOwnProperty.call(COMMANDS, cn);
}

/** Kind of a command, or `undefined` for a code outside the lists. */
export function commandKind(cn: string): CommandKind | undefined {
  return isKnownCommand(cn) ? COMMANDS[cn].kind : undefined;
}

/** System codes of the 2017 list (SPEC-NOTES §6). Codes outside it are accepted with a warning. */
export const SYSTEMS = {
  '21': 'surface-water quality',
  '22': 'ambient air quality',
  '23': 'acoustic environment (noise) quality',
  '24': 'groundwater quality',
  '25': 'soil quality',
  '26': 'seawater quality',
  '27': 'volatile organic compounds (VOCs)',
  '31': 'air pollution source (waste gas)',
  '32': 'surface-water pollution source (waste water)',
  '33': 'groundwater pollution source',
  '34': 'marine pollution source',
  '35': 'soil pollution source',
  '36': 'noise pollution source',
  '37': 'vibration pollution source',
  '38': 'radioactive pollution source',
  '39': 'construction-site dust source',
  '41': 'electromagnetic pollution source',
  '51': 'flue-gas emission process (cooking-fume monitors seen using it)',
  '52': 'waste-water emission process',
  '91': 'system interaction',
} as const;

/** True when `st` is in the 2017 system-code list. */
export function isKnownSystem(st: string): boolean {
  return Object.prototype.hasOwnProperty.call(SYSTEMS, st);
}

/** Data flags of a factor value (`-Flag=`), SPEC-NOTES §2. */
export const DATA_FLAGS = {
  N: 'instrument working normally',
  F: 'instrument stopped',
  M: 'maintenance',
  S: 'value set manually',
  D: 'instrument fault',
  C: 'calibration',
  T: 'above the upper measuring limit (censored)',
  B: 'communication fault between instrument and data logger',
} as const;

/** A data flag letter of the standard. */
export type DataFlag = keyof typeof DATA_FLAGS;

/** Type guard for a data flag of the standard. */
export function isDataFlag(v: string): v is DataFlag {
  return Object.prototype.hasOwnProperty.call(DATA_FLAGS, v);
}

/** `QnRtn` values of a request response (CN=9011), SPEC-NOTES §3. */
export const QN_RTN = {
  ready: 1,
  rejected: 2,
  pw_wrong: 3,
  mn_wrong: 4,
  st_wrong: 5,
  flag_wrong: 6,
  qn_wrong: 7,
  cn_wrong: 8,
  crc_error: 9,
  unknown_error: 100,
} as const;

/** `ExeRtn` values of an execution result (CN=9012), SPEC-NOTES §3. */
export const EXE_RTN = {
  success: 1,
  failed: 2,
  condition_error: 3,
  timeout: 4,
  busy: 5,
  system_fault: 6,
  no_data: 100,
} as const;
