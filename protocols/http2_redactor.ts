/**
 * In-place redaction of secret header values in one direction of an HTTP/2 byte stream, for
 * the capture side: the output has exactly the input's length and bytes, except that the
 * values of secret header fields in HEADERS / PUSH_PROMISE / CONTINUATION header blocks are
 * masked (see `maskHeaderBlock` in hpack.ts for how, and why the dynamic table stays
 * consistent for a later decoder of the masked stream) — secret by their name, or by a value
 * that begins with a known key's prefix whatever the name (head_line_rule.ts
 * valueHasKeyPrefix, at least as strict as the HTTP/1 redactor's rule): literal values, raw or Huffman-coded, judged
 * decoded, a value added to the dynamic table masked before it is, so a later reference to it
 * by index decodes to the mask — and so are the values of a secret URL
 * parameter (`secretParam`, MCP's `sessionId=` / `session_id=`): inside `:path` values (`partialMask` in
 * hpack.ts: the rest of the path stays readable; with the recording's `digest`, a
 * `sessionId=` value becomes its URL-safe keyed string, of its length and Huffman bits, the
 * same as HTTP/1's: `paramMasks` in url_param_mask.ts) and in DATA payloads (per stream; with
 * the digest, a value is held to its end within one frame's data, however calls cut it, and
 * digested as in `:path`; one a frame's end cuts is `*`s, and so is its rest in the stream's next
 * DATA frame, since holding it across frames would hold every frame after it; pad length and
 * padding are left as they are).
 *
 * A DATA frame on a stream this direction has sent no HEADERS on (or has ended) is of a stream
 * begun before the capture joined the connection (a connection judged started at a SETTINGS
 * frame: protocols/stream_start.ts), whose headers, an MCP exchange's or not, are unknown: its
 * data octets are masked blind (`*`s, its pad length and padding kept), as an HTTP/1 stream's after
 * a gap. So is a stream's let go (MAX_OPEN_STREAMS), its body, if one was held, cut.
 * Header values need no such care there: a field whose name or value is in a dynamic-table
 * entry added before the join is an index the decoder does not hold, an HPACK error, and fails
 * closed (below); every entry it does hold is the one the peer means (both tables keep the
 * newest entries, evicting the oldest first).
 *
 * Streaming: bytes of frames that carry no header block (DATA, SETTINGS, ...) are passed
 * through as soon as their 9-octet frame header is known, as views of the input (adjacent ones
 * joined): an output that is all passed-through input is a view of the chunk, not a copy, so it
 * lives only as long as the caller keeps the chunk's memory. (A copy per frame was most of the
 * capture's cost of an HTTP/2 stream of small DATA frames.) A header-bearing frame is held until
 * it is complete and every header field overlapping it has been decoded; a field that
 * continues into a CONTINUATION frame holds the earlier frame(s) until it ends. So output lags
 * input by at most the current incomplete frame plus, inside a header block, the frames of the
 * one field being decoded. Header blocks are decoded field by field, so only the field in
 * progress is buffered (bounded by `maxBufferSize`, as is each held frame).
 *
 * Fail closed: if the stream cannot be parsed (bad preface or framing, HPACK error, a limit
 * exceeded) the redactor can no longer tell where secrets are, so from then on every byte it
 * outputs — held bytes included — is zero, still keeping the total length. `failed` / `error`
 * tell the caller. `flush()` at the end releases held bytes; an unfinished header-bearing
 * frame or header block is zeroed, since it cannot be decoded.
 */

import {
  HpackDecoder,
  type HpackDecoderOptions,
  type HpackRepresentation,
  type HpackValueHook,
  MASK_OCTET,
  partialMask,
  secretMask,
} from "./hpack.ts";
import { latin1Decode, latin1Encode } from "./latin1.ts";
import { valueHasKeyPrefix } from "./head_line_rule.ts";
import { isDigestHeader, type SessionDigest } from "./session_digest.ts";
import { huffmanEncode } from "./hpack_huffman.ts";
import {
  Flag,
  FRAME_HEADER_LENGTH,
  type FrameHeader,
  FrameType,
  HTTP2_PREFACE,
  readFrameHeader,
  startsWithHttp2Settings,
} from "./http2_frame.ts";
import { ByteAccumulator } from "./byte_accumulator.ts";
import { ProtocolError } from "./protocol_error.ts";
import { concatBytes } from "../kit/bytes.ts";
import {
  createParamRedactor,
  paramMasks,
  type ParamNames,
  type ParamRedactor,
  SECRET_PARAM,
} from "./url_param_mask.ts";

import { DEFAULT_SECRET_HEADERS, isDefaultSecretHeader } from "./secret_headers.ts";
import {
  createHttp2BodySecrets,
  type DataSink,
  type Http2BodySecretsOptions,
  type Http2Exchanges,
} from "./http2_body_secrets.ts";

export { DEFAULT_SECRET_HEADERS, isDefaultSecretHeader };

export interface Http2RedactorOptions {
  /** Whether the stream starts with the client preface; "auto" detects it. Default "auto". */
  preface?: boolean | "auto";
  /** Bound on one held frame and on one header field in progress. Default 1 MiB. */
  maxBufferSize?: number;
  hpack?: HpackDecoderOptions;
  /**
   * URL parameters (`name=`, lowercase) whose values are secrets, masked in `:path` values
   * and in DATA payloads (per stream); null for none. Default SECRET_PARAM, `sessionid=` and
   * `session_id=` (MCP's HTTP+SSE transport: the `endpoint` event's URL and every POST to it).
   */
  secretParam?: ParamNames | null;
  /**
   * Secrets in MCP's JSON-RPC bodies (http2_body_secrets.ts): what the connection's two
   * directions share (pass the same object to both redactors); null: bodies are not looked at.
   * Default: a fresh one (this direction alone).
   */
  bodies?: Http2Exchanges | null;
  bodyOptions?: Http2BodySecretsOptions;
  /**
   * The recording's keyed digest (session_digest.ts): a session header's value
   * (`mcp-session-id`) becomes its keyed string S(v), the same whatever the representation
   * (plain, Huffman-coded, added to the dynamic table or not) and the same as in HTTP/1: v's
   * length, v's Huffman-coded length. A value with no S(v): the `*` mask. Absent: `*`s.
   */
  digest?: SessionDigest;
  onError?(error: ProtocolError): void;
}

export interface Http2Redactor {
  /**
   * Feeds input; returns the output that is ready (possibly empty, possibly more than given).
   * Bytes passed through are views of `chunk`: copy the output to keep it past the chunk.
   */
  transform(chunk: Uint8Array): Uint8Array;
  /** Ends the stream; returns everything still held. */
  flush(): Uint8Array;
  readonly failed: boolean;
  readonly error: ProtocolError | null;
}

/** A header-bearing frame being received or held for release. */
interface HeldFrame {
  bytes: Uint8Array; // the whole frame, header included; masked in place
  filled: number;
  /** Block coordinates of this frame's fragment: [fragStart, fragEnd). */
  fragStart: number;
  fragEnd: number;
  /** Index in `bytes` of the fragment's first octet. */
  fragOffset: number;
}

enum Phase {
  Preface,
  FrameHeader,
  PassThrough, // payload of a frame without a header block
  HeldPayload, // payload of a header-bearing frame
  Failed,
  Flushed,
}

export function createHttp2Redactor(
  isSecret: (lowercaseName: string) => boolean = isDefaultSecretHeader,
  options: Http2RedactorOptions = {},
): Http2Redactor {
  const maxBufferSize = options.maxBufferSize ?? 1024 * 1024;
  const decoder = new HpackDecoder({ maxTableSize: 65536, ...options.hpack });
  // ---- state that crosses chunk boundaries ----
  const autoPreface = options.preface === undefined || options.preface === "auto";
  let phase = options.preface === false ? Phase.FrameHeader : Phase.Preface;
  let prefaceMatched = 0;
  /**
   * auto: a stream that does not begin with the client preface is a server's, whose first frame
   * is SETTINGS (RFC 9113 3.4); else it is no HTTP/2 server stream (an HTTP/1 answer read as
   * frames of unknown type would pass): fail closed
   */
  let expectSettings = false;
  const prefaceHeld = new Uint8Array(HTTP2_PREFACE.length);
  const header = new Uint8Array(FRAME_HEADER_LENGTH);
  let headerFill = 0;
  let frame: FrameHeader = { length: 0, type: 0, flags: 0, streamId: 0 };
  let passRemaining = 0;
  let current: HeldFrame | null = null; // header-bearing frame being received
  const held: HeldFrame[] = []; // complete frames of the current block awaiting release
  let heldBytes = 0;
  let inBlock = false; // between HEADERS/PUSH_PROMISE and END_HEADERS
  let blockStreamId = 0;
  let blockLength = 0; // block bytes received so far
  const field = new ByteAccumulator(maxBufferSize); // undecoded tail of the block
  let fieldBase = 0; // block coordinate of field.view()[0]
  let out: Uint8Array[] = [];
  let error: ProtocolError | null = null;
  const secretParam = options.secretParam === undefined ? SECRET_PARAM : options.secretParam;
  /** per stream with DATA so far: the URL parameter masker (dropped at END_STREAM) */
  const dataMaskers = new Map<number, ParamRedactor>();
  let dataMasker: ParamRedactor | null = null; // the current DATA frame's, if masking
  let padPending = false; // the current DATA frame's pad length octet is still to come
  let maskLeft = 0; // data octets of the current DATA frame still to go through dataMasker
  /** what the connection's two directions share (the other's RST_STREAMs among it) */
  const shared = options.bodies === null ? null : options.bodies ?? { asked: new Set<number>() };
  const bodies = shared === null ? null : createHttp2BodySecrets(shared, options.bodyOptions);
  let dataFrame = false; // the current frame is a DATA frame whose data octets are looked at
  /**
   * streams this direction has sent HEADERS on and not ended: a DATA frame on any other is of
   * a stream begun before the capture joined the connection (RFC 9113 5.1, 8.1: a stream's
   * HEADERS come before its DATA, each way), whose headers (an MCP exchange's or not) are
   * unknown: its data octets are masked blind (`blindData`), never passed as they are. In
   * order of last use (HEADERS or DATA), oldest first; a stream either direction resets leaves
   * it (the other's RST_STREAMs: `shared.resets`, at this one's next input)
   */
  const opened = new Set<number>();
  let blindData = false;
  let dataBody = false; // ... and its stream's body is (http2_body_secrets.ts)
  let blockIsHeaders = false, blockEndStream = false; // the header block in progress
  /** pieces of output dropped from `out` so far: `out[k]` is piece `drained + k` */
  let drained = 0;
  /** `out[0..outHead)` are out already (kept until `out` is cut down, a slice each time) */
  let outHead = 0;
  /** bytes of `out[outHead..]`: after a drain, the output held for bodies */
  let outBytes = 0;
  /** pieces from which output is held for a body (http2_body_secrets.ts) */
  const pins: number[] = [];
  const sink: DataSink = {
    pass: (bytes, a, b) => passView(bytes, a, b),
    pin: () => {
      const at = drained + out.length;
      pins.push(at);
      return at;
    },
    unpin: (at) => {
      pins.splice(pins.indexOf(at), 1);
    },
    keep: (bytes, a, b) => {
      const copy = bytes.slice(a, b);
      emit(copy);
      return copy;
    },
  };

  /** Outputs `piece` (counted in `outBytes`). */
  function emit(piece: Uint8Array): void {
    out.push(piece);
    outBytes += piece.length;
  }

  /** Outputs input bytes [start, end) as they are: a view, joined to the previous one if adjacent. */
  function passView(bytes: Uint8Array, start: number, end: number): void {
    const last = out.length > outHead ? out[out.length - 1] : undefined;
    outBytes += end - start;
    if (
      last !== undefined && last.buffer === bytes.buffer &&
      last.byteOffset + last.length === bytes.byteOffset + start &&
      last.byteOffset >= bytes.byteOffset
    ) {
      out[out.length - 1] = bytes.subarray(last.byteOffset - bytes.byteOffset, end);
    } else out.push(bytes.subarray(start, end));
  }

  function fail(code: ProtocolError["code"], message: string): void {
    if (phase === Phase.Failed) return;
    phase = Phase.Failed;
    error = new ProtocolError(code, `HTTP/2 redactor: ${message}`);
    // Everything not yet released is zeroed (same length).
    let n = heldBytes + headerFill + (current ? current.filled : 0) +
      (dataMasker ? dataMasker.flush().length : 0);
    if (prefaceMatched > 0 && prefaceMatched < HTTP2_PREFACE.length) n += prefaceMatched;
    held.length = 0;
    heldBytes = 0;
    current = null;
    headerFill = 0;
    field.clear();
    // output held for bodies: not yet masked, zeroed
    if (pins.length) {
      for (let k = Math.min(...pins) - drained; k < out.length; k++) {
        out[k] = new Uint8Array(out[k].length);
      }
      pins.length = 0;
    }
    bodies?.abandon();
    if (n > 0) emit(new Uint8Array(n));
    options.onError?.(error);
  }

  /** Writes masked octets at block coordinate `pos`, across held frames. */
  function writeBlock(pos: number, octets: Uint8Array): void {
    for (let k = 0; k < octets.length; k++) {
      const f = held.find((h) => pos + k >= h.fragStart && pos + k < h.fragEnd)!;
      f.bytes[f.fragOffset + (pos + k - f.fragStart)] = octets[k];
    }
  }

  function setHuffmanBit(pos: number, on: boolean): void {
    const f = held.find((h) => pos >= h.fragStart && pos < h.fragEnd)!;
    const i = f.fragOffset + (pos - f.fragStart);
    f.bytes[i] = on ? f.bytes[i] | 0x80 : f.bytes[i] & 0x7f;
  }

  const hook: HpackValueHook = (f) => {
    const range = f.valueRange;
    if (!range) return undefined;
    const name = f.name.toLowerCase();
    let mask;
    const secretName = isSecret(name);
    // a value that begins with a known key's prefix is masked whatever its name, as over HTTP/1,
    // and one with a key inside it (after `,`, `=`, an auth scheme), but a pseudo-header's
    // (`:path`: its secret parameters are masked alone, below)
    if (secretName || valueHasKeyPrefix(f.value, name[0] !== ":")) {
      mask = secretName && options.digest && isDigestHeader(name)
        ? digestMask(range, f.value, f.representation, options.digest)
        : secretMask(range, f.value.length, f.representation);
    } else if (secretParam !== null && f.value.includes("=")) {
      // `:path`, and any other value that may hold a URL (location, referer, link)
      const { value, positions } = paramMasks(f.value, secretParam, options.digest);
      if (value === f.value && positions.length === 0) return undefined;
      mask = partialMask(range, value, positions) ??
        secretMask(range, f.value.length, f.representation);
    } else return undefined;
    setHuffmanBit(fieldBase + range.prefixOffset, mask.huffman);
    writeBlock(fieldBase + range.offset, mask.octets);
    return mask.value;
  };

  /** Decodes as many complete fields as are buffered, then releases finished frames. */
  function decodeAvailable(): boolean {
    try {
      for (;;) {
        const view = field.view();
        const step = decoder.decodeNext(view, 0, view.length, hook);
        if (step === null) break;
        if (blockIsHeaders && step.kind === "field") {
          bodies!.header(step.field.name.toLowerCase(), step.field.value);
        }
        field.discard(step.next);
        fieldBase += step.next;
      }
    } catch (err) {
      if (err instanceof ProtocolError) {
        fail(err.code, `header block on stream ${blockStreamId}: ${err.message}`);
        return false;
      }
      throw err;
    }
    while (held.length > 0 && held[0].fragEnd <= fieldBase) {
      const f = held.shift()!;
      heldBytes -= f.bytes.length;
      emit(f.bytes);
    }
    return true;
  }

  function heldFrameComplete(f: HeldFrame): void {
    const b = f.bytes;
    // Held first, so that a failure below still accounts for (zeroes) this frame's bytes.
    f.fragStart = f.fragEnd = blockLength;
    held.push(f);
    heldBytes += b.length;
    const p = FRAME_HEADER_LENGTH;
    let start = p;
    let end = b.length;
    const type = frame.type;
    if (type === FrameType.HEADERS && frame.flags & Flag.END_STREAM) {
      dataMaskers.delete(frame.streamId); // trailers: the stream sends no more DATA
      opened.delete(frame.streamId);
    } else if (type === FrameType.HEADERS) openStream(frame.streamId);
    if (type !== FrameType.CONTINUATION) {
      if (inBlock) return fail("framing", "new header block before END_HEADERS");
      const skip = type === FrameType.PUSH_PROMISE ? 4 : frame.flags & Flag.PRIORITY ? 5 : 0;
      if (frame.flags & Flag.PADDED) {
        if (end - start < 1) return fail("framing", "frame too short for its pad length");
        end -= b[start];
        start += 1;
      }
      if (end - start < skip) return fail("framing", "padding exceeds the frame payload");
      start += skip;
      inBlock = true;
      blockStreamId = frame.streamId;
      blockIsHeaders = bodies !== null && type === FrameType.HEADERS;
      blockEndStream = (frame.flags & Flag.END_STREAM) !== 0;
      blockLength = 0;
      fieldBase = 0;
      field.clear();
      decoder.beginBlock();
    } else if (!inBlock || frame.streamId !== blockStreamId) {
      return fail("framing", `unexpected CONTINUATION on stream ${frame.streamId}`);
    }
    f.fragOffset = start;
    f.fragStart = blockLength;
    f.fragEnd = blockLength + (end - start);
    blockLength = f.fragEnd;
    if (heldBytes > maxBufferSize) {
      return fail("buffer-limit", `held header frames exceed ${maxBufferSize} bytes`);
    }
    if (!field.append(b, start, end)) {
      return fail("buffer-limit", `header field exceeds ${maxBufferSize} bytes`);
    }
    if (!decodeAvailable()) return;
    if (frame.flags & Flag.END_HEADERS) {
      if (field.length > 0) return fail("compression", "header block ends mid-field");
      decoder.endBlock();
      inBlock = false;
      if (blockIsHeaders) bodies!.headersEnd(blockStreamId, blockEndStream, sink);
      // All fields decoded: every held frame has been released by decodeAvailable.
    }
  }

  function step(bytes: Uint8Array): void {
    let i = 0;
    const n = bytes.length;
    while (i < n) {
      switch (phase) {
        case Phase.Failed: // after fail(): the rest of the input is zeroed
          emit(new Uint8Array(n - i));
          return;
        case Phase.Flushed:
          throw new Error("Http2Redactor.transform called after flush()");
        case Phase.Preface: {
          if (autoPreface && prefaceMatched === 0 && bytes[i] !== HTTP2_PREFACE[0]) {
            phase = Phase.FrameHeader; // not a client stream: a server's, SETTINGS first
            expectSettings = true;
            break;
          }
          if (bytes[i] !== HTTP2_PREFACE[prefaceMatched]) {
            fail("syntax", "stream does not start with the HTTP/2 connection preface");
            break;
          }
          prefaceHeld[prefaceMatched++] = bytes[i++];
          if (prefaceMatched === HTTP2_PREFACE.length) {
            emit(prefaceHeld.slice());
            phase = Phase.FrameHeader;
          }
          break;
        }
        case Phase.FrameHeader: {
          const headerStart = headerFill === 0 ? i : -1; // the header whole in this chunk?
          const take = Math.min(FRAME_HEADER_LENGTH - headerFill, n - i);
          header.set(bytes.subarray(i, i + take), headerFill);
          headerFill += take;
          i += take;
          if (headerFill < FRAME_HEADER_LENGTH) break;
          headerFill = 0;
          frame = readFrameHeader(header);
          if (expectSettings) {
            expectSettings = false;
            if (startsWithHttp2Settings(header) !== 1) {
              headerFill = FRAME_HEADER_LENGTH; // account for the consumed header when zeroing
              fail("syntax", "server stream does not start with a SETTINGS frame");
              break;
            }
          }
          const carriesBlock = frame.type === FrameType.HEADERS ||
            frame.type === FrameType.PUSH_PROMISE || frame.type === FrameType.CONTINUATION;
          if (inBlock && frame.type !== FrameType.CONTINUATION) {
            headerFill = FRAME_HEADER_LENGTH; // account for the consumed header when zeroing
            fail("framing", "frame inside a header block (CONTINUATION expected)");
            break;
          }
          if (carriesBlock) {
            if (frame.length > maxBufferSize) {
              headerFill = FRAME_HEADER_LENGTH;
              fail("buffer-limit", `header frame of ${frame.length} bytes exceeds limit`);
              break;
            }
            const bytesOut = new Uint8Array(FRAME_HEADER_LENGTH + frame.length);
            bytesOut.set(header);
            current = {
              bytes: bytesOut,
              filled: FRAME_HEADER_LENGTH,
              fragStart: 0,
              fragEnd: 0,
              fragOffset: 0,
            };
            phase = Phase.HeldPayload;
            if (frame.length === 0) {
              const f = current;
              current = null;
              phase = Phase.FrameHeader;
              heldFrameComplete(f);
            }
          } else {
            if (headerStart >= 0) passView(bytes, headerStart, i);
            else emit(header.slice());
            passRemaining = frame.length;
            startData();
            phase = frame.length > 0 ? Phase.PassThrough : Phase.FrameHeader;
          }
          break;
        }
        case Phase.PassThrough: {
          const take = Math.min(passRemaining, n - i);
          if (dataFrame) passData(bytes, i, i + take);
          else if (blindData) passBlind(bytes, i, i + take);
          else passView(bytes, i, i + take);
          i += take;
          passRemaining -= take;
          if (passRemaining === 0) {
            phase = Phase.FrameHeader;
            if (dataFrame) endData();
            blindData = false;
          }
          break;
        }
        case Phase.HeldPayload: {
          const f = current!;
          const take = Math.min(f.bytes.length - f.filled, n - i);
          f.bytes.set(bytes.subarray(i, i + take), f.filled);
          f.filled += take;
          i += take;
          if (f.filled === f.bytes.length) {
            current = null;
            phase = Phase.FrameHeader;
            heldFrameComplete(f);
          }
          break;
        }
      }
    }
  }

  /** At a DATA frame's header: sets up masking of its data octets by its stream's maskers. */
  function startData(): void {
    dataMasker = null;
    dataFrame = false;
    blindData = false;
    if (frame.type === FrameType.RST_STREAM) {
      dataMaskers.delete(frame.streamId);
      opened.delete(frame.streamId);
      bodies?.reset(frame.streamId, sink);
    }
    if (frame.type === FrameType.DATA) {
      const known = opened.delete(frame.streamId);
      // (the stream is the newest in use: the last let go past MAX_OPEN_STREAMS)
      if (known && !(frame.flags & Flag.END_STREAM)) opened.add(frame.streamId);
      if (!known && frame.length > 0) {
        // a stream begun before the capture joined, or let go: its data masked blind (pad
        // length and padding kept); a body of it held (let go mid-body) is cut, not held on
        cutBody(frame.streamId);
        blindData = true;
        padPending = (frame.flags & Flag.PADDED) !== 0;
        maskLeft = padPending ? 0 : frame.length;
        return;
      }
    }
    if (frame.type !== FrameType.DATA || (secretParam === null && bodies === null)) return;
    if (frame.length === 0) return endData();
    if (secretParam !== null) {
      let m = dataMaskers.get(frame.streamId);
      // with the recording's digest, a `sessionId=` value is held to its end within a frame's
      // data (however calls cut it) and digested as in `:path` and HTTP/1; one the frame's end
      // cuts is `*`s, masked on in the stream's next DATA frame (passData): lengths unchanged
      if (!m) {
        m = createParamRedactor(secretParam, { digest: options.digest, hold: true });
        dataMaskers.set(frame.streamId, m);
      }
      dataMasker = m;
    }
    dataBody = bodies !== null && bodies.active(frame.streamId);
    dataFrame = dataMasker !== null || dataBody;
    if (!dataFrame) return;
    padPending = (frame.flags & Flag.PADDED) !== 0;
    maskLeft = padPending ? 0 : frame.length;
  }

  /**
   * A stream this direction has sent HEADERS on, the newest in use (past MAX_OPEN_STREAMS the
   * one longest unused is let go, and a body of it held is cut).
   */
  function openStream(id: number): void {
    opened.delete(id);
    opened.add(id);
    if (opened.size > MAX_OPEN_STREAMS) {
      const oldest = opened.values().next().value!;
      opened.delete(oldest);
      cutBody(oldest);
    }
  }

  /**
   * A body of stream `id` held or looked at is cut (masked by the cut rule, its output let go):
   * the stream's DATA is masked blind from here on. Not a reset: the other direction is not
   * told (its answer on the stream is judged as it was).
   */
  function cutBody(id: number): void {
    if (!bodies?.active(id)) return;
    const told = shared!.resets?.has(id);
    bodies.reset(id, sink);
    if (!told) shared!.resets!.delete(id);
  }

  /**
   * Payload octets [start, end) of a DATA frame of a stream begun before the join: data octets
   * `*`s, pad length and padding as they are (a pad length past the payload: all masked).
   */
  function passBlind(bytes: Uint8Array, start: number, end: number): void {
    let i = start;
    if (padPending && i < end) {
      padPending = false;
      const data = frame.length - 1 - bytes[i];
      maskLeft = data < 0 ? frame.length - 1 : data;
      passView(bytes, i, ++i);
    }
    const m = Math.min(maskLeft, end - i);
    if (m > 0) {
      emit(new Uint8Array(m).fill(MASK_OCTET));
      maskLeft -= m;
      i += m;
    }
    if (i < end) passView(bytes, i, end);
  }

  /** The DATA frame has ended (its END_STREAM ends its stream's masking). */
  function endData(): void {
    if (frame.flags & Flag.END_STREAM) {
      dataMaskers.delete(frame.streamId);
      bodies?.dataEnd(frame.streamId, true, sink);
    } else if (dataBody) bodies!.dataEnd(frame.streamId, false, sink);
    dataMasker = null;
    dataFrame = dataBody = false;
  }

  /** Outputs DATA payload octets [start, end): data through the stream's maskers, padding as is. */
  function passData(bytes: Uint8Array, start: number, end: number): void {
    let i = start;
    if (padPending && i < end) {
      padPending = false;
      // A pad length beyond the payload is the reader's error to report; nothing is masked then.
      maskLeft = Math.max(0, frame.length - 1 - bytes[i]);
      passView(bytes, i, ++i);
    }
    const m = Math.min(maskLeft, end - i);
    if (m > 0) {
      let part = bytes, a = i, b = i + m;
      if (dataMasker) {
        const view = bytes.subarray(i, i + m);
        let masked = dataMasker.transform(view);
        if (m === maskLeft) {
          // the frame's data ends here: a value held goes out as `*`s, masked on after it
          const rest = dataMasker.cut();
          if (rest.length) masked = concatBytes([masked, rest]);
        }
        if (masked !== view) (part = masked, a = 0, b = masked.length);
      }
      if (b > a && dataBody) bodies!.data(frame.streamId, part, a, b, sink);
      else if (b > a) passView(part, a, b);
      maskLeft -= m;
      i += m;
    }
    if (i < end) passView(bytes, i, end);
  }

  /**
   * The output that is ready: all of it, but what is held for a body (`pins`). Only the pieces
   * that go out are walked (not those held: a body held for long, small frames flowing behind
   * it, would make each call cost as much as all held so far).
   */
  function drain(): Uint8Array {
    const end = pins.length ? Math.min(...pins) - drained : out.length;
    const from = outHead;
    let total = 0;
    for (let k = from; k < end; k++) total += out[k].length;
    const one = end - from === 1 ? out[from] : null;
    const result = one ?? new Uint8Array(total);
    if (!one) {
      let o = 0;
      for (let k = from; k < end; k++) (result.set(out[k], o), o += out[k].length);
    }
    outBytes -= total;
    if (end === out.length) {
      drained += out.length;
      out = [];
      outHead = 0;
    } else {
      for (let k = from; k < end; k++) out[k] = EMPTY; // let go
      outHead = end;
      if (outHead >= 1024 && outHead * 2 >= out.length) {
        // cut down now and then: amortized, a piece moved at most once per piece let go
        out = out.slice(outHead);
        drained += outHead;
        outHead = 0;
      }
    }
    return result;
  }

  /** Bytes of output held for bodies (from the first pin on), at a call's start (after a drain). */
  function heldOutput(): number {
    return pins.length ? outBytes : 0;
  }

  /**
   * Held output must outlive the chunk it came in: views of the chunk become copies (only the
   * pieces from `from` on, those of this call: the ones before are copies or views of no chunk).
   */
  function ownHeld(chunk: Uint8Array, from: number): void {
    for (let k = Math.max(0, from - drained); k < out.length; k++) {
      if (out[k].buffer === chunk.buffer) out[k] = out[k].slice();
    }
  }

  return {
    transform(chunk: Uint8Array): Uint8Array {
      // a stream either direction reset is no longer open (its DATA, if late, masked blind)
      if (shared?.resets?.size) { for (const id of shared.resets.keys()) opened.delete(id); }
      if (bodies && (pins.length || shared?.resets?.size)) {
        bodies.poll(heldOutput(), sink);
      }
      const first = drained + out.length;
      step(chunk);
      const ready = drain();
      if (out.length) ownHeld(chunk, first);
      return ready;
    },
    flush(): Uint8Array {
      if (phase === Phase.Flushed) return new Uint8Array(0);
      if (phase !== Phase.Failed) {
        // Partial preface or frame header: no secret can be in them; release as they are.
        if (phase === Phase.Preface && prefaceMatched > 0) {
          emit(prefaceHeld.slice(0, prefaceMatched));
        }
        // (a server's first, not yet known SETTINGS: zeroed)
        if (headerFill > 0) {
          emit(expectSettings ? new Uint8Array(headerFill) : header.slice(0, headerFill));
        }
        // Unfinished header-bearing frames cannot be decoded: zero them.
        const unfinished = heldBytes + (current ? current.filled : 0);
        if (unfinished > 0) emit(new Uint8Array(unfinished));
        // an unfinished DATA frame's value held: cut, `*`s
        const rest = dataFrame && dataMasker ? dataMasker.flush() : new Uint8Array(0);
        if (rest.length && dataBody) bodies!.data(frame.streamId, rest, 0, rest.length, sink);
        else if (rest.length) emit(rest);
        held.length = 0;
        heldBytes = 0;
        current = null;
        bodies?.flush(sink);
      }
      phase = Phase.Flushed;
      return drain();
    },
    get failed() {
      return error !== null;
    },
    get error() {
      return error;
    },
  };
}

/**
 * The most streams a direction keeps as opened (HEADERS sent, not ended nor reset): past it the
 * one longest unused (no HEADERS or DATA since) is let go, and its DATA, if any comes, is masked
 * blind (over-redaction, never under-). RFC 9113 suggests at least 100 concurrent streams.
 */
const MAX_OPEN_STREAMS = 4096;

const EMPTY = new Uint8Array(0);

/**
 * A session header's value replaced by its keyed string S(v) (session_digest.ts), the same in
 * every representation: plain, as many octets as it had; Huffman-coded, S(v)'s code, as many
 * octets as v's (so a dynamic-table entry keeps its size: S(v) has v's length). Where v has no
 * S(v), the `*` mask (secretMask) — which the analysis reads as no id, in every representation.
 */
function digestMask(
  range: { length: number; huffman: boolean },
  value: string,
  representation: HpackRepresentation,
  digest: SessionDigest,
): { octets: Uint8Array; huffman: boolean; value: string } {
  const s = digest.digest(latin1Encode(value));
  if (s !== null && !range.huffman && s.length === range.length) {
    return { octets: s, huffman: false, value: latin1Decode(s) };
  }
  if (s !== null && range.huffman) {
    const octets = huffmanEncode(s);
    if (octets.length === range.length) {
      return { octets, huffman: true, value: latin1Decode(s) };
    }
  }
  return secretMask(range, value.length, representation);
}
