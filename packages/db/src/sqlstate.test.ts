import { describe, expect, it } from 'vitest';
import { isDataDbError } from './sqlstate.js';

describe('isDataDbError', () => {
  it('treats data exceptions, constraint violations and an oversized index row as refused data', () => {
    for (const code of ['22008', '22021', '22P02', '23505', '23514', '54000']) expect(isDataDbError({ code }), code).toBe(true);
  });

  it('leaves outages, schema problems and statement-shape limits to the caller', () => {
    for (const code of ['08006', '57P01', '42703', '42P01', '54001', '54011', '540001', undefined]) {
      expect(isDataDbError({ code }), String(code)).toBe(false);
    }
    expect(isDataDbError(undefined)).toBe(false);
  });
});
