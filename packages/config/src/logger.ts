import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Creates the pino logger of a service: JSON to stdout, `service` bound, credentials redacted
 * (passwords, authorization headers, connection strings, the Kafka SASL block and the SCRAM exchange
 * kafkajs logs at debug level, the database logins and the Redis password, wherever a
 * {@link Config} or one of its parts is logged).
 * @param service name bound on every line, e.g. `gateway`
 * @param level pino level from config
 * @param destination where lines go (default stdout); tests pass a stream to read them back
 */
export function createLogger(service: string, level: string, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    name: service,
    level,
    redact: {
      paths: [
        'password',
        '*.password',
        'config.mqtt.tls',
        'mqtt.tls',
        'config.pg.password',
        'pg.password',
        'config.pg.logins',
        'pg.logins',
        'logins',
        'config.kafka.sasl',
        'kafka.sasl',
        'sasl',
        '*.sasl',
        'config.redis.password',
        'redis.password',
        // kafkajs debug lines of SaslAuthenticate responses: the SCRAM salt, nonces and server
        // signature, enough to test password guesses offline.
        'kafka.data.authBytes',
        'req.headers.authorization',
        'credential',
        '*.credential',
      ],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
