import { describe, expect, it } from 'vitest';
import { hashMqttPassword, renderAcl, verifyMqttPassword } from './mosquitto.js';

describe('broker credentials', () => {
  it('hashes in the mosquitto $7$ format and verifies', () => {
    const h = hashMqttPassword('s3cret-pass', Buffer.alloc(12, 1));
    expect(h).toMatch(/^\$7\$101\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(verifyMqttPassword('s3cret-pass', h)).toBe(true);
    expect(verifyMqttPassword('wrong', h)).toBe(false);
  });

  it('lets a device write only its own up topic', () => {
    const acl = renderAcl([{ username: 'van-01', passwordHash: 'x', role: { type: 'device', kind: 'van' } }]);
    expect(acl).toContain('user van-01\ntopic write voc/v1/van/van-01/up');
  });
});
