import { z } from 'zod';

/**
 * Device kinds (DOMAIN.md §2):
 * - `fixed`: street-level VOC sensor, position from the registry, 10 s – 5 min cadence.
 * - `van`: mobile survey van (走航), GPS per reading, about 1 Hz.
 * - `fume`: restaurant cooking-fume monitor (餐饮油烟), minute data, emission units at standard state.
 * - `dust`: construction-site dust monitor (扬尘, HJ 212 ST=39): TSP, PM10, PM2.5 and noise, position
 *   from the registry, registered to its construction-site facility.
 */
export const DEVICE_KINDS = ['fixed', 'van', 'fume', 'dust'] as const;
/** One of {@link DEVICE_KINDS}. */
export type DeviceKind = (typeof DEVICE_KINDS)[number];

/** Lifecycle of a registered device: only `active` devices are accepted by the gateway. */
export const DEVICE_STATUSES = ['active', 'disabled'] as const;
/** One of {@link DEVICE_STATUSES}. */
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];

/** Sensor principle, which changes what a TVOC value means (DOMAIN.md §2). */
export const SENSOR_TYPES = ['pid', 'mos', 'ptr_ms', 'tof_ms', 'optical', 'electrochemical', 'reference', 'other'] as const;

/** Device id: 3–64 chars of letters, digits, `_`, `-`, `.`; also an MQTT topic level and a username. */
export const deviceIdSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{2,63}$/,
    'device id must be 3-64 characters of letters, digits, "_", "-" or "." starting with a letter or digit',
  );

/** A decimal number as written in a CSV cell or JSON string: `39.913`, `-0.5`, `1e-3`. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A WGS-84 coordinate of a device file: a number or a decimal string; `null` means not given. Nothing
 * else is coerced, so a JSON `null`, `""`, `false` or `[]` (all `0` for `Number()`) never places a
 * sensor at 0°N 0°E, and `0x10` is not read as 16.
 */
function coordinate(min: number, max: number) {
  return z.preprocess(
    (v) => (v === null ? undefined : typeof v === 'string' && DECIMAL.test(v.trim()) ? Number(v) : v),
    z.number().min(min).max(max).optional(),
  );
}

/**
 * A device as provisioned by network operators (CSV or JSON row of `voc devices register`).
 * `lat`/`lon` are WGS-84 degrees and required for `fixed` and `fume` devices (their readings take the
 * registry position); vans report a position with every reading.
 */
export const deviceInputSchema = z
  .object({
    id: deviceIdSchema,
    kind: z.enum(DEVICE_KINDS),
    name: z.string().min(1).max(200).optional(),
    sensor: z.enum(SENSOR_TYPES).optional(),
    lat: coordinate(-90, 90),
    lon: coordinate(-180, 180),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (d.kind !== 'van' && (d.lat === undefined || d.lon === undefined)) {
      ctx.addIssue({ code: 'custom', message: `a ${d.kind} device needs lat and lon (WGS-84)`, path: ['lat'] });
    }
  });
/** Parsed {@link deviceInputSchema}. */
export type DeviceInput = z.infer<typeof deviceInputSchema>;

/** A registered device as the gateway sees it (no credential). */
export interface Device {
  readonly id: string;
  readonly kind: DeviceKind;
  readonly status: DeviceStatus;
  readonly name: string | null;
  readonly sensor: string | null;
  /** WGS-84 degrees; null for vans. */
  readonly lat: number | null;
  readonly lon: number | null;
  readonly metadata: Record<string, unknown>;
}
