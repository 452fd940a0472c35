import { connect, type Socket } from 'node:net';
import { Hj212Framer, type Hj212Frame } from '@voc/hj212';

/**
 * A test data logger over real TCP: sends bytes, collects the gateway's replies (parsed with the
 * codec), and reports when the gateway closed the connection. Used by this service's tests and the
 * end-to-end test; not a simulator (tools/ has that).
 */
export class TestLogger {
  readonly replies: Hj212Frame[] = [];
  closed = false;
  private readonly framer = new Hj212Framer();

  private constructor(readonly socket: Socket) {
    socket.on('data', (b: Buffer) => {
      for (const e of this.framer.push(b)) if (e.kind === 'frame') this.replies.push(e.frame);
    });
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => undefined);
  }

  /** Connects to `port` on loopback; `read: false` never reads (a logger that ignores its acks). */
  static async connect(port: number, opts: { read?: boolean } = {}): Promise<TestLogger> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    const l = new TestLogger(socket);
    if (opts.read === false) socket.pause();
    return l;
  }

  /** Writes a frame or any bytes (latin1). */
  send(text: string | Buffer): void {
    this.socket.write(typeof text === 'string' ? Buffer.from(text, 'latin1') : text);
  }

  /** Replies with this CN received so far. */
  repliesWith(cn: string): Hj212Frame[] {
    return this.replies.filter((r) => r.cn === cn);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Polls `cond` every 25 ms until true, or throws naming `what` after `timeoutMs`. */
export async function until(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
