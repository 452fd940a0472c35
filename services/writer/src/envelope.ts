import { KAFKA_HEADERS, SCHEMA_IDS, type ReadingMessage, type Rejection } from '@voc/domain';
import { headerString, type RecordHeaders } from '@voc/messaging';

/**
 * Defence in depth behind the Kafka ACLs (SECURITY.md): only the gateway may write readings, and it
 * always writes key = header = value device id and the `voc.reading.v1` schema header
 * (`readingRecord`, packages/messaging). A record that breaks this was not produced by the gateway's
 * pipeline, or was altered, so the writer refuses it rather than trusting its value.
 *
 * @returns `unknown_schema` when the `voc-schema` header is absent or names another schema (checked
 *   before the value is parsed, since an unknown schema says nothing about the value's shape); else `null`
 */
export function schemaRejection(headers: RecordHeaders | undefined): Rejection | null {
  const schema = headerString(headers, KAFKA_HEADERS.schema);
  if (schema === SCHEMA_IDS.reading) return null;
  return {
    reason: 'unknown_schema',
    detail:
      schema === undefined
        ? `record has no ${KAFKA_HEADERS.schema} header; the readings topic carries ${SCHEMA_IDS.reading}`
        : `${KAFKA_HEADERS.schema} header ${JSON.stringify(schema)} is not ${SCHEMA_IDS.reading}`,
  };
}

/**
 * Checks that a parsed reading record's Kafka key, `voc-device-id` header and value `deviceId` are all
 * present and equal (byte for byte, UTF-8).
 * @returns `device_id_mismatch` naming the three ids as seen (JSON-quoted; `absent` for a missing one); else `null`
 */
export function deviceIdRejection(key: Buffer | null, headers: RecordHeaders | undefined, reading: ReadingMessage): Rejection | null {
  const keyId = key === null ? undefined : key.toString('utf8');
  const headerId = headerString(headers, KAFKA_HEADERS.deviceId);
  if (keyId === reading.deviceId && headerId === reading.deviceId) return null;
  const show = (v: string | undefined) => (v === undefined ? 'absent' : JSON.stringify(v));
  return {
    reason: 'device_id_mismatch',
    detail: `device id disagrees: key ${show(keyId)}, ${KAFKA_HEADERS.deviceId} header ${show(headerId)}, value ${show(reading.deviceId)}`,
  };
}
