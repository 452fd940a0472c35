import { describe, expect, it } from 'vitest';
import { lastError } from './spawn.js';

describe('lastError', () => {
  it('gives the last fatal log line with its error, else the last plain error line', () => {
    const fatal = JSON.stringify({
      level: 60,
      msg: 'writer failed to start',
      err: { message: '127.0.0.1:9465 (VOC_WRITER_METRICS_PORT) is already in use' },
    });
    expect(lastError(['{"level":30,"msg":"starting"}', fatal, '{"level":30,"msg":"bye"}'])).toBe(
      'writer failed to start: 127.0.0.1:9465 (VOC_WRITER_METRICS_PORT) is already in use',
    );
    expect(lastError(['writer: Error: 127.0.0.1:1 (VOC_X_PORT) is already in use', '    at emitErrorNT (node:net:1944:8)'])).toBe(
      'writer: Error: 127.0.0.1:1 (VOC_X_PORT) is already in use',
    );
    expect(lastError(['{"level":30,"msg":"fine"}'])).toBeUndefined();
  });
});
