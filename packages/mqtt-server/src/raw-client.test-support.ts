// Test support (not part of the build): a bare MQTT client on a socket, to control every byte sent.
import { connect, type Socket } from 'node:net';
import mqttPacket, { type Packet } from 'mqtt-packet';

/** A raw MQTT connection that records every packet the server sends. */
export class RawClient {
  readonly socket: Socket;
  readonly packets: Packet[] = [];
  readonly closed: Promise<void>;
  private readonly parser;
  private readonly waiters: (() => void)[] = [];

  constructor(
    port: number,
    readonly protocolVersion: 4 | 5,
  ) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('error', () => undefined);
    this.parser = mqttPacket.parser({ protocolVersion });
    this.parser.on('packet', (p: Packet) => {
      this.packets.push(p);
      for (const w of this.waiters.splice(0)) w();
    });
    this.socket.on('data', (b: Buffer) => this.parser.parse(b));
    this.closed = new Promise((resolve) => this.socket.on('close', () => resolve()));
  }

  /** The wire bytes of `p` at this protocol level. */
  encode(p: Packet): Buffer {
    return mqttPacket.generate(p, { protocolVersion: this.protocolVersion });
  }
  /** Writes `p`; false when the socket's write buffer is full. */
  send(p: Packet): boolean {
    return this.socket.write(this.encode(p));
  }
  /** A CONNECT for `username` (client id = user name unless `extra` says otherwise). */
  connectPacket(username: string, password: string, extra: Record<string, unknown> = {}): Packet {
    return {
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: this.protocolVersion,
      clean: true,
      clientId: username,
      keepalive: 60,
      username,
      password: Buffer.from(password),
      ...extra,
    };
  }
  /** A PUBLISH; QoS > 0 carries `messageId`. */
  publishPacket(topic: string, payload: Buffer | string, messageId: number, qos: 0 | 1 | 2 = 1): Packet {
    return { cmd: 'publish', topic, payload, qos, retain: false, dup: false, ...(qos > 0 ? { messageId } : {}) };
  }
  /** The packets received of one type. */
  of<C extends Packet['cmd']>(cmd: C): Extract<Packet, { cmd: C }>[] {
    return this.packets.filter((p) => p.cmd === cmd) as Extract<Packet, { cmd: C }>[];
  }
  /** Resolves once `cond()` holds, or rejects after `ms`. */
  async until(cond: () => boolean, ms = 5_000, what = 'packets'): Promise<void> {
    const end = Date.now() + ms;
    while (!cond()) {
      const left = end - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 50));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }
  /** Destroys the socket. */
  end(): void {
    this.socket.destroy();
  }
}
