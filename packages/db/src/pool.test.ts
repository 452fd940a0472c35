import { describe, expect, it } from 'vitest';
import { isTransientDbError } from './pool.js';

describe('isTransientDbError', () => {
  it('retries what a database outage produces', () => {
    expect(isTransientDbError({ code: 'ECONNREFUSED' })).toBe(true);
    expect(isTransientDbError({ code: '57P01', message: 'terminating connection due to administrator command' })).toBe(true);
    expect(isTransientDbError({ message: 'Connection terminated unexpectedly' })).toBe(true);
    expect(isTransientDbError({ code: '55000', message: 'database "voc" is not currently accepting connections' })).toBe(true);
  });

  it('does not retry data errors nor other 55000 errors', () => {
    expect(isTransientDbError({ code: '23505', message: 'duplicate key value' })).toBe(false);
    expect(isTransientDbError({ code: '22P02', message: 'invalid input syntax' })).toBe(false);
    expect(isTransientDbError({ code: '55000', message: 'currval of sequence "s" is not yet defined in this session' })).toBe(false);
    expect(isTransientDbError(undefined)).toBe(false);
  });
});
