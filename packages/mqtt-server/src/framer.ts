/**
 * Splits a byte stream into MQTT control packets by their fixed header (MQTT 5.0 §2.1: one type byte,
 * then the remaining length as a variable byte integer of at most 4 bytes), before any decoding. A
 * packet whose declared remaining length exceeds the maximum is never buffered whole: the framer keeps
 * only its head and skips the rest, which is how an oversize PUBLISH is refused in bounded memory.
 */

/** One complete packet, fixed header included. */
export interface Frame {
  readonly kind: 'frame';
  readonly bytes: Buffer;
}

/** The start of a packet above the maximum size: its fixed header and first bytes of its body. */
export interface OversizeFrame {
  readonly kind: 'oversize';
  /** First byte of the fixed header (type and flags). */
  readonly typeAndFlags: number;
  /** Declared remaining length, bytes. */
  readonly declaredBytes: number;
  /** Bytes of the body kept (at most the head the caller asked for). */
  readonly body: Buffer;
}

/** A fixed header that is not valid MQTT (a 5th length byte). */
export interface MalformedFrame {
  readonly kind: 'malformed';
}

export type FramerOutput = Frame | OversizeFrame | MalformedFrame;

/** Byte stream → packets. `push` bytes as they are read, then take packets with `next` while it returns one. */
export class Framer {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private failed = false;

  /**
   * @param maxPacketBytes largest packet accepted, fixed header included (MQTT 5 Maximum Packet Size semantics, §3.1.2.11.4)
   * @param oversizeBodyBytes how much of an oversize packet's body to keep (topic, properties and head of the payload)
   */
  constructor(
    private readonly maxPacketBytes: number,
    private readonly oversizeBodyBytes: number,
  ) {}

  /** Bytes received and not yet returned as a packet. */
  get buffered(): number {
    return this.buf.length - this.pos;
  }

  /** Appends bytes read from the socket (kept by reference until consumed). */
  push(chunk: Buffer): void {
    if (this.pos >= this.buf.length) {
      this.buf = chunk;
      this.pos = 0;
    } else {
      this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk]);
      this.pos = 0;
    }
  }

  /**
   * The next packet, or undefined when more bytes are needed. After an oversize or malformed result
   * the stream cannot be resynchronised; the caller closes the connection and `next` returns undefined.
   */
  next(): FramerOutput | undefined {
    if (this.failed) return undefined;
    const avail = this.buf.length - this.pos;
    if (avail < 2) return undefined;
    let remaining = 0;
    let multiplier = 1;
    let i = 1;
    for (; ; i++) {
      if (i > 4) {
        this.failed = true;
        return { kind: 'malformed' };
      }
      if (i >= avail) return undefined;
      const b = this.buf[this.pos + i] as number;
      remaining += (b & 0x7f) * multiplier;
      multiplier *= 128;
      if ((b & 0x80) === 0) break;
    }
    const headerBytes = i + 1;
    const total = headerBytes + remaining;
    if (total > this.maxPacketBytes) {
      const want = Math.min(remaining, this.oversizeBodyBytes);
      if (avail - headerBytes < want) return undefined;
      const start = this.pos + headerBytes;
      this.failed = true;
      return {
        kind: 'oversize',
        typeAndFlags: this.buf[this.pos] as number,
        declaredBytes: remaining,
        body: Buffer.from(this.buf.subarray(start, start + want)),
      };
    }
    if (avail < total) return undefined;
    const bytes = this.buf.subarray(this.pos, this.pos + total);
    this.pos += total;
    if (this.pos >= this.buf.length) {
      this.buf = Buffer.alloc(0);
      this.pos = 0;
    }
    return { kind: 'frame', bytes };
  }

  /** The body of an oversize packet received so far (for a report when the rest never comes). */
  partialOversize(): OversizeFrame | undefined {
    const avail = this.buf.length - this.pos;
    if (avail < 2) return undefined;
    let remaining = 0;
    let multiplier = 1;
    let i = 1;
    for (; i < Math.min(avail, 5); i++) {
      const b = this.buf[this.pos + i] as number;
      remaining += (b & 0x7f) * multiplier;
      multiplier *= 128;
      if ((b & 0x80) === 0) break;
    }
    if (i + 1 + remaining <= this.maxPacketBytes) return undefined;
    const start = this.pos + i + 1;
    return {
      kind: 'oversize',
      typeAndFlags: this.buf[this.pos] as number,
      declaredBytes: remaining,
      body: Buffer.from(this.buf.subarray(start, Math.min(this.buf.length, start + this.oversizeBodyBytes))),
    };
  }
}

/** What an oversize PUBLISH's head reveals: topic, QoS and the head of its payload (MQTT 5.0 §3.3.2). */
export interface PublishHead {
  readonly qos: 0 | 1 | 2;
  readonly topic?: string;
  readonly payloadHead: Buffer;
  /** Payload bytes declared (remaining length minus the variable header), when the header could be decoded. */
  readonly payloadBytes?: number;
}

/**
 * Decodes the variable header of a PUBLISH from its first body bytes; when the head is too short to
 * reach the payload, the raw head is returned without a topic.
 * @param headBytes most payload bytes to return
 */
export function decodePublishHead(o: OversizeFrame, v5: boolean, headBytes: number): PublishHead {
  const qos = ((o.typeAndFlags >> 1) & 0x03) as 0 | 1 | 2;
  const b = o.body;
  const raw = { qos, payloadHead: b.subarray(0, headBytes) };
  if (b.length < 2) return raw;
  const topicLen = b.readUInt16BE(0);
  let p = 2 + topicLen + (qos > 0 ? 2 : 0);
  if (b.length < p) return raw;
  const topic = b.toString('utf8', 2, 2 + topicLen);
  if (v5) {
    let propsLen = 0;
    let mult = 1;
    for (let k = 0; ; k++) {
      if (k >= 4 || p >= b.length) return { ...raw, topic };
      const byte = b[p++] as number;
      propsLen += (byte & 0x7f) * mult;
      mult *= 128;
      if ((byte & 0x80) === 0) break;
    }
    p += propsLen;
    if (b.length < p) return { ...raw, topic };
  }
  return { qos, topic, payloadHead: b.subarray(p, p + headBytes), payloadBytes: o.declaredBytes - p };
}
