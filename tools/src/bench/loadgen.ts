#!/usr/bin/env node
/**
 * Load generator of the ingest benchmark, run as its own process so its CPU is measured apart:
 *   node loadgen.js <credentials.json> <rate msg/s> <seconds> <mqtt url>
 * Each simulated fixed sensor publishes QoS 1 readings of 3 values (tvoc ppb, temp °C, rh %) stamped
 * with the wall clock (ms), round-robin over its own authenticated connection. Values are synthetic
 * but in the physical range. Prints one JSON line: { published, acked, failed, seconds, cpuSeconds, maxRssMiB }.
 */
import { readFile } from 'node:fs/promises';
import mqtt from 'mqtt';

interface Cred {
  username: string;
  password: string;
  topic: string;
}

async function main(): Promise<void> {
  const [credPath, rateArg, secondsArg, url] = process.argv.slice(2);
  if (!credPath || !rateArg || !secondsArg || !url) throw new Error('usage: loadgen <credentials.json> <rate> <seconds> <mqtt url>');
  const creds = Object.values(JSON.parse(await readFile(credPath, 'utf8')) as Record<string, Cred>);
  const rate = Number(rateArg);
  const seconds = Number(secondsArg);
  const clients = await Promise.all(
    creds.map(
      (c) =>
        new Promise<{ client: mqtt.MqttClient; topic: string }>((resolve, reject) => {
          const client = mqtt.connect(url, {
            username: c.username,
            password: c.password,
            clientId: `bench-${c.username}`,
            protocolVersion: 5,
            clean: true,
            reconnectPeriod: 1000,
          });
          client.once('connect', () => resolve({ client, topic: c.topic }));
          client.once('error', reject);
        }),
    ),
  );
  let published = 0;
  let acked = 0;
  let failed = 0;
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const tickMs = 10;
  const t0 = Date.now();
  const end = t0 + seconds * 1000;
  let next = 0;
  const lastMs: number[] = [];
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = Date.now();
      if (now >= end) {
        clearInterval(timer);
        resolve();
        return;
      }
      const due = Math.floor(((now - t0) / 1000) * rate) - published;
      // Millisecond timestamps must differ per device: (device, metric, time) is the storage key.
      for (let i = 0; i < due; i++) {
        const idx = next++ % clients.length;
        const c = clients[idx]!;
        const ms = Math.max(Date.now(), (lastMs[idx] ?? 0) + 1);
        lastMs[idx] = ms;
        const ts = new Date(ms).toISOString();
        const payload = JSON.stringify({
          ts,
          values: [
            { metric: 'tvoc', value: Math.round(50 + rnd() * 400), unit: 'ppb' },
            { metric: 'temp', value: Math.round((5 + rnd() * 20) * 10) / 10, unit: '°C' },
            { metric: 'rh', value: Math.round(30 + rnd() * 50), unit: '%' },
          ],
        });
        published++;
        c.client.publish(c.topic, payload, { qos: 1 }, (err) => (err ? failed++ : acked++));
      }
    }, tickMs);
  });
  const deadline = Date.now() + 30_000;
  while (acked + failed < published && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await Promise.all(clients.map((c) => c.client.endAsync()));
  const cpu = process.cpuUsage();
  const usage = process.resourceUsage();
  process.stdout.write(
    `${JSON.stringify({ published, acked, failed, seconds: (Date.now() - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssMiB: usage.maxRSS / 1024 })}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`loadgen: ${String(err)}\n`);
  process.exit(1);
});
