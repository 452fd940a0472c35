/**
 * A sub-command of the `voc` CLI. Each lives in its own file under `commands/` and is listed in
 * `src/app.ts`. `run` receives the arguments after the command name and returns the exit code.
 */
export interface Command {
  /** e.g. `devices register`, `replay`, `setup` (space-separated words). */
  readonly name: string;
  /** One line for `voc help`. */
  readonly summary: string;
  /** Full usage text shown by `voc help <command>` and on a usage error. */
  readonly usage: string;
  run(args: string[]): Promise<number>;
}

/** Thrown for a bad command line: the CLI prints the message and the command's usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
