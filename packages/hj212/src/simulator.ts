import { buildFrame, flagValue, type BuildOptions, type CpValue } from './build.js';
import { formatHj212Time, formatQn } from './time.js';

/** One simulated data upload of a logger. */
export interface SimulatedUpload {
  readonly mn: string;
  readonly pw: string;
  /** System code; default `51` (cooking-fume monitors, SPEC-NOTES §6). */
  readonly st?: string;
  /** Data command; default `2051` (minute data). */
  readonly cn?: '2011' | '2051' | '2061' | '2031';
  /** Start of the measurement window (minute/hour data) or sample time (real-time), epoch ms. */
  readonly dataTime: number;
  /** Send time for `QN`, epoch ms; default `dataTime`. */
  readonly sentAt?: number;
  /** Factor values: code → value (written in the command's value field, with `-Flag`). */
  readonly values: Readonly<Record<string, number>>;
  /** Data flag per factor (default `N`). */
  readonly flags?: Readonly<Record<string, string>>;
  /** Bare items such as a vendor's `FANSTATUS=1`. */
  readonly items?: Readonly<Record<string, CpValue>>;
  /** Ask for a 9014 data response (Flag A bit). Default true. */
  readonly ackRequested?: boolean;
  /** Decimal places of values. Default 3. */
  readonly decimals?: number;
}

/**
 * Builds a real HJ 212-2017 data frame for a simulated logger: `QN` from the send time, `Flag` 2017
 * with the A bit, `CP=&&DataTime=…;code-Avg=v,code-Flag=N;…&&` (`-Rtd` for CN=2011), correct length
 * and CRC. Used by the tests and the fume-monitor simulator.
 */
export function buildDataUpload(u: SimulatedUpload, opts?: BuildOptions): string {
  const cn = u.cn ?? '2051';
  const field = cn === '2011' ? 'Rtd' : 'Avg';
  const decimals = u.decimals ?? 3;
  const factors: Record<string, Record<string, CpValue>> = {};
  for (const [code, v] of Object.entries(u.values)) {
    factors[code] = { [field]: v.toFixed(decimals), Flag: u.flags?.[code] ?? 'N' };
  }
  return buildFrame(
    {
      qn: formatQn(u.sentAt ?? u.dataTime),
      st: u.st ?? '51',
      cn,
      pw: u.pw,
      mn: u.mn,
      flag: flagValue({ version: 1, ackRequested: u.ackRequested ?? true }),
      fields: { DataTime: formatHj212Time(u.dataTime), ...(u.items ?? {}) },
      factors,
    },
    opts,
  );
}

/** Minute data (CN=2051) for a simulated logger; see {@link buildDataUpload}. */
export function buildMinuteData(u: Omit<SimulatedUpload, 'cn'>, opts?: BuildOptions): string {
  return buildDataUpload({ ...u, cn: '2051' }, opts);
}
