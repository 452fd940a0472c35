/**
 * Settings of the chaos suite (`npm run chaos`), read once from the environment. Every service port
 * is the run's own (`VOC_KAFKA_PORT`, `VOC_MQTT_PORT`, `VOC_REDIS_PORT`, `PGDATABASE` …, as for the
 * stack); the suite adds the names below so two checkouts on one machine can run it side by side.
 */
export interface ChaosSettings {
  /** Database the suite creates, marks as its own and reuses (`VOC_CHAOS_DATABASE`, default `voc_chaos_suite`). */
  readonly database: string;
  /** Port of the Redis the suite starts and restarts itself (`VOC_CHAOS_REDIS_PORT`, default `VOC_REDIS_PORT` + 1). */
  readonly redisPort: number;
  /** Steady load of every scenario, messages/s of 3 values (`VOC_CHAOS_RATE`, default 500). */
  readonly steadyRate: number;
  /**
   * Rate this machine sustains end to end, messages/s (`VOC_CHAOS_SUSTAINABLE_RATE`, default 3,000:
   * the highest rate with 0 lost in the measurements of issue 7 on the 2-core reference machine);
   * the overload scenario offers three times it.
   */
  readonly sustainableRate: number;
  /** Simulated fixed sensors of the steady load (`VOC_CHAOS_DEVICES`, default 200). */
  readonly devices: number;
  /** Devices of the reconnect storm (`VOC_CHAOS_STORM_DEVICES`, default 500). */
  readonly stormDevices: number;
  /** MQTT port of the gateway under test (`VOC_MQTT_PORT`, default 1884). */
  readonly mqttPort: number;
}

function int(env: NodeJS.ProcessEnv, name: string, def: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive whole number, got "${raw}"`);
  return n;
}

/**
 * Parses the suite's settings.
 * @throws Error naming the first bad variable
 */
export function chaosSettings(env: NodeJS.ProcessEnv = process.env): ChaosSettings {
  const database = env.VOC_CHAOS_DATABASE || 'voc_chaos_suite';
  if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new Error(`VOC_CHAOS_DATABASE must be a plain lower-case identifier, got "${database}"`);
  const stackRedis = int(env, 'VOC_REDIS_PORT', 6380);
  const redisPort = int(env, 'VOC_CHAOS_REDIS_PORT', stackRedis + 1);
  if (redisPort === 6379 || redisPort === stackRedis)
    throw new Error(`VOC_CHAOS_REDIS_PORT ${redisPort} is not the suite's own (6379 is the machine's, ${stackRedis} the stack's)`);
  return {
    database,
    redisPort,
    steadyRate: int(env, 'VOC_CHAOS_RATE', 500),
    sustainableRate: int(env, 'VOC_CHAOS_SUSTAINABLE_RATE', 3000),
    devices: int(env, 'VOC_CHAOS_DEVICES', 200),
    stormDevices: int(env, 'VOC_CHAOS_STORM_DEVICES', 500),
    mqttPort: int(env, 'VOC_MQTT_PORT', 1884),
  };
}
