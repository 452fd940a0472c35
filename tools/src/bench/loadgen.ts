#!/usr/bin/env node
/**
 * Load generator of the ingest benchmark and the chaos tests, run as its own process so its CPU is
 * measured apart:
 *   node loadgen.js <credentials.json> <rate msg/s> <seconds> <mqtt url> [window] [out.jsonl] [--backlog-minutes N] [--drain-seconds S]
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
 * `--backlog-minutes N` (the chaos suite's reconnect storm): once connected, every device first
 * uploads N buffered minute readings stamped N, N−1, … 1 minutes before the start, as fast as its
 * window allows, then follows the rate schedule (rate 0: backlog only).
 *
 * Counts: `offered` (handed to MQTT.js), `acked` (PUBACK with a success code), `refused` (PUBACK
 * with an error reason code, e.g. 0x87), `failed` (no PUBACK before the end: connection lost for good
 * or timed out), plus `due` (messages the schedule asked for) and `connectRefused`. With `out.jsonl`,
 * one line `{"d":device,"t":ms,"a":ack ms}` per acknowledged message (reading time, wall clock of the PUBACK), for reconciliation against storage.
 * Prints a JSON line `{"connected":n}` once every device is connected (the benchmark measures CPU
 * from there, leaving out the password checks of the connection phase), and at the end one JSON
 * line: { due, offered, acked, refused, failed, connectRefused, seconds, cpuSeconds (since connected), maxRssMiB }.
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
  /** Buffered reading times (ms) still to upload before the schedule (`--backlog-minutes`). */
  pending: number[];
}

/**
 * Longest wait for every device's first CONNACK, ms: a connect phase that cannot finish fails the run
 * instead of hanging (500 devices reconnecting at once on a loaded 2-core machine took about 55 s).
 */
const CONNECT_DEADLINE_MS = 120_000;

/** Longest wait for outstanding PUBACKs after the last message was offered, ms (`--drain-seconds` overrides). */
const DRAIN_MS = 60_000;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const flag = argv.indexOf('--backlog-minutes');
  const backlogMinutes = flag >= 0 ? Number(argv.splice(flag, 2)[1]) : 0;
  const drainFlag = argv.indexOf('--drain-seconds');
  const drainMs = drainFlag >= 0 ? Number(argv.splice(drainFlag, 2)[1]) * 1000 : DRAIN_MS;
  if (!(drainMs > 0)) throw new Error('--drain-seconds must be a positive number');
  if (!Number.isInteger(backlogMinutes) || backlogMinutes < 0) throw new Error('--backlog-minutes must be a whole number ≥ 0');
  const [credPath, rateArg, secondsArg, url, windowArg, outPath] = argv;
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
            // Like a field device: retry after a refused CONNECT too (server busy or unavailable; MQTT.js
            // stops by default), and spread the retries (a fixed period makes every device retry together).
            reconnectOnConnackError: true,
            reconnectPeriod: 500 + Math.floor(Math.random() * 2000),
            connectTimeout: 10_000,
          });
          const giveUp = setTimeout(
            () => reject(new Error(`${c.username}: no CONNACK within ${CONNECT_DEADLINE_MS} ms`)),
            CONNECT_DEADLINE_MS,
          );
          client.once('connect', () => {
            clearTimeout(giveUp);
            resolve({ id: c.username, topic: c.topic, client, inflight: 0, lastMs: 0, pending: [] });
          });
          client.on('error', () => connectRefused++);
        }),
    ),
  );
  process.stdout.write(`${JSON.stringify({ connected: devices.length })}\n`);
  const cpu0 = process.cpuUsage();
  let due = 0;
  let offered = 0;
  let acked = 0;
  let refused = 0;
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const t0 = Date.now();
  const end = t0 + seconds * 1000;
  const publishOne = (d: Device, ms: number): void => {
    // Millisecond timestamps must differ per device: (device, metric, time) is the storage key.
    d.lastMs = Math.max(d.lastMs, ms);
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
        out?.write(`{"d":"${d.id}","t":${ms},"a":${Date.now()}}\n`);
      }
    });
  };
  for (const d of devices) for (let m = backlogMinutes; m >= 1; m--) d.pending.push(t0 - m * 60_000);
  due = devices.length * backlogMinutes;
  const scheduled = due;
  let next = 0;
  let backlog = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = Date.now();
      if (now >= end && devices.every((d) => d.pending.length === 0)) {
        clearInterval(timer);
        resolve();
        return;
      }
      // Buffered readings first, each device as far as its window allows.
      for (const d of devices) {
        while (d.pending.length > 0 && d.inflight < window && d.client.connected) publishOne(d, d.pending.shift()!);
      }
      const target = scheduled + Math.floor(((now - t0) / 1000) * rate);
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
        publishOne(d, Math.max(Date.now(), d.lastMs + 1));
      }
    }, 10);
  });
  const deadline = Date.now() + drainMs;
  while (acked + refused < offered && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const failed = offered - acked - refused;
  await Promise.all(devices.map((d) => d.client.endAsync(true)));
  await new Promise<void>((r) => (out ? out.end(() => r()) : r()));
  const cpu = process.cpuUsage(cpu0);
  const usage = process.resourceUsage();
  process.stdout.write(
    `${JSON.stringify({ due, offered, acked, refused, failed, connectRefused, seconds: (Date.now() - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssMiB: usage.maxRSS / 1024 })}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`loadgen: ${String(err)}\n`);
  process.exit(1);
});
