import { readFile } from 'node:fs/promises';
import type { Pool } from '@voc/db';

/** Clock ticks per second of /proc/<pid>/stat times (Linux USER_HZ, 100 on every mainstream kernel). */
const CLK_TCK = 100;

/** CPU time and memory of a process tree, read from /proc (Linux only). */
export interface ProcSample {
  /** user + system CPU seconds since the process started, summed over the tree */
  cpuSeconds: number;
  /** resident set size now, bytes, summed over the tree */
  rssBytes: number;
}

async function children(pid: number): Promise<number[]> {
  try {
    const tasks = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
    return tasks.trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function one(pid: number): Promise<ProcSample | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(f[11]);
    const stime = Number(f[12]);
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    return { cpuSeconds: (utime + stime) / CLK_TCK, rssBytes: rss };
  } catch {
    return undefined;
  }
}

/** Samples a process and its descendants (e.g. PostgreSQL backends under the postmaster); undefined once it has exited. */
export async function sampleTree(pid: number): Promise<ProcSample | undefined> {
  if (!(await one(pid))) return undefined;
  const out: ProcSample = { cpuSeconds: 0, rssBytes: 0 };
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop()!;
    const s = await one(p);
    if (!s) continue;
    out.cpuSeconds += s.cpuSeconds;
    out.rssBytes += s.rssBytes;
    stack.push(...(await children(p)));
  }
  return out;
}

/** Tracks CPU seconds used and peak RSS of named process trees between `start()` and `stop()`. */
export class ProcessMonitor {
  private readonly first = new Map<string, ProcSample>();
  private readonly last = new Map<string, ProcSample>();
  private readonly peak = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly pids: Record<string, number>) {}

  private async tick(): Promise<void> {
    for (const [name, pid] of Object.entries(this.pids)) {
      const s = await sampleTree(pid);
      if (!s) continue; // exited: its last sample stands
      if (!this.first.has(name)) this.first.set(name, s);
      this.last.set(name, s);
      this.peak.set(name, Math.max(this.peak.get(name) ?? 0, s.rssBytes));
    }
  }

  /** Starts sampling every `everyMs`. */
  async start(everyMs = 500): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => void this.tick(), everyMs);
  }

  /**
   * Stops sampling.
   * @param seconds wall-clock length of the measured interval, for CPU utilisation
   * @returns per process: CPU seconds used, mean CPU cores (cpuSeconds / seconds), peak RSS in MiB
   */
  async stop(seconds: number): Promise<Record<string, { cpuSeconds: number; cpuCores: number; peakRssMiB: number }>> {
    clearInterval(this.timer);
    await this.tick();
    const out: Record<string, { cpuSeconds: number; cpuCores: number; peakRssMiB: number }> = {};
    for (const name of Object.keys(this.pids)) {
      const cpu = (this.last.get(name)?.cpuSeconds ?? 0) - (this.first.get(name)?.cpuSeconds ?? 0);
      out[name] = { cpuSeconds: round(cpu), cpuCores: round(cpu / seconds), peakRssMiB: round((this.peak.get(name) ?? 0) / 2 ** 20) };
    }
    return out;
  }
}

/** Rounds to 2 decimals for reports. */
export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * CPU seconds and peak RSS of the PostgreSQL backends serving database `db` (pids from
 * pg_stat_activity, each read from /proc). The machine's PostgreSQL is shared: its postmaster tree
 * holds every other database's sessions, so only the benchmark's own backends count; the shared
 * background processes (WAL writer, checkpointer) are not in the figure.
 */
export class PgBackendMonitor {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, number>();
  private peak = 0;
  private timer: NodeJS.Timeout | undefined;
  constructor(
    private readonly pool: Pool,
    private readonly db: string,
  ) {}
  private async tick(): Promise<void> {
    const { rows } = await this.pool.query<{ pid: number }>(`select pid from pg_stat_activity where datname = $1`, [this.db]);
    let rss = 0;
    for (const { pid } of rows) {
      const s = await sampleTree(pid);
      if (!s) continue;
      if (!this.first.has(pid)) this.first.set(pid, s.cpuSeconds);
      this.last.set(pid, s.cpuSeconds);
      rss += s.rssBytes;
    }
    this.peak = Math.max(this.peak, rss);
  }
  async start(): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => void this.tick().catch(() => undefined), 500);
  }
  async stop(seconds: number): Promise<{ cpuSeconds: number; cpuCores: number; peakRssMiB: number }> {
    clearInterval(this.timer);
    await this.tick().catch(() => undefined);
    let cpu = 0;
    for (const [pid, c] of this.last) cpu += c - (this.first.get(pid) ?? c);
    return { cpuSeconds: round(cpu), cpuCores: round(cpu / seconds), peakRssMiB: round(this.peak / 2 ** 20) };
  }
}
