export { createMqttServer, type MqttServer, type ListeningAddresses, type DisconnectReason } from './server.js';
export { DEFAULTS, type MqttServerOptions, type ListenAddress, type TlsListenAddress } from './options.js';
export { CONNACK_CODES, CONNACK_UNSUPPORTED_PROTOCOL, REASON, connackCode } from './reason-codes.js';
export type {
  AuthResult,
  ConnectRefusal,
  ConnectRequest,
  CounterName,
  InboundPublish,
  Logger,
  MqttServerMetrics,
  MqttServerSnapshot,
  Ports,
  ProtocolVersion,
  PublishOutcome,
  PublishRefusal,
  RefusedPublish,
  RetryableError,
} from './types.js';
