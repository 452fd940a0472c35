import type { Logger } from '@voc/domain';

/**
 * Installs the graceful shutdown of a service (STYLE.md §12): on the first SIGTERM or SIGINT, runs
 * `steps` in order (stop intake, drain, flush producers, close pools: reverse order of creation), then
 * exits 0; exits 1 if a step throws or if all of them take longer than `timeoutMs` (whatever was not
 * committed is redelivered: Kafka offsets, MQTT QoS 1 and BullMQ jobs are only acknowledged after
 * their work is done). A second signal while shutting down is ignored.
 * @param timeoutMs longest graceful shutdown, ms (default 60 s)
 */
export function installShutdown(log: Logger, steps: readonly (() => Promise<unknown>)[], timeoutMs = 60_000): void {
  let shuttingDown = false;
  const shutdown = (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info({ signal }, 'shutting down');
    setTimeout(() => {
      log.error({ timeoutMs }, 'shutdown timed out; exiting');
      process.exit(1);
    }, timeoutMs).unref();
    steps
      .reduce<Promise<unknown>>((p, step) => p.then(step), Promise.resolve())
      .then(
        () => {
          log.info({}, 'shutdown complete');
          process.exit(0);
        },
        (err: unknown) => {
          log.error({ err }, 'error during shutdown');
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}
