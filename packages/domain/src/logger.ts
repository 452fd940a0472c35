/**
 * The one logger port of the whole tree (pino satisfies it; `@voc/config` `createLogger` builds it).
 * Object first, message second (STYLE.md §13): `log.warn({ deviceId, reason }, 'reading rejected')`.
 * Packages take it in their dependencies and never create one.
 */
export interface Logger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  /** A logger that adds `bindings` to every line (request id, job id, Kafka partition). */
  child(bindings: Record<string, unknown>): Logger;
}
