import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The repository root (tools/dist/spawn.js or tools/src/spawn.ts, two folders down). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Environment that keeps a started service off fixed metrics ports (the gateway's on a free port, the
 * others' off), so the demos, benchmarks and chaos runs never collide with services the user runs.
 */
export const NO_FIXED_METRICS_PORTS: Readonly<Record<string, string>> = Object.freeze({
  VOC_GATEWAY_METRICS_PORT: '0',
  VOC_WRITER_METRICS_PORT: '0',
  VOC_HOTSPOT_METRICS_PORT: '0',
  VOC_HJ212_METRICS_PORT: '0',
});

/** Options of {@link startService}. */
export interface SpawnOptions {
  /** Added to this process's environment. */
  readonly env: Record<string, string>;
  /** pino `msg` that marks the service ready (read from its JSON log lines on stdout); without it `ready` resolves at once. */
  readonly readyMsg?: string;
  /** Where stdout and stderr go; without it stdout is read only for readiness and stderr is copied to ours prefixed `[name]`. */
  readonly logFile?: string;
}

/** A service started as a child process by {@link startService}. */
export interface ServiceProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Resolves when the ready line appeared; rejects when the process exits first. */
  readonly ready: Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs` (default 15 s) if it has not exited. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * The one way the demo, the benchmarks and the end-to-end test start a service: `node <script>` with
 * the repository root as working directory.
 * @param script path from the repository root, e.g. `services/gateway/dist/main.js`
 */
export function startService(name: string, script: string, opts: SpawnOptions): ServiceProcess {
  const child = spawn(process.execPath, [`${REPO_ROOT}${script}`], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const file = opts.logFile ? createWriteStream(opts.logFile) : undefined;
  const tail: string[] = [];
  const keep = (text: string) => {
    for (const l of text.split('\n')) if (l.trim()) tail.push(l);
    tail.splice(0, Math.max(0, tail.length - 20));
  };
  child.stderr.on('data', (d: Buffer) => {
    keep(d.toString());
    if (file) file.write(d);
    else process.stderr.write(`[${name}] ${d.toString()}`);
  });
  const ready = new Promise<void>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.on('line', (line) => {
      file?.write(`${line}\n`);
      keep(line);
      if (opts.readyMsg !== undefined && line.includes(`"msg":"${opts.readyMsg}"`)) resolve();
    });
    if (opts.readyMsg === undefined) resolve();
    child.once('exit', (code) => {
      const why = lastError(tail);
      reject(
        new Error(
          `${name} exited with code ${code} before it was ready${why ? `: ${why}` : ''}${opts.logFile ? ` (log: ${opts.logFile})` : ''}`,
        ),
      );
    });
  });
  // A service that exits after it was ready is not a failure of `ready`.
  ready.catch(() => undefined);
  return {
    name,
    child,
    ready,
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, graceMs))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      file?.end();
    },
  };
}

/**
 * The reason a service gave for failing, from the last lines of its output: the last pino line of
 * level ≥ 50 (its `msg` and `err.message`), else the last plain line naming an error (not a stack frame).
 */
export function lastError(lines: readonly string[]): string | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i]!;
    if (!l.startsWith('{')) continue;
    try {
      const j = JSON.parse(l) as { level?: number; msg?: string; err?: { message?: string } };
      if ((j.level ?? 0) >= 50) return [j.msg, j.err?.message].filter(Boolean).join(': ');
    } catch {
      // not a JSON log line
    }
  }
  return [...lines]
    .reverse()
    .find((l) => !l.startsWith('{') && !/^\s+at /.test(l) && /error|refus|invalid|in use/i.test(l))
    ?.trim();
}
