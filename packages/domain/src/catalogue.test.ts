import { describe, expect, it } from 'vitest';
import { ERROR_CODES, httpStatusOf, VocError } from './errors.js';
import { JOB_NAMES, registerJobHandlers } from './jobs.js';

describe('job catalogue boot check', () => {
  it('returns one handler per catalogue job', () => {
    const handlers = registerJobHandlers([
      [JOB_NAMES.tick, 'tick handler'],
      [JOB_NAMES.evaluate, 'evaluate handler'],
    ]);
    expect(handlers.get('evaluate')).toBe('evaluate handler');
  });

  it('refuses a missing, a duplicate and an unknown handler, naming each', () => {
    const attempt = () =>
      registerJobHandlers([
        [JOB_NAMES.tick, 1],
        [JOB_NAMES.tick, 2],
        ['compliance', 3],
      ]);
    expect(attempt).toThrow(VocError);
    expect(attempt).toThrow(/job "tick" has two handlers; no job "compliance" in the catalogue; job "evaluate" has no handler/);
  });
});

describe('error catalogue', () => {
  it('gives each code its HTTP status', () => {
    expect(httpStatusOf(ERROR_CODES.not_found)).toBe(404);
    expect(httpStatusOf(ERROR_CODES.invalid_request)).toBe(400);
    expect(httpStatusOf(ERROR_CODES.conflict)).toBe(409);
    expect(httpStatusOf('VOC_ERR_VALUE_OUT_OF_RANGE')).toBe(422);
    expect(httpStatusOf('VOC_ERR_PAYLOAD_TOO_LARGE')).toBe(413);
    expect(httpStatusOf('something else')).toBe(500);
  });
});
