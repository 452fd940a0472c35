/**
 * Stable error and rejection codes of the whole system. A code is never reused or renamed; callers
 * branch on `code`, never on a message. `retry` says whether the same input can succeed later
 * (transient infrastructure failure) or never will (poison input: it goes to the dead-letter topic).
 */
export const REJECT_REASONS = {
  /** Payload is not valid UTF-8 JSON. */
  malformed_json: 'VOC_ERR_MALFORMED_JSON',
  /** JSON does not match the payload schema of the device kind (zod issues in `detail`). */
  schema_violation: 'VOC_ERR_SCHEMA_VIOLATION',
  /** MQTT topic does not follow `voc/v1/{kind}/{deviceId}/up`. */
  bad_topic: 'VOC_ERR_BAD_TOPIC',
  /** Device id is not in the registry. */
  unknown_device: 'VOC_ERR_UNKNOWN_DEVICE',
  /** Device is registered but disabled. */
  device_disabled: 'VOC_ERR_DEVICE_DISABLED',
  /** Topic claims a device kind other than the registered one. */
  kind_mismatch: 'VOC_ERR_KIND_MISMATCH',
  /**
   * Payload names a device id other than the one in its topic (gateway); or, at the stream writer, a
   * reading record whose Kafka key, `voc-device-id` header and value disagree on the device id (or lack one).
   */
  device_id_mismatch: 'VOC_ERR_DEVICE_ID_MISMATCH',
  /** Metric not in the catalogue, or not allowed for the device kind. */
  unknown_metric: 'VOC_ERR_UNKNOWN_METRIC',
  /** Unit cannot be converted to the metric's canonical unit (e.g. ppb for a metric with no molar mass, or an index). */
  unit_not_convertible: 'VOC_ERR_UNIT_NOT_CONVERTIBLE',
  /** A mass concentration given at a reference state other than the metric's (DOMAIN.md §3: never convert silently). */
  reference_state_mismatch: 'VOC_ERR_REFERENCE_STATE_MISMATCH',
  /** Value is NaN or ±Infinity (as a string or number-like token). */
  non_finite_value: 'VOC_ERR_NON_FINITE_VALUE',
  /** Value outside the physical range of the metric. */
  value_out_of_range: 'VOC_ERR_VALUE_OUT_OF_RANGE',
  /** Device time more than the allowed clock skew (default 5 min) ahead of receive time. */
  timestamp_in_future: 'VOC_ERR_TIMESTAMP_IN_FUTURE',
  /** Device time older than the allowed lateness (default 7 days). */
  timestamp_too_old: 'VOC_ERR_TIMESTAMP_TOO_OLD',
  /** Payload larger than the configured maximum size. */
  payload_too_large: 'VOC_ERR_PAYLOAD_TOO_LARGE',
  /** Survey-van reading without a GPS position (a van has no registry position). */
  missing_position: 'VOC_ERR_MISSING_POSITION',
  /** A second value for the same metric and millisecond in one payload (storage keeps one per device, metric and time). */
  duplicate_reading: 'VOC_ERR_DUPLICATE_READING',
  /** A normalised reading on Kafka that the stream writer cannot parse or store (poison message). */
  unstorable: 'VOC_ERR_UNSTORABLE',
  /** A record on the readings topic whose `voc-schema` header is absent or not `voc.reading.v1` (stream writer). */
  unknown_schema: 'VOC_ERR_UNKNOWN_SCHEMA',
  /** An authenticated device published on a topic other than its own `voc/v1/{kind}/{deviceId}/up` (gateway endpoint; PUBACK 0x87 or disconnect). */
  topic_not_authorized: 'VOC_ERR_TOPIC_NOT_AUTHORIZED',
  /** A PUBLISH at QoS 2, which the gateway endpoint refuses (MQTT 5 DISCONNECT 0x9B; QoS 1 with an idempotent store instead). */
  qos_not_supported: 'VOC_ERR_QOS_NOT_SUPPORTED',
  /** A PUBLISH with RETAIN set; the endpoint keeps no retained messages (MQTT 5 DISCONNECT 0x9A). */
  retain_not_supported: 'VOC_ERR_RETAIN_NOT_SUPPORTED',
  /**
   * An HJ 212 frame (or part of its data) that the codec refused: the detail starts with the codec's
   * stable reason (`crc_mismatch`, `length_mismatch`, `bad_datatime`, … of `@voc/hj212` REJECT_REASONS,
   * or a decode issue such as `bad_value`); the raw bytes are the frame as received.
   */
  hj212_rejected: 'VOC_ERR_HJ212_REJECTED',
  /** An HJ 212 frame whose MN is not registered or whose PW does not match the logger registry. */
  hj212_auth_failed: 'VOC_ERR_HJ212_AUTH_FAILED',
} as const;

/** Reason code of a rejected reading, as carried on the dead-letter topic and in `dead_letters.reason`. */
export type RejectReason = keyof typeof REJECT_REASONS;

/** All reject reasons, in catalogue order. */
export const REJECT_REASON_LIST = Object.keys(REJECT_REASONS) as RejectReason[];

/**
 * Errors that are not about one reading (configuration, infrastructure, API), each with its HTTP
 * status and retry decision beside the code (the shape of fastify's `lib/errors.js`). The API's one
 * `setErrorHandler` maps a {@link VocError} to problem+json with {@link httpStatusOf}.
 */
export const ERRORS = {
  config_invalid: { code: 'VOC_ERR_CONFIG_INVALID', status: 500, retry: false },
  database_unavailable: { code: 'VOC_ERR_DATABASE_UNAVAILABLE', status: 503, retry: true },
  kafka_unavailable: { code: 'VOC_ERR_KAFKA_UNAVAILABLE', status: 503, retry: true },
  not_found: { code: 'VOC_ERR_NOT_FOUND', status: 404, retry: false },
  conflict: { code: 'VOC_ERR_CONFLICT', status: 409, retry: true },
  invalid_request: { code: 'VOC_ERR_INVALID_REQUEST', status: 400, retry: false },
  invalid_transition: { code: 'VOC_ERR_INVALID_TRANSITION', status: 409, retry: false },
  /** No API key, or a key that is unknown, revoked or expired. */
  unauthorized: { code: 'VOC_ERR_UNAUTHORIZED', status: 401, retry: false },
  /** The key's role lacks the route's permission, or the resource is outside the key's street offices. */
  forbidden: { code: 'VOC_ERR_FORBIDDEN', status: 403, retry: false },
  /** No route at this path. */
  route_not_found: { code: 'VOC_ERR_ROUTE_NOT_FOUND', status: 404, retry: false },
  /** The path exists but not with this method (the `Allow` header lists those it has). */
  method_not_allowed: { code: 'VOC_ERR_METHOD_NOT_ALLOWED', status: 405, retry: false },
  /** The key used up its request budget; `Retry-After` says when it refills. */
  rate_limited: { code: 'VOC_ERR_RATE_LIMITED', status: 429, retry: true },
  /** A value was asked for in a unit or reference state the catalogue cannot convert it to (DOMAIN.md §3). */
  conversion_impossible: { code: 'VOC_ERR_CONVERSION_IMPOSSIBLE', status: 400, retry: false },
  /** A request asks for more than the API answers at once (time range, page size, buckets). */
  limit_exceeded: { code: 'VOC_ERR_LIMIT_EXCEEDED', status: 400, retry: false },
  /** A query ran past the API's statement timeout. */
  query_timeout: { code: 'VOC_ERR_QUERY_TIMEOUT', status: 503, retry: true },
  /** The request body is larger than the API accepts. */
  body_too_large: { code: 'VOC_ERR_BODY_TOO_LARGE', status: 413, retry: false },
  /** A path segment longer than the API accepts (route parameters hold ids, at most 100 characters). */
  uri_too_long: { code: 'VOC_ERR_URI_TOO_LONG', status: 414, retry: false },
  /** The request body's media type is not one the route accepts. */
  unsupported_media_type: { code: 'VOC_ERR_UNSUPPORTED_MEDIA_TYPE', status: 415, retry: false },
  /** The Accept header asks for a representation the route does not produce. */
  not_acceptable: { code: 'VOC_ERR_NOT_ACCEPTABLE', status: 406, retry: false },
  /** A dependency the readiness check needs (database, Kafka, Redis) does not answer. */
  not_ready: { code: 'VOC_ERR_NOT_READY', status: 503, retry: true },
  /** Unexpected failure; details are in the service log only. */
  internal: { code: 'VOC_ERR_INTERNAL', status: 500, retry: true },
} as const;

/** Codes of {@link ERRORS} by key (`ERROR_CODES.not_found` is `'VOC_ERR_NOT_FOUND'`). */
export const ERROR_CODES = Object.fromEntries(Object.entries(ERRORS).map(([k, v]) => [k, v.code])) as {
  readonly [K in keyof typeof ERRORS]: (typeof ERRORS)[K]['code'];
};

/**
 * HTTP status of an error code: the {@link ERRORS} entry's status; a rejected reading's reason is 422
 * (413 for `payload_too_large`), as when the API accepts readings; an unknown code is 500.
 */
export function httpStatusOf(code: string): number {
  for (const e of Object.values(ERRORS)) if (e.code === code) return e.status;
  if (code === REJECT_REASONS.payload_too_large) return 413;
  if ((Object.values(REJECT_REASONS) as string[]).includes(code)) return 422;
  return 500;
}

/** Code of a {@link VocError}. */
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES] | (typeof REJECT_REASONS)[RejectReason];

/**
 * The one error type services throw on purpose.
 * @param code stable `VOC_ERR_*` code
 * @param message human-readable, safe to show to the caller
 * @param options.retry true when the same operation may succeed later (transient)
 * @param options.cause the underlying error, kept for logs only
 */
export class VocError extends Error {
  readonly code: ErrorCode;
  readonly retry: boolean;
  readonly details: unknown;
  constructor(code: ErrorCode, message: string, options: { retry?: boolean; cause?: unknown; details?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'VocError';
    this.code = code;
    this.retry = options.retry ?? false;
    this.details = options.details;
  }
}

/**
 * A reading the gateway or writer refused: a value, not an exception, because rejection is a normal
 * outcome of ingest (it goes to the dead-letter topic).
 */
export interface Rejection {
  readonly reason: RejectReason;
  /** Precise, human-readable explanation (which field, which value, which limit). */
  readonly detail: string;
}
