#!/usr/bin/env node
/**
 * Load generator of the ingest benchmark and the chaos tests, run as its own process so its CPU is
 * measured apart:
 *   node loadgen.js <credentials.json> <rate msg/s> <seconds> <mqtt url> [window] [out.jsonl]
 * Each simulated fixed sensor has its own authenticated MQTT 5 connection (client id = device id,
 * persistent session) and publishes QoS 1 readings of 3 values (tvoc ppb, temp °C, rh %) stamped with
 * the wall clock (ms), round-robin over the devices. Values are synthetic (simulated) but in the
 * physical range.
 *
 * Like a real device it keeps a QoS 1 window: at most `window` (default 64, the gateway's Receive
 * Maximum) unacknowledged messages per connection; a message due while its device's window is full
 * waits (it is offered later, so under overload the offered rate drops instead of a queue growing in
 * the generator). A message counts as published only once its PUBACK arrived. A dropped connection
 * is reopened and MQTT.js resends what had no PUBACK (DUP set).
 *
 * Counts: `offered` (handed to MQTT.js), `acked` (PUBACK with a success code), `refused` (PUBACK
 * with an error reason code, e.g. 0x87), `failed` (no PUBACK before the end: connection lost for good
 * or timed out), plus `due` (messages the schedule asked for) and `connectRefused`. With `out.jsonl`,
 * one line `{"d":device,"t":ms}` per acknowledged message, for reconciliation against storage.
 * Prints one JSON line: { due, offered, acked, refused, failed, connectRefused, seconds, cpuSeconds, maxRssMiB }.
 */
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import mqtt, { type MqttClient } from 'mqtt';

interface Cred {
  username: string;
  password: string;
  topic: string;
}

interface Device {
  readonly id: string;
  readonly topic: string;
  readonly client: MqttClient;
  inflight: number;
  lastMs: number;
}

/** Longest wait for every device's first CONNACK, ms. */
const CONNECT_DEADLINE_MS = 60_000;

/** Longest wait for outstanding PUBACKs after the last message was offered, ms. */
const DRAIN_MS = 60_000;

async function main(): Promise<void> {
  const [credPath, rateArg, secondsArg, url, windowArg, outPath] = process.argv.slice(2);
  if (!credPath || !rateArg || !secondsArg || !url)
    throw new Error('usage: loadgen <credentials.json> <rate> <seconds> <mqtt url> [window] [out.jsonl]');
  const creds = Object.values(JSON.parse(await readFile(credPath, 'utf8')) as Record<string, Cred>);
  const rate = Number(rateArg);
  const seconds = Number(secondsArg);
  const window = Number(windowArg ?? 64);
  const out = outPath ? createWriteStream(outPath) : undefined;
  let connectRefused = 0;
  const devices: Device[] = await Promise.all(
    creds.map(
      (c) =>
        new Promise<Device>((resolve, reject) => {
          const client = mqtt.connect(url, {
            username: c.username,
            password: c.password,
            clientId: c.username,
            protocolVersion: 5,
            clean: false,
            properties: { sessionExpiryInterval: 3600 },
            reconnectPeriod: 500,
            // A refused CONNECT (e.g. 0x88 "server unavailable" while a gateway restarts) is retried, as device firmware does.
            reconnectOnConnackError: true,
            connectTimeout: 10_000,
          });
          const giveUp = setTimeout(
            () => reject(new Error(`${c.username}: no CONNACK within ${CONNECT_DEADLINE_MS} ms`)),
            CONNECT_DEADLINE_MS,
          );
          client.once('connect', () => {
            clearTimeout(giveUp);
            resolve({ id: c.username, topic: c.topic, client, inflight: 0, lastMs: 0 });
          });
          client.on('error', () => connectRefused++);
        }),
    ),
  );
  let due = 0;
  let offered = 0;
  let acked = 0;
  let refused = 0;
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const t0 = Date.now();
  const end = t0 + seconds * 1000;
  let next = 0;
  let backlog = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = Date.now();
      if (now >= end) {
        clearInterval(timer);
        resolve();
        return;
      }
      const target = Math.floor(((now - t0) / 1000) * rate);
      backlog += target - due;
      due = target;
      // Offer what is due, skipping devices whose window is full; what cannot be offered waits.
      let tries = 0;
      while (backlog > 0 && tries < devices.length) {
        const d = devices[next++ % devices.length]!;
        if (d.inflight >= window || !d.client.connected) {
          tries++;
          continue;
        }
        tries = 0;
        backlog--;
        // Millisecond timestamps must differ per device: (device, metric, time) is the storage key.
        const ms = Math.max(Date.now(), d.lastMs + 1);
        d.lastMs = ms;
        const payload = JSON.stringify({
          ts: new Date(ms).toISOString(),
          values: [
            { metric: 'tvoc', value: Math.round(50 + rnd() * 400), unit: 'ppb' },
            { metric: 'temp', value: Math.round((5 + rnd() * 20) * 10) / 10, unit: '°C' },
            { metric: 'rh', value: Math.round(30 + rnd() * 50), unit: '%' },
          ],
        });
        offered++;
        d.inflight++;
        d.client.publish(d.topic, payload, { qos: 1 }, (err) => {
          d.inflight--;
          if (err) refused++;
          else {
            acked++;
            out?.write(`{"d":"${d.id}","t":${ms}}\n`);
          }
        });
      }
    }, 10);
  });
  const deadline = Date.now() + DRAIN_MS;
  while (acked + refused < offered && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const failed = offered - acked - refused;
  await Promise.all(devices.map((d) => d.client.endAsync(true)));
  await new Promise<void>((r) => (out ? out.end(() => r()) : r()));
  const cpu = process.cpuUsage();
  const usage = process.resourceUsage();
  process.stdout.write(
    `${JSON.stringify({ due, offered, acked, refused, failed, connectRefused, seconds: (Date.now() - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssMiB: usage.maxRSS / 1024 })}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`loadgen: ${String(err)}\n`);
  process.exit(1);
});
