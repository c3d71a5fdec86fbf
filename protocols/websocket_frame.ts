/**
 * Encoding one WebSocket frame (RFC 6455 5.2): FIN, RSV1 (permessage-deflate), opcode, the
 * 7/16/64-bit payload length and, for client frames, the masking key applied to the payload.
 * Used by the scripted model server and the tests; the analysis only parses.
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
