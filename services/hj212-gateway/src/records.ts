import type { ReadingMessage, RejectReason } from '@voc/domain';
import type { RejectedItem } from '@voc/ingest';
import { DEAD_LETTER_MAX_PAYLOAD_BYTES, deadLetter, deadLetterRecord, readingRecord } from '@voc/messaging';
import type { Outgoing } from './producer.js';

/** Longest dead-letter detail, characters (as the MQTT gateway). */
const MAX_DETAIL = 4000;

/** Reading records for the readings topic (key: device id), exactly as the MQTT gateway produces them. */
export function readingRecords(topic: string, accepted: readonly ReadingMessage[]): Outgoing[] {
  return accepted.map((r) => ({ topic, message: readingRecord(r) }));
}

/**
 * Dead letters of one frame or message: one per reason (several rejections with one reason share a
 * letter listing their details), each with the raw bytes as received (latin1 text of the frame or
 * frames), stage `gateway`, and the logger's address in the detail.
 */
export function deadLetters(topic: string, rejected: readonly RejectedItem[], raw: string, receivedAt: Date, remote: string): Outgoing[] {
  if (rejected.length === 0) return [];
  const groups = new Map<RejectReason, RejectedItem[]>();
  for (const r of rejected) {
    const g = groups.get(r.rejection.reason);
    if (g) g.push(r);
    else groups.set(r.rejection.reason, [r]);
  }
  const bytes = Buffer.from(raw, 'latin1');
  const payload = bytes.length > DEAD_LETTER_MAX_PAYLOAD_BYTES ? bytes.subarray(0, DEAD_LETTER_MAX_PAYLOAD_BYTES) : bytes;
  const out: Outgoing[] = [];
  for (const [reason, items] of groups) {
    const first = items[0]!;
    let detail =
      items.length > 1 ? `${items.length} parts rejected: ${items.map((i) => i.rejection.detail).join(' | ')}` : first.rejection.detail;
    detail = `${detail} [HJ 212 over TCP from ${remote}]`;
    if (detail.length > MAX_DETAIL) detail = `${detail.slice(0, MAX_DETAIL - 1)}…`;
    const paths = items.map((i) => i.path).filter((p): p is string => p !== undefined);
    const dl = deadLetter(
      { reason, detail },
      {
        stage: 'gateway',
        payload,
        receivedAt,
        ...(first.deviceId ? { deviceId: first.deviceId } : {}),
        ...(paths.length ? { path: paths.slice(0, 50).join(', ') } : {}),
      },
    );
    out.push({ topic, message: deadLetterRecord({ ...dl, payloadBytes: bytes.length }) });
  }
  return out;
}
