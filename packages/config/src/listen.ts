import type { Server } from 'node:net';

/**
 * Starts `server` listening on `host`:`port` and resolves once it listens.
 * @param variable the setting the port comes from, named in the error (e.g. `VOC_WRITER_METRICS_PORT`)
 * @throws Error naming the port, the setting and what to do when the port is taken (`EADDRINUSE`) or
 *   not allowed (`EACCES`); other listen errors as they are
 */
/**
 * A clear message for a listen error that names the setting of the port (`EADDRINUSE`, `EACCES`), or
 * undefined when `err` is not one.
 * @param variables the setting of each port the service listens on, e.g. `{ 1884: 'VOC_MQTT_PORT' }`
 */
export function listenErrorMessage(err: unknown, variables: Readonly<Record<number, string>>): string | undefined {
  const e = err as NodeJS.ErrnoException & { port?: number; address?: string };
  if (e?.code !== 'EADDRINUSE' && e?.code !== 'EACCES') return undefined;
  const variable = e.port !== undefined ? (variables[e.port] ?? 'its port setting') : 'its port setting';
  const where = `${e.address ?? '?'}:${e.port ?? '?'} (${variable})`;
  return e.code === 'EADDRINUSE'
    ? `${where} is already in use by another process; stop it or set ${variable} to a free port`
    : `${where} may not be opened by this user; choose a port above 1023`;
}

export function listenOn(server: Server, port: number, host: string, variable: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const msg = listenErrorMessage(err, { [port]: variable });
      reject(msg ? new Error(msg) : err);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
