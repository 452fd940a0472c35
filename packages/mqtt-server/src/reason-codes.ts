import type { ConnectRefusal, ProtocolVersion } from './types.js';

/**
 * CONNACK codes of each refusal: MQTT 5.0 reason codes (§3.2.2.2) and MQTT 3.1.1 return codes
 * (§3.2.2.3, which has only six). 3.1.1 has no "busy" or "quota" code: those become 0x03 "server
 * unavailable", the code that tells a 3.1.1 client to try again later.
 */
export const CONNACK_CODES = {
  bad_credentials: { v5: 0x86, v4: 4 },
  not_authorized: { v5: 0x87, v4: 5 },
  client_id_not_allowed: { v5: 0x85, v4: 2 },
  server_busy: { v5: 0x89, v4: 3 },
  server_unavailable: { v5: 0x88, v4: 3 },
  quota_exceeded: { v5: 0x97, v4: 3 },
} as const satisfies Record<ConnectRefusal, { v5: number; v4: number }>;

/** MQTT 5 CONNACK reason code for an unsupported protocol level (§3.2.2.2); 3.1.1 return code 1. */
export const CONNACK_UNSUPPORTED_PROTOCOL = { v5: 0x84, v4: 1 } as const;

/** MQTT 5.0 reason codes the adapter sends in PUBACK and DISCONNECT (§2.4, §3.4.2.1, §3.14.2.1). */
export const REASON = {
  success: 0x00,
  unspecified_error: 0x80,
  malformed_packet: 0x81,
  protocol_error: 0x82,
  not_authorized: 0x87,
  /** DISCONNECT: the handler could not make the message durable now (e.g. Kafka down); resend later. */
  server_busy: 0x89,
  server_shutting_down: 0x8b,
  keep_alive_timeout: 0x8d,
  session_taken_over: 0x8e,
  topic_name_invalid: 0x90,
  packet_too_large: 0x95,
  administrative_action: 0x98,
  retain_not_supported: 0x9a,
  qos_not_supported: 0x9b,
} as const;

/** The CONNACK code of `reason` for `version`. */
export function connackCode(reason: ConnectRefusal, version: ProtocolVersion): number {
  return version === 5 ? CONNACK_CODES[reason].v5 : CONNACK_CODES[reason].v4;
}
