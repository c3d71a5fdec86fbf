/**
 * Encoding one WebSocket frame (RFC 6455 5.2): FIN, RSV1 (permessage-deflate), opcode, the
 * 7/16/64-bit payload length and, for client frames, the masking key applied to the payload.
 * Used by the scripted model server and the tests; the analysis only parses. And reading one
 * frame's header alone (`webSocketFrameHeader`), for the capture's check that bytes a hook sees
 * are plaintext (a connection joined after its upgrade carries nothing but frames).
 */

export interface WebSocketFrameSpec {
  opcode: number;
  payload: Uint8Array;
  /** default true */
  fin?: boolean;
  /** permessage-deflate: set on the first frame of a compressed message */
  rsv1?: boolean;
  /** a client frame's masking key (4 bytes); absent: unmasked */
  mask?: Uint8Array;
}

export function encodeWebSocketFrame(spec: WebSocketFrameSpec): Uint8Array {
  const n = spec.payload.length;
  const ext = n < 126 ? 0 : n < 65536 ? 2 : 8;
  const maskLen = spec.mask ? 4 : 0;
  const out = new Uint8Array(2 + ext + maskLen + n);
  out[0] = (spec.fin === false ? 0 : 0x80) | (spec.rsv1 ? 0x40 : 0) | (spec.opcode & 0x0f);
  out[1] = (spec.mask ? 0x80 : 0) | (ext === 0 ? n : ext === 2 ? 126 : 127);
  if (ext === 2) {
    out[2] = n >> 8;
    out[3] = n & 0xff;
  } else if (ext === 8) {
    const hi = Math.floor(n / 0x100000000);
    const v = new DataView(out.buffer);
    v.setUint32(2, hi);
    v.setUint32(6, n >>> 0);
  }
  let p = 2 + ext;
  if (spec.mask) {
    out.set(spec.mask.subarray(0, 4), p);
    p += 4;
    for (let i = 0; i < n; i++) out[p + i] = spec.payload[i] ^ spec.mask[i & 3];
  } else out.set(spec.payload, p);
  return out;
}

/** A frame header as RFC 6455 5.2 allows it. */
export interface WebSocketFrameHeader {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  masked: boolean;
  /** bytes of the header: 2, the extended length, the masking key */
  headerLength: number;
  payloadLength: number;
}

/**
 * The header of the frame at `at`, or null when the bytes there cannot begin one: RSV2 or RSV3
 * set, an opcode RFC 6455 does not define (data 0-2, control 8-10), a control frame that is
 * fragmented, compressed (RSV1) or longer than 125 bytes, RSV1 on a continuation frame
 * (RFC 7692 6.1), a length not in its shortest form (5.2: "the minimal number of bytes MUST
 * be used"), or one of 4 GiB or more (no agent's message). "short": too few bytes to tell.
 */
export function webSocketFrameHeader(
  d: Uint8Array,
  at = 0,
): WebSocketFrameHeader | "short" | null {
  if (d.length - at < 2) return "short";
  const b0 = d[at], b1 = d[at + 1];
  const fin = (b0 & 0x80) !== 0, rsv1 = (b0 & 0x40) !== 0, opcode = b0 & 0x0f;
  if (b0 & 0x30) return null;
  const control = opcode >= 8;
  if (opcode > 10 || (opcode > 2 && !control)) return null;
  if (control ? !fin || rsv1 : rsv1 && opcode === 0) return null;
  const masked = (b1 & 0x80) !== 0;
  let len = b1 & 0x7f;
  let header = 2;
  if (len === 126) {
    if (d.length - at < 4) return "short";
    len = (d[at + 2] << 8) | d[at + 3];
    if (len < 126) return null;
    header = 4;
  } else if (len === 127) {
    if (d.length - at < 10) return "short";
    if (d[at + 2] | d[at + 3] | d[at + 4] | d[at + 5]) return null;
    len = d[at + 6] * 2 ** 24 + ((d[at + 7] << 16) | (d[at + 8] << 8) | d[at + 9]);
    if (len < 65536) return null;
    header = 10;
  }
  if (control && len > 125) return null;
  return {
    fin,
    rsv1,
    opcode,
    masked,
    headerLength: header + (masked ? 4 : 0),
    payloadLength: len,
  };
}
