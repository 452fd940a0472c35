import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Creates the pino logger of a service: JSON to stdout, `service` bound, credentials redacted
 * (passwords, authorization headers, connection strings).
 * @param service name bound on every line, e.g. `gateway`
 * @param level pino level from config
 */
export function createLogger(service: string, level: string): Logger {
  return pino({
    name: service,
    level,
    redact: {
      paths: [
        'password',
        '*.password',
        'config.mqtt.gatewayPassword',
        'mqtt.gatewayPassword',
        'req.headers.authorization',
        'credential',
        '*.credential',
      ],
      censor: '[redacted]',
    },
  });
}
