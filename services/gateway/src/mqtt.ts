import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient, type Packet } from 'mqtt';
import { ERROR_CODES, VocError, type Logger } from '@voc/domain';
import type { MqttIntake } from './app.js';
import type { InboundMessage } from './pipeline.js';

/** Options of {@link createMqttIntake}; from `config.mqtt` except `clientId`, resolved by the composition root. */
export interface MqttIntakeOptions {
  /** Broker URL, e.g. `mqtt://127.0.0.1:1884`. */
  readonly url: string;
  readonly username: string;
  readonly password: string;
  /** Stable client id: the broker keeps this id's session (subscription and unacknowledged messages) across restarts. */
  readonly clientId: string;
  /** Shared-subscription filter, `gatewaySharedFilter(config.mqtt.shareGroup)`. */
  readonly filter: string;
  /** MQTT 5 Receive Maximum: most unacknowledged QoS 1 messages the broker may send (`config.mqtt.receiveMaximum`). */
  readonly receiveMaximum: number;
  /** MQTT 5 Session Expiry Interval, seconds (`config.mqtt.sessionExpirySeconds`, default 3600). */
  readonly sessionExpirySeconds: number;
  readonly log: Logger;
  /** Reconnect delay, ms (default 1000). */
  readonly reconnectPeriodMs?: number;
}

type SendPacket = (packet: Packet, cb?: (err?: Error) => void, cbStorePut?: () => void, noStore?: boolean) => void;

/** A received QoS 1 message whose PUBACK is held until the pipeline acknowledges it. */
interface Ticket {
  /** Connection the message came on; a PUBACK is never sent on a later connection. */
  readonly connection: number;
  /** The PUBACK mqtt.js built for it, once built. */
  puback?: Packet;
  released: boolean;
}

/**
 * MQTT 5 intake of the gateway: QoS 1 shared subscription in a persistent session (clean start off,
 * session expiry set, stable client id), so a stopped or killed gateway finds its unacknowledged and
 * queued messages again when the same client id reconnects.
 *
 * Acknowledgement after Kafka: a message's PUBACK leaves only when the pipeline calls its `ack()`.
 * mqtt.js handles incoming packets one at a time and moves to the next only once the previous PUBACK
 * is written, so holding the `customHandleAcks` callback would let a single message be in flight per
 * Kafka round trip. Instead the callback answers at once and the PUBACK mqtt.js then writes is held
 * back (interposed on the client's `_sendPacket`, mqtt 5.16, pinned) until `ack()`; the broker sends up
 * to Receive Maximum messages ahead, which is what lets the pipeline batch. A PUBACK held when the
 * connection drops is discarded: the broker redelivers the message on the next connection (DUP set),
 * and a stale PUBACK could otherwise acknowledge a different message reusing the packet id.
 * QoS 0 messages (a device publishing at QoS 0) are processed without any acknowledgement.
 */
export function createMqttIntake(opts: MqttIntakeOptions): MqttIntake {
  const { log } = opts;
  let client: MqttClient | undefined;
  let connection = 0;
  let accepting = true;
  const held = new Map<number, Ticket>();

  return {
    start(onMessage) {
      const options: IClientOptions = {
        protocolVersion: 5,
        clientId: opts.clientId,
        clean: false,
        username: opts.username,
        password: opts.password,
        keepalive: 30,
        reconnectPeriod: opts.reconnectPeriodMs ?? 1000,
        connectTimeout: 10_000,
        resubscribe: false,
        properties: { sessionExpiryInterval: opts.sessionExpirySeconds, receiveMaximum: opts.receiveMaximum },
        customHandleAcks: (topic, payload, packet: IPublishPacket, done) => {
          const receivedAt = new Date();
          const messageId = packet.messageId;
          if (messageId !== undefined) {
            const ticket: Ticket = { connection, released: false };
            // Not accepting (shutting down): the PUBACK is swallowed below and the message redelivered later.
            held.set(messageId, ticket);
            if (accepting) onMessage({ topic, payload, receivedAt, ack: () => release(ticket) } satisfies InboundMessage);
          }
          done(0);
        },
      };
      const c = mqtt.connect(opts.url, options);
      client = c;
      const internal = c as unknown as { _sendPacket?: SendPacket };
      if (typeof internal._sendPacket !== 'function') {
        c.end(true);
        return Promise.reject(
          new VocError(
            ERROR_CODES.config_invalid,
            'this mqtt.js version has no _sendPacket; the gateway cannot defer PUBACKs until Kafka acknowledged',
          ),
        );
      }
      const send: SendPacket = internal._sendPacket.bind(c);
      internal._sendPacket = (packet, cb, cbStorePut, noStore) => {
        if (packet.cmd === 'puback' && packet.messageId !== undefined) {
          const ticket = held.get(packet.messageId);
          if (ticket) {
            held.delete(packet.messageId);
            ticket.puback = packet;
            if (ticket.released) flushTicket(ticket);
            cb?.();
            return;
          }
        }
        send(packet, cb, cbStorePut, noStore);
      };

      function flushTicket(ticket: Ticket): void {
        if (!ticket.puback || ticket.connection !== connection || !c.connected) return;
        send(ticket.puback);
        ticket.puback = undefined;
      }
      function release(ticket: Ticket): void {
        ticket.released = true;
        flushTicket(ticket);
      }

      c.on('message', (topic, payload, packet) => {
        if (packet.qos === 0 && accepting) onMessage({ topic, payload, receivedAt: new Date(), ack: () => undefined });
      });
      c.on('close', () => {
        connection++;
        held.clear();
      });
      c.on('offline', () => log.warn({ clientId: opts.clientId }, 'MQTT connection lost; reconnecting'));
      c.on('reconnect', () => log.info({ clientId: opts.clientId }, 'MQTT reconnecting'));

      let started = false;
      return new Promise<void>((resolve, reject) => {
        c.on('error', (err) => {
          if (!started) {
            c.end(true);
            reject(
              new VocError(ERROR_CODES.config_invalid, `MQTT connection to ${opts.url} as ${opts.username} failed: ${err.message}`, {
                cause: err,
              }),
            );
            return;
          }
          log.error({ err, clientId: opts.clientId }, 'MQTT client error');
        });
        c.on('connect', (connack) => {
          log.info({ clientId: opts.clientId, sessionPresent: connack.sessionPresent }, 'MQTT connected');
          c.subscribe(opts.filter, { qos: 1 }, (err, granted) => {
            const code = granted?.[0]?.qos;
            if (err || code === undefined || code > 2) {
              const e = new VocError(
                ERROR_CODES.config_invalid,
                `subscription to ${opts.filter} refused (${err?.message ?? `reason code ${String(code)}`}); check the broker ACL of ${opts.username}`,
                { cause: err },
              );
              if (!started) {
                c.end(true);
                reject(e);
              } else log.error({ err: e }, 'MQTT resubscription refused');
              return;
            }
            if (!started) {
              started = true;
              log.info({ filter: opts.filter, qos: code }, 'MQTT subscribed');
              resolve();
            }
          });
        });
      });
    },
    pause() {
      accepting = false;
    },
    async close() {
      accepting = false;
      if (client) await client.endAsync();
    },
  };
}
