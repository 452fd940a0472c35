import { describe, expect, it } from 'vitest';
import { refusedTarget } from './webhooks.js';

describe('webhook targets', () => {
  it('never allows unspecified, link-local (metadata), multicast or reserved addresses', () => {
    for (const a of ['0.0.0.0', '169.254.169.254', '224.0.0.1', '255.255.255.255', '::', 'fe80::1', 'ff02::1', '::ffff:169.254.169.254'])
      expect(refusedTarget(a, true), a).toMatch(/link-local|reserved/);
  });

  it('allows loopback and private networks only when asked, public addresses always', () => {
    for (const a of ['127.0.0.1', '10.0.0.5', '172.16.3.4', '192.168.1.1', '100.64.0.1', '::1', 'fd00::1', '::ffff:127.0.0.1']) {
      expect(refusedTarget(a, false), a).toMatch(/loopback or private/);
      expect(refusedTarget(a, true), a).toBeUndefined();
    }
    for (const a of ['8.8.8.8', '202.106.0.20', '2400:3200::1']) expect(refusedTarget(a, false), a).toBeUndefined();
  });
});
