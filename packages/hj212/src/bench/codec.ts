/**
 * `npm run bench:hj212` (first part): HJ 212 frames parsed per second by the codec alone, on one core
 * (one Node thread). Frame mix: the 20 real packets of the shared set (or the committed copy), parsed
 * as one lenient device would (every tolerance on, segments up to 2048 bytes: 16 accepted, 4
 * rejected). Three measured runs after a warm-up; prints min / median / max and writes
 * bench/results/hj212-codec-<date>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { loadPackets } from '../fixtures/packets.js';
import { Hj212Framer, PROFILE_AIR_QUALITY, TOLERANCES, decodeObservations, parseFrame, resolveParseOptions } from '../index.js';

const RUN_MS = Number(process.argv[2] ?? 3000);
const { path, packets } = loadPackets();
const frames = packets.map((p) => Buffer.from(p.packet, 'latin1'));
const device = resolveParseOptions({ tolerances: Object.values(TOLERANCES), maxDataLength: 2048 });
const meanBytes = frames.reduce((n, b) => n + b.length, 0) / frames.length;
const accepted = frames.filter((b) => parseFrame(b, device).ok).length;

function timed(fn: () => number): number {
  const end = performance.now() + RUN_MS;
  let count = 0;
  let t = performance.now();
  const t0 = t;
  while (t < end) {
    count += fn();
    t = performance.now();
  }
  return count / ((t - t0) / 1000);
}

let sink = 0;
const parseBatch = (): number => {
  for (let k = 0; k < 50; k++) for (const b of frames) sink += parseFrame(b, device).ok ? 1 : 0;
  return 50 * frames.length;
};
const decodeBatch = (): number => {
  for (let k = 0; k < 50; k++)
    for (const b of frames) {
      const r = parseFrame(b, device);
      if (r.ok) sink += decodeObservations(r.frame, PROFILE_AIR_QUALITY).observations.length;
    }
  return 50 * frames.length;
};
// The framer gets the packets as one TCP stream (CR LF between those sent without), cut in 1460-byte reads.
const stream = Buffer.from(packets.map((p) => (p.packet.endsWith('\r\n') ? p.packet : p.packet + '\r\n')).join(''), 'latin1');
const chunks: Buffer[] = [];
for (let i = 0; i < stream.length; i += 1460) chunks.push(stream.subarray(i, i + 1460));
const framerBatch = (): number => {
  const f = new Hj212Framer({ tolerances: Object.values(TOLERANCES), maxDataLength: 2048 });
  for (let k = 0; k < 20; k++) for (const c of chunks) sink += f.push(c).length;
  return 20 * frames.length;
};

function measure(name: string, fn: () => number): { name: string; runs: number[]; min: number; median: number; max: number } {
  timed(fn); // warm-up
  const runs = [timed(fn), timed(fn), timed(fn)];
  const sorted = [...runs].sort((a, b) => a - b);
  const r = { name, runs: runs.map(Math.round), min: Math.round(sorted[0]!), median: Math.round(sorted[1]!), max: Math.round(sorted[2]!) };
  console.log(
    `${name.padEnd(44)} min ${r.min.toLocaleString('en')}  median ${r.median.toLocaleString('en')}  max ${r.max.toLocaleString('en')} frames/s`,
  );
  return r;
}

const loadBefore = os.loadavg();
console.log(
  `HJ 212 codec, one thread: ${frames.length} shared packets (${accepted} accepted), mean ${meanBytes.toFixed(0)} bytes, ${RUN_MS} ms per run`,
);
const results = [
  measure('parseFrame (Buffer in, lenient device)', parseBatch),
  measure('parseFrame + decodeObservations', decodeBatch),
  measure('Hj212Framer.push (1460-byte reads)', framerBatch),
];
const loadAfter = os.loadavg();
const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`;
console.log(
  `machine: ${machine}; load average (1/5/15 min) before ${loadBefore.map((l) => l.toFixed(2)).join('/')}, after ${loadAfter.map((l) => l.toFixed(2)).join('/')}`,
);
console.log(`target ≥ 200,000 frames/s (parseFrame median): ${results[0]!.median >= 200_000 ? 'met' : 'NOT met'}`);
const out = fileURLToPath(new URL('../../../../bench/results/', import.meta.url));
mkdirSync(out, { recursive: true });
const date = new Date().toISOString().slice(0, 10);
writeFileSync(
  `${out}hj212-codec-${date}.json`,
  JSON.stringify(
    {
      date: new Date().toISOString(),
      machine,
      loadBefore,
      loadAfter,
      runMs: RUN_MS,
      packets: frames.length,
      accepted,
      meanBytes,
      source: path.endsWith('fixtures/packets.jsonl') ? 'fixture copy' : 'shared data set',
      results,
    },
    null,
    2,
  ) + '\n',
);
if (sink === -1) console.log(sink);
