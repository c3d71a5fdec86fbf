/**
 * HTTP/2 framing constants and helpers (RFC 9113 sections 3.4, 4.1, 6 and 7): the client
 * connection preface, frame types, flags, SETTINGS identifiers, error code names, and the
 * 9-octet frame header layout. Shared by the HTTP/2 parser and the redactor.
 */

/** "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" (RFC 9113 3.4). */
export const HTTP2_PREFACE = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/**
 * Whether `b` begins with the HTTP/2 client preface; with `partial`, also when `b` is shorter
 * and all it holds is the preface's start (a first write may carry only part of it).
 */
export function startsWithHttp2Preface(b: Uint8Array, partial = false): boolean {
  const n = Math.min(b.length, HTTP2_PREFACE.length);
  if (n < HTTP2_PREFACE.length && !(partial && n > 0)) return false;
  for (let i = 0; i < n; i++) if (b[i] !== HTTP2_PREFACE[i]) return false;
  return true;
}

/**
 * Whether `b` begins with what an HTTP/2 server sends first (RFC 9113 3.4), a SETTINGS frame's
 * header: a length that is a multiple of 6 below 64 KiB, type 4, no flags, stream 0. 1 yes,
 * 0 no, -1 too few bytes to tell (all `b` holds could be its start).
 */
export function startsWithHttp2Settings(b: Uint8Array): 1 | 0 | -1 {
  const want = [0, -1, -1, 4, 0, 0, 0, 0, 0];
  for (let i = 0; i < want.length; i++) {
    if (i >= b.length) return -1;
    if (want[i] >= 0 && b[i] !== want[i]) return 0;
    if (i === 2 && ((b[1] << 8) | b[2]) % 6) return 0;
  }
  return 1;
}

export const FRAME_HEADER_LENGTH = 9;
/** Largest frame length the 24-bit length field can express (2^24 - 1). */
export const MAX_FRAME_LENGTH = 0xffffff;

export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

const TYPE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(FrameType).map(([name, id]) => [id, name]),
);

/** The frame type's name, or "UNKNOWN(0xNN)" (unknown types are ignored, RFC 9113 4.1). */
export function frameTypeName(type: number): string {
  return TYPE_NAMES[type] ?? `UNKNOWN(0x${type.toString(16).padStart(2, "0")})`;
}

export const Flag = {
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

export const Setting = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
} as const;

const ERROR_NAMES = [
  "NO_ERROR",
  "PROTOCOL_ERROR",
  "INTERNAL_ERROR",
  "FLOW_CONTROL_ERROR",
  "SETTINGS_TIMEOUT",
  "STREAM_CLOSED",
  "FRAME_SIZE_ERROR",
  "REFUSED_STREAM",
  "CANCEL",
  "COMPRESSION_ERROR",
  "CONNECT_ERROR",
  "ENHANCE_YOUR_CALM",
  "INADEQUATE_SECURITY",
  "HTTP_1_1_REQUIRED",
];

export function errorCodeName(code: number): string {
  return ERROR_NAMES[code] ?? `UNKNOWN(0x${code.toString(16)})`;
}

export interface FrameHeader {
  length: number;
  type: number;
  flags: number;
  streamId: number;
}

/** Reads the 9-octet frame header at `buf[pos]` (the caller ensures 9 bytes are there). */
export function readFrameHeader(buf: Uint8Array, pos = 0): FrameHeader {
  return {
    length: (buf[pos] << 16) | (buf[pos + 1] << 8) | buf[pos + 2],
    type: buf[pos + 3],
    flags: buf[pos + 4],
    streamId: readUint31(buf, pos + 5),
  };
}

/** Frames about the connection (stream 0 only) and about a stream (never stream 0). */
const CONNECTION_FRAMES = new Set<number>([FrameType.SETTINGS, FrameType.PING, FrameType.GOAWAY]);
/** Lengths RFC 9113 fixes (section 6): a frame of another length is a connection error. */
const FIXED_LENGTH: Record<number, number> = {
  [FrameType.PRIORITY]: 5,
  [FrameType.RST_STREAM]: 4,
  [FrameType.PING]: 8,
  [FrameType.WINDOW_UPDATE]: 4,
};

/**
 * Whether `b` begins a run of HTTP/2 frames (the bytes a peer writes or reads once the
 * connection's preface is past): at least one whole frame, each of a type RFC 9113 defines,
 * with its reserved bit clear, on stream 0 exactly when the type is about the connection
 * (WINDOW_UPDATE either), of the length its type fixes, one after another to the end of `b`
 * (the last may go on past it). For a connection recorded from its middle, where no preface
 * says what it speaks.
 */
export function startsWithHttp2Frames(b: Uint8Array): boolean {
  let pos = 0;
  let whole = 0;
  while (pos + FRAME_HEADER_LENGTH <= b.length) {
    const h = readFrameHeader(b, pos);
    if (h.type > FrameType.CONTINUATION || (b[pos + 5] & 0x80) !== 0) return false;
    if (
      h.type !== FrameType.WINDOW_UPDATE && CONNECTION_FRAMES.has(h.type) !== (h.streamId === 0)
    ) {
      return false;
    }
    const fixed = FIXED_LENGTH[h.type];
    if (
      (fixed !== undefined && h.length !== fixed) ||
      (h.type === FrameType.SETTINGS && h.length % 6 !== 0)
    ) return false;
    pos += FRAME_HEADER_LENGTH + h.length;
    if (pos <= b.length) whole++;
  }
  return whole > 0;
}

/** A 31-bit big-endian value (the reserved top bit is ignored). */
export function readUint31(buf: Uint8Array, pos: number): number {
  return ((buf[pos] & 0x7f) * 0x1000000) + (buf[pos + 1] << 16) + (buf[pos + 2] << 8) +
    buf[pos + 3];
}

export function readUint32(buf: Uint8Array, pos: number): number {
  return (buf[pos] * 0x1000000) + (buf[pos + 1] << 16) + (buf[pos + 2] << 8) + buf[pos + 3];
}

/** Encodes a frame (for tests and fixtures). */
export function encodeFrame(
  type: number,
  flags: number,
  streamId: number,
  payload: Uint8Array | number[],
): Uint8Array {
  const body = payload instanceof Uint8Array ? payload : Uint8Array.from(payload);
  const out = new Uint8Array(FRAME_HEADER_LENGTH + body.length);
  out[0] = (body.length >>> 16) & 0xff;
  out[1] = (body.length >>> 8) & 0xff;
  out[2] = body.length & 0xff;
  out[3] = type;
  out[4] = flags;
  out[5] = (streamId >>> 24) & 0x7f;
  out[6] = (streamId >>> 16) & 0xff;
  out[7] = (streamId >>> 8) & 0xff;
  out[8] = streamId & 0xff;
  out.set(body, FRAME_HEADER_LENGTH);
  return out;
}
