import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { Framer, decodePublishHead, type OversizeFrame } from './framer.js';

const publish = (payload: Buffer, v: 4 | 5 = 5): Buffer =>
  mqttPacket.generate(
    { cmd: 'publish', topic: 'voc/v1/fixed/d/up', payload, qos: 1, messageId: 3, retain: false, dup: false },
    { protocolVersion: v },
  );

describe('MQTT framer', () => {
  it('returns whole packets whatever the chunking', () => {
    const a = publish(Buffer.from('one'));
    const b = publish(Buffer.alloc(300, 1)); // a two-byte remaining length
    const all = Buffer.concat([a, b]);
    const f = new Framer(1024, 64);
    const got: Buffer[] = [];
    for (let i = 0; i < all.length; i++) {
      f.push(all.subarray(i, i + 1));
      for (let out = f.next(); out; out = f.next()) if (out.kind === 'frame') got.push(Buffer.from(out.bytes));
    }
    expect(got).toEqual([a, b]);
    expect(f.buffered).toBe(0);
  });

  it('refuses a fifth remaining-length byte as malformed (MQTT 5.0 §1.5.5)', () => {
    const f = new Framer(1024, 64);
    f.push(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]));
    expect(f.next()).toEqual({ kind: 'malformed' });
  });

  it('keeps only the head of an oversize packet and decodes its topic', () => {
    const big = publish(Buffer.alloc(100_000, 0x41));
    const f = new Framer(4096, 200);
    f.push(big.subarray(0, 50_000));
    const out = f.next() as OversizeFrame;
    expect(out.kind).toBe('oversize');
    expect(out.body.length).toBe(200);
    expect(out.declaredBytes).toBe(big.length - 4); // 1 type byte + 3 length bytes
    const head = decodePublishHead(out, true, 64);
    expect(head).toMatchObject({ qos: 1, topic: 'voc/v1/fixed/d/up' });
    expect(head.payloadHead).toEqual(Buffer.alloc(64, 0x41));
  });
});
