/**
 * Does a buffer look like TLS plaintext or like ciphertext? The run-time check of a located
 * hook: the first bytes a client writes on a connection are an HTTP/1 request line, the
 * HTTP/2 connection preface or some other readable protocol text; the first bytes it reads are
 * a status line or an HTTP/2 SETTINGS frame. A hook placed on the wrong function sees TLS
 * records (a record header: type 0x14..0x17, version 03 0x, length) or encrypted bytes, which
 * are indistinguishable from random: nearly as many distinct byte values as a uniform draw
 * would give, and few printable ones. A connection a capture joined after it began (`--pid`,
 * `--comm`) shows its first bytes later: HTTP/2 frames, or WebSocket frames (Codex's Responses
 * connection), whose masked or compressed payloads look random too; frames whose lengths
 * account for the buffer exactly are plaintext, and a buffer that begins a frame longer than
 * itself is left undecided, never called ciphertext.
 *
 * `classify` answers plaintext / ciphertext / undecided with what it saw, in one line.
 */
import { startsWithHttp2Preface } from "../protocols/http2_frame.ts";
import { webSocketFrameHeader } from "../protocols/websocket_frame.ts";

export type LookKind = "plaintext" | "ciphertext" | "undecided";

export interface Look {
  kind: LookKind;
  /** how sure, 0..1 */
  confidence: number;
  /** one line: what the bytes are */
  what: string;
}

const latin1 = new TextDecoder("latin1");
const REQUEST_LINE = /^([A-Z][A-Z-]{1,15}) (\S{1,200}) HTTP\/1\.[01]\r?\n/;
const STATUS_LINE = /^HTTP\/1\.[01] \d{3}[ \r]/;

/** Enough bytes to call high entropy random rather than chance (HPACK's Huffman-coded
 * headers are dense too, but come framed, and short). */
const MIN_RANDOM = 128;

/** `dir`: 0 for bytes the program wrote, 1 for bytes it read. */
export function classify(data: Uint8Array, dir: 0 | 1): Look {
  const head = latin1.decode(data.subarray(0, 256));
  if (startsWithHttp2Preface(data)) {
    return { kind: "plaintext", confidence: 0.99, what: "the HTTP/2 connection preface" };
  }
  const req = REQUEST_LINE.exec(head);
  if (req) {
    return {
      kind: "plaintext",
      confidence: 0.99,
      what: `an HTTP/1 request line (${req[1]} ${req[2].slice(0, 60)})`,
    };
  }
  if (STATUS_LINE.test(head)) {
    return { kind: "plaintext", confidence: 0.99, what: `an HTTP/1 status line` };
  }
  if (dir === 1 && isH2Settings(data)) {
    return { kind: "plaintext", confidence: 0.97, what: "an HTTP/2 SETTINGS frame" };
  }
  const frame = h2Frame(data);
  if (frame) return { kind: "plaintext", confidence: 0.9, what: `an HTTP/2 ${frame} frame` };
  const rec = tlsRecordHeader(data);
  if (rec) return { kind: "ciphertext", confidence: 0.95, what: rec };
  const ws = wsFrames(data);
  if (ws) return ws;
  const n = Math.min(data.length, 1024);
  const printable = textBytes(data, n);
  const seen = new Set<number>();
  for (let i = 0; i < n; i++) seen.add(data[i]);
  const share = n ? printable / n : 0;
  if (n >= 16 && share >= 0.95) {
    const json = head.trimStart().startsWith("{") || head.trimStart().startsWith("[");
    return {
      kind: "plaintext",
      confidence: json ? 0.9 : 0.85,
      what: `${json ? "JSON" : "readable"} text (${Math.round(share * 100)}% printable)`,
    };
  }
  if (n >= MIN_RANDOM) {
    const expected = 256 * (1 - Math.pow(255 / 256, n));
    if (seen.size >= 0.8 * expected && share < 0.7) {
      return {
        kind: "ciphertext",
        confidence: 0.9,
        what: `random-looking bytes (${seen.size} distinct values in ${n}, ` +
          `${Math.round(expected)} expected of random data; ${Math.round(share * 100)}% printable)`,
      };
    }
  }
  return {
    kind: "undecided",
    confidence: 0,
    what: `${data.length} bytes, ${Math.round(share * 100)}% printable, ${seen.size} distinct`,
  };
}

/**
 * Bytes among the first `n` that are text: printable ASCII, tab, CR, LF, and whole valid UTF-8
 * sequences (which random bytes seldom form).
 */
function textBytes(d: Uint8Array, n: number): number {
  let text = 0;
  for (let i = 0; i < n;) {
    const b = d[i];
    if ((b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x0d || b === 0x09) {
      text++;
      i++;
      continue;
    }
    const more = b >= 0xc2 && b <= 0xdf
      ? 1
      : b >= 0xe0 && b <= 0xef
      ? 2
      : b >= 0xf0 && b <= 0xf4
      ? 3
      : 0;
    let ok = more > 0 && i + more < d.length;
    for (let k = 1; ok && k <= more; k++) ok = (d[i + k] & 0xc0) === 0x80;
    if (ok) {
      text += more + 1;
      i += more + 1;
    } else i++;
  }
  return text;
}

/** An HTTP/2 frame header of a SETTINGS frame on stream 0 (the server's first frame). */
function isH2Settings(d: Uint8Array): boolean {
  if (d.length < 9) return false;
  const len = (d[0] << 16) | (d[1] << 8) | d[2];
  const streamId = ((d[5] & 0x7f) << 24) | (d[6] << 16) | (d[7] << 8) | d[8];
  return d[3] === 4 && (d[4] === 0 || d[4] === 1) && streamId === 0 && len % 6 === 0 &&
    len <= 6 * 16;
}

const H2_TYPES = [
  "DATA",
  "HEADERS",
  "PRIORITY",
  "RST_STREAM",
  "SETTINGS",
  "PUSH_PROMISE",
  "PING",
  "GOAWAY",
  "WINDOW_UPDATE",
  "CONTINUATION",
];

/** The type of a whole HTTP/2 frame (or frames) at the start, with a valid header. */
function h2Frame(d: Uint8Array): string | undefined {
  if (d.length < 9) return undefined;
  const len = (d[0] << 16) | (d[1] << 8) | d[2];
  const type = d[3];
  if (type >= H2_TYPES.length || d[5] & 0x80 || len > 1 << 14 || len + 9 > d.length) {
    return undefined;
  }
  const stream = ((d[5] & 0x7f) << 24) | (d[6] << 16) | (d[7] << 8) | d[8];
  // SETTINGS, PING and GOAWAY belong to stream 0; DATA, HEADERS and the rest to a stream
  const connLevel = type === 4 || type === 6 || type === 7;
  if (connLevel !== (stream === 0) && type !== 8) return undefined;
  return H2_TYPES[type];
}

/**
 * WebSocket frames from the start: whole frames, all masked or all not (a client masks every
 * frame, a server none), that end exactly where the buffer does are plaintext. Random bytes
 * pass the header's rules and land on the buffer's length about once in 2000 buffers of up to
 * 131 bytes (those under 128 are never called ciphertext anyway) and about once in 10^8
 * longer ones (the 16-bit length must match). The start of a frame longer than the buffer,
 * alone or after whole ones, is undecided (it seldom holds more than chance). Undefined when
 * the bytes are no frames.
 */
function wsFrames(d: Uint8Array): Look | undefined {
  let at = 0, frames = 0;
  let masked: boolean | undefined;
  while (at < d.length) {
    const h = webSocketFrameHeader(d, at);
    if (h === null) return undefined;
    if (h === "short") return frames ? startOfFrame(d, frames) : undefined;
    if (masked !== undefined && h.masked !== masked) return undefined;
    masked = h.masked;
    const end = at + h.headerLength + h.payloadLength;
    const kind = `${h.masked ? "masked" : "unmasked"}${h.rsv1 ? ", compressed" : ""}`;
    if (end > d.length) {
      if (frames) return startOfFrame(d, frames);
      return {
        kind: "undecided",
        confidence: 0,
        what: `the start of a WebSocket frame (${kind}, ${h.payloadLength} bytes; ` +
          `${d.length} seen)`,
      };
    }
    frames++;
    at = end;
  }
  return {
    kind: "plaintext",
    confidence: 0.9,
    what: `${frames === 1 ? "a WebSocket frame" : `${frames} WebSocket frames`} (${
      masked ? "masked" : "unmasked"
    }, ${d.length} bytes)`,
  };
}

function startOfFrame(d: Uint8Array, frames: number): Look {
  return {
    kind: "undecided",
    confidence: 0,
    what: `${frames} WebSocket frame${frames === 1 ? "" : "s"}, then the start of another ` +
      `(${d.length} bytes)`,
  };
}

/** A TLS record header at the start (RFC 8446 5.1), described; undefined if there is none. */
function tlsRecordHeader(d: Uint8Array): string | undefined {
  if (d.length < 5) return undefined;
  const type = d[0], major = d[1], minor = d[2];
  const len = (d[3] << 8) | d[4];
  if (type < 0x14 || type > 0x17 || major !== 3 || minor > 4) return undefined;
  if (len === 0 || len > (1 << 14) + 2048) return undefined;
  // a record that fills the buffer (or the first of several) is what a socket write carries
  if (d.length !== len + 5 && d.length < len + 5 + 5) return undefined;
  const hex = [...d.subarray(0, 5)].map((b) => b.toString(16).padStart(2, "0")).join(" ");
  return `a TLS record header (${hex}): bytes still encrypted`;
}
