/**
 * Public face of the transport-free protocol parsers: push parsers for HTTP/1.1, HTTP/2 (with
 * HPACK), Server-Sent Events, NDJSON, AWS event streams and WebSocket (with permessage-deflate) over reassembled TLS
 * plaintext streams, a streaming Content-Encoding decoder, and the in-place header redaction
 * used by capture.
 *
 * Convention: `createXParser(callbacks, options) -> { feed(bytes), end() }`; callbacks carry
 * stream offsets; errors go to `onError` as `ProtocolError` and are never thrown from `feed`;
 * buffered state is bounded by `maxBufferSize`.
 */

export { ProtocolError, type ProtocolErrorCode } from "./protocol_error.ts";
export { buildHeaderLookup, type HeaderLookup, type HeaderPair } from "./header_fields.ts";
export {
  createHttp1Exchange,
  createHttp1RequestParser,
  createHttp1ResponseParser,
  type Http1BodyChunk,
  type Http1BodyKind,
  type Http1Callbacks,
  type Http1Exchange,
  type Http1Head,
  type Http1MessageEnd,
  type Http1Options,
  type Http1Parser,
  type Http1ResponseParser,
} from "./http1.ts";
export { absoluteTarget, originForm } from "./request_target.ts";
export { DEFAULT_PORT, type HostPort, hostPort } from "./authority.ts";
export {
  type ContentDecoder,
  type ContentDecoderCallbacks,
  type ContentDecoderOptions,
  createContentDecoder,
  decodeContent,
  decodeContentSync,
  parseContentEncoding,
  supportedContentCodings,
} from "./content_encoding.ts";
export {
  HpackDecoder,
  type HpackDecoderOptions,
  type HpackField,
  type HpackRepresentation,
  type HpackStringRange,
  maskHeaderBlock,
} from "./hpack.ts";
export {
  createHttp2Connection,
  createHttp2Parser,
  type Http2Callbacks,
  type Http2Connection,
  type Http2DataEvent,
  type Http2Direction,
  type Http2FrameEvent,
  type Http2GoawayEvent,
  type Http2HeadersEvent,
  type Http2Options,
  type Http2Parser,
  type Http2PseudoHeaders,
  type Http2SettingsEvent,
  type Http2StreamEndEvent,
} from "./http2.ts";
export {
  HTTP2_PREFACE,
  startsWithHttp2Frames,
  startsWithHttp2Preface,
  startsWithHttp2Settings,
} from "./http2_frame.ts";
export {
  createHttp2Redactor,
  DEFAULT_SECRET_HEADERS,
  type Http2Redactor,
  type Http2RedactorOptions,
  isDefaultSecretHeader,
} from "./http2_redactor.ts";
export {
  createEventStreamParser,
  encodeEventStreamMessage,
  type EventStreamCallbacks,
  type EventStreamHeaderValue,
  type EventStreamMessage,
  type EventStreamOptions,
  type EventStreamParser,
} from "./aws_eventstream.ts";
export { crc32 } from "./crc32.ts";
export {
  createNdjsonParser,
  type NdjsonCallbacks,
  type NdjsonOptions,
  type NdjsonParser,
  type NdjsonValue,
} from "./ndjson.ts";
export {
  createSseParser,
  type SseCallbacks,
  type SseComment,
  type SseEvent,
  type SseOptions,
  type SseParser,
} from "./sse.ts";
export {
  createWebSocketParser,
  type WebSocketCallbacks,
  type WebSocketMessage,
  type WebSocketMessageKind,
  type WebSocketOptions,
  type WebSocketParser,
} from "./websocket.ts";
export { encodeWebSocketFrame, type WebSocketFrameSpec } from "./websocket_frame.ts";
export {
  isWebSocketRequest,
  websocketAccept,
  type WebSocketAgreement,
  websocketAgreement,
} from "./websocket_handshake.ts";
export {
  acceptedDeflate,
  createMessageInflater,
  type DeflateParams,
  type MessageInflater,
  parseExtensions,
  type WebSocketExtension,
} from "./permessage_deflate.ts";
export { type InflateResult, RawInflater } from "./inflate.ts";
