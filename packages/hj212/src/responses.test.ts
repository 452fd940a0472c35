import { describe, expect, it } from 'vitest';
import { buildFrame, flagValue } from './build.js';
import { EXE_RTN, QN_RTN } from './codes.js';
import { parseFrame } from './parse.js';
import {
  buildDataResponse,
  buildExecutionResult,
  buildNotificationResponse,
  buildRequestResponse,
  buildTimeCalibration,
  clockOffsetMs,
  requiredReply,
} from './responses.js';

function parsed(text: string) {
  const r = parseFrame(text);
  if (!r.ok) throw new Error(`${r.reason}: ${r.detail}`);
  return r.frame;
}

const upload = parsed(
  buildFrame({
    qn: '20261201120000123',
    st: '51',
    cn: '2051',
    pw: '123456',
    mn: 'SIMFUME0000001',
    flag: flagValue({ version: 1, ackRequested: true }),
    fields: { DataTime: '20261201115900' },
    factors: { a34041: { Avg: '0.82', Flag: 'N' } },
  }),
);

describe('HJ 212 replies', () => {
  it('answers a data upload whose Flag asks for it with CN=9014 echoing QN, PW and MN', () => {
    expect(requiredReply(upload)).toBe('data_response');
    const ack = parsed(buildDataResponse(upload));
    expect([ack.qn, ack.st, ack.cn, ack.pw, ack.mn, ack.flag?.value, ack.cp.factorOrder]).toEqual([
      upload.qn,
      '91',
      '9014',
      '123456',
      'SIMFUME0000001',
      4,
      [],
    ]);
    expect(ack.segment.endsWith('CP=&&&&')).toBe(true);
  });

  it('does not answer when the A bit is clear or Flag absent, nor answer replies', () => {
    expect(requiredReply({ cn: '2051', flag: undefined })).toBe('none');
    expect(requiredReply({ ...upload, flag: { ...upload.flag!, ackRequested: false } })).toBe('none');
    expect(requiredReply({ ...upload, cn: '9014' })).toBe('none');
    expect(requiredReply({ ...upload, cn: '2081' })).toBe('notification_response');
  });

  it('builds 9011 (QnRtn), 9012 (ExeRtn) and 9013 with the request QN', () => {
    expect(parsed(buildRequestResponse(upload, QN_RTN.ready)).cp.fields.QnRtn).toBe('1');
    expect(parsed(buildExecutionResult(upload, EXE_RTN.success)).cp.fields.ExeRtn).toBe('1');
    const n = parsed(buildNotificationResponse(upload));
    expect([n.cn, n.qn]).toEqual(['9013', upload.qn]);
  });

  it('builds a time calibration (CN=1012) with SystemTime in China Standard Time', () => {
    const t = Date.UTC(2026, 11, 1, 4, 0, 5, 250);
    const f = parsed(buildTimeCalibration({ st: '51', pw: '123456', mn: 'SIMFUME0000001', systemTime: t }));
    expect([f.cn, f.st, f.qn, f.cp.fields.SystemTime, f.flag?.ackRequested]).toEqual([
      '1012',
      '51',
      '20261201120005250',
      '20261201120005',
      true,
    ]);
  });

  it('measures the clock offset of a real-time packet only', () => {
    const rt = parsed(buildFrame({ st: '51', cn: '2011', pw: '1', mn: 'M', fields: { DataTime: '20261201120000' } }));
    expect(clockOffsetMs(rt, Date.UTC(2026, 11, 1, 4, 1, 0))).toBe(-60_000);
    expect(clockOffsetMs(upload, Date.now())).toBeUndefined();
  });
});
