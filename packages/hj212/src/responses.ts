import { buildFrame, type BuildOptions } from './build.js';
import { commandKind, type EXE_RTN, type QN_RTN } from './codes.js';
import type { Hj212Frame } from './frame.js';
import { formatHj212Time, formatQn } from './time.js';

/** The system code of system-interaction packets (acks and replies), SPEC-NOTES §6. */
export const ST_SYSTEM_INTERACTION = '91';

/** A `QnRtn` value (CN=9011). */
export type QnRtn = (typeof QN_RTN)[keyof typeof QN_RTN];
/** An `ExeRtn` value (CN=9012). */
export type ExeRtn = (typeof EXE_RTN)[keyof typeof EXE_RTN];

/** The part of a received frame a reply echoes. */
export type ReplyTo = Pick<Hj212Frame, 'qn' | 'pw' | 'mn' | 'flag'>;

/**
 * Flag of a reply: the request's version bits, A and D clear (a reply asks for nothing and is never
 * split); absent when the request had no Flag (2005-style header).
 */
function replyFlag(req: ReplyTo): number | undefined {
  return req.flag === undefined ? undefined : req.flag.versionBits << 2;
}

function reply(req: ReplyTo, cn: string, fields: Record<string, string | number> | undefined, opts?: BuildOptions): string {
  const flag = replyFlag(req);
  return buildFrame(
    {
      ...(req.qn !== undefined ? { qn: req.qn } : {}),
      st: ST_SYSTEM_INTERACTION,
      cn,
      pw: req.pw,
      mn: req.mn,
      ...(flag !== undefined ? { flag } : {}),
      ...(fields ? { fields } : {}),
    },
    opts,
  );
}

/**
 * Data response (CN=9014), sent by the platform for an uploaded data packet whose Flag A bit asks for
 * it: `QN` echoed, `ST=91`, `PW`/`MN` echoed, empty data area `CP=&&&&` (SPEC-NOTES §3).
 */
export function buildDataResponse(req: ReplyTo, opts?: BuildOptions): string {
  return reply(req, '9014', undefined, opts);
}

/** Notification response (CN=9013), answering a notification (e.g. CN=2081 restart time), SPEC-NOTES §3. */
export function buildNotificationResponse(req: ReplyTo, opts?: BuildOptions): string {
  return reply(req, '9013', undefined, opts);
}

/** Request response (CN=9011, `CP=&&QnRtn=n&&`), sent by a device on receiving a platform request. */
export function buildRequestResponse(req: ReplyTo, qnRtn: QnRtn, opts?: BuildOptions): string {
  return reply(req, '9011', { QnRtn: qnRtn }, opts);
}

/** Execution result (CN=9012, `CP=&&ExeRtn=n&&`), sent by a device after executing a platform request. */
export function buildExecutionResult(req: ReplyTo, exeRtn: ExeRtn, opts?: BuildOptions): string {
  return reply(req, '9012', { ExeRtn: exeRtn }, opts);
}

/** What the logger needs from the platform for a frame, per SPEC-NOTES §3. */
export type RequiredReply = 'data_response' | 'notification_response' | 'none';

/**
 * Whether a received frame must be answered: data uploads (CN 2011/2051/2061/2031/…) and
 * notifications whose Flag A bit is set get 9014 / 9013; anything else (no Flag, A clear, replies)
 * gets nothing. Time calibration (CN=1012) is a separate decision on the logger's clock offset.
 */
export function requiredReply(frame: Pick<Hj212Frame, 'cn' | 'flag'>): RequiredReply {
  if (frame.flag === undefined || !frame.flag.ackRequested) return 'none';
  const kind = commandKind(frame.cn);
  if (kind === 'data') return 'data_response';
  if (kind === 'notification') return 'notification_response';
  return 'none';
}

/** A time calibration to send. */
export interface TimeCalibration {
  readonly st: string;
  readonly pw: string;
  readonly mn: string;
  /** The platform's time to set, epoch ms; written as China Standard Time. */
  readonly systemTime: number;
  /** Request number; default derived from `systemTime`. */
  readonly qn?: string;
  /** Flag of the request; default 2017 with A set (the logger answers 9011 then 9012). */
  readonly flag?: number;
}

/**
 * Set-time request (CN=1012), platform → logger: `QN`, the logger's own `ST`, `PW`, `MN`, `Flag`, and
 * `CP=&&SystemTime=YYYYMMDDhhmmss&&` (China Standard Time). Field layout as in SPEC-NOTES §5 and the
 * `hcu-1012-modbus` packet of the shared set.
 */
export function buildTimeCalibration(c: TimeCalibration, opts?: BuildOptions): string {
  return buildFrame(
    {
      qn: c.qn ?? formatQn(c.systemTime),
      st: c.st,
      cn: '1012',
      pw: c.pw,
      mn: c.mn,
      flag: c.flag ?? 5,
      fields: { SystemTime: formatHj212Time(c.systemTime) },
    },
    opts,
  );
}

/**
 * Clock offset of a logger in ms (its `DataTime` of a real-time packet minus the receive time);
 * `undefined` when the frame has no DataTime. Only meaningful for CN=2011 (minute/hour data carry
 * the window start, and late uploads are normal, SPEC-NOTES §8.5).
 */
export function clockOffsetMs(frame: Pick<Hj212Frame, 'cn' | 'dataTime'>, receivedAt: number): number | undefined {
  if (frame.cn !== '2011' || frame.dataTime === undefined) return undefined;
  return frame.dataTime - receivedAt;
}
