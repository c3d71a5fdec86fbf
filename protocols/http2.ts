/**
 * HTTP/2 (RFC 9113) parsing of one direction of one connection, and `createHttp2Connection`
 * pairing both directions.
 *
 * A parser for the client -> server direction first checks the connection preface. It then
 * reads frames (DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY,
 * WINDOW_UPDATE, CONTINUATION; unknown types are reported by `onFrame` and otherwise ignored),
 * strips padding, assembles HEADERS / PUSH_PROMISE + CONTINUATION into one header block,
 * decodes it with this direction's HPACK decoder and tracks per-stream state: which header
 * block is the request / response / trailers, DATA payloads (each with the stream offset of its
 * first byte), END_STREAM and RST_STREAM. At `end()` streams that were still open are reported
 * with `reason: "incomplete"`.
 *
 * Each frame is handled once it is complete, so events do not depend on how input is chunked.
 * Memory: a frame payload is buffered whole and must fit `maxBufferSize`; a header block
 * (across CONTINUATION frames) must fit `maxBufferSize` too; HPACK state is bounded by the
 * decoder's options. Errors (`onError`, never thrown) stop the parser, since an HTTP/2 byte
 * stream cannot be resynchronised: bad preface, frame too large, frame on the wrong stream,
 * broken padding, a frame other than CONTINUATION inside a header block, HPACK errors,
 * too many open streams.
 */

import { ByteAccumulator } from "./byte_accumulator.ts";
import { buildHeaderLookup, type HeaderLookup, type HeaderPair } from "./header_fields.ts";
import { HpackDecoder, type HpackDecoderOptions } from "./hpack.ts";
import {
  errorCodeName,
  Flag,
  FRAME_HEADER_LENGTH,
  type FrameHeader,
  FrameType,
  frameTypeName,
  HTTP2_PREFACE,
  MAX_FRAME_LENGTH,
  readFrameHeader,
  readUint31,
  readUint32,
  Setting,
} from "./http2_frame.ts";
import { latin1Decode } from "./latin1.ts";
import { ProtocolError } from "./protocol_error.ts";

export type Http2Direction = "client" | "server";

export interface Http2FrameEvent {
  direction: Http2Direction;
  type: number;
  typeName: string;
  flags: number;
  streamId: number;
  length: number;
  /** Stream offset of the frame's 9-octet header. */
  offset: number;
}

export interface Http2PseudoHeaders {
  method?: string;
  scheme?: string;
  authority?: string;
  path?: string;
  protocol?: string;
  status?: number;
}

export interface Http2HeadersEvent {
  direction: Http2Direction;
  streamId: number;
  kind: "request" | "response" | "informational" | "trailers" | "push-promise";
  /** For push-promise: the stream the promised request belongs to. */
  promisedStreamId?: number;
  /** All fields in order, pseudo-headers included. */
  headers: HeaderPair[];
  lookup: HeaderLookup;
  pseudo: Http2PseudoHeaders;
  endStream: boolean;
  /** Stream offset of the first frame of the block (HEADERS or PUSH_PROMISE). */
  offset: number;
  /** Stream offset just past the last frame of the block. */
  endOffset: number;
  /** Number of frames the block spanned (1 + CONTINUATION frames). */
  frames: number;
}

export interface Http2DataEvent {
  direction: Http2Direction;
  streamId: number;
  /** Payload without padding (a copy; safe to keep). */
  data: Uint8Array;
  /** Stream offset of `data[0]`. */
  offset: number;
  endStream: boolean;
}

export interface Http2StreamEndEvent {
  direction: Http2Direction;
  streamId: number;
  reason: "end-stream" | "rst-stream" | "incomplete";
  /** RST_STREAM error code and its name. */
  errorCode?: number;
  errorName?: string;
  /** Stream offset of the frame that ended the stream (end of stream for "incomplete"). */
  offset: number;
}

export interface Http2SettingsEvent {
  direction: Http2Direction;
  ack: boolean;
  settings: [id: number, value: number][];
  offset: number;
}

export interface Http2GoawayEvent {
  direction: Http2Direction;
  lastStreamId: number;
  errorCode: number;
  errorName: string;
  debugData: string;
  offset: number;
}

export interface Http2Callbacks {
  onPreface?(info: { direction: Http2Direction; offset: number }): void;
  /** Every complete frame (after it has been processed), including unknown types. */
  onFrame?(frame: Http2FrameEvent): void;
  onHeaders?(event: Http2HeadersEvent): void;
  onData?(event: Http2DataEvent): void;
  onStreamEnd?(event: Http2StreamEndEvent): void;
  onSettings?(event: Http2SettingsEvent): void;
  onGoaway?(event: Http2GoawayEvent): void;
  onError?(error: ProtocolError): void;
}

export interface Http2Options {
  /** "client": bytes the client sent (starts with the preface); "server": the other way. */
  direction: Http2Direction;
  /** Bound on one frame payload and on one header block. Default 1 MiB. */
  maxBufferSize?: number;
  /** Largest number of simultaneously open streams tracked. Default 10000. */
  maxOpenStreams?: number;
  /** Options for this direction's HPACK decoder. */
  hpack?: HpackDecoderOptions;
  /** Stream offset of the first byte fed. Default 0. */
  startOffset?: number;
}

export interface Http2Parser {
  feed(bytes: Uint8Array): void;
  end(): void;
  /**
   * Tells this direction's HPACK decoder that its peer (the decoding side) advertised
   * SETTINGS_HEADER_TABLE_SIZE = `size`; raises the accepted table size up to the hard cap
   * `hpack.maxTableSize`. `createHttp2Connection` calls this for you.
   */
  peerHeaderTableSize(size: number): void;
  readonly peakBufferCapacity: number;
}

enum Phase {
  Preface,
  FrameHeader,
  FramePayload,
  Stopped,
}

interface StreamState {
  /** Header blocks seen on this stream in this direction. */
  headerBlocks: number;
  /** A final (non-1xx) response was seen (server direction). */
  finalResponse: boolean;
}

interface PendingBlock {
  type: number;
  streamId: number;
  endStream: boolean;
  promisedStreamId?: number;
  offset: number;
  frames: number;
}

export function createHttp2Parser(callbacks: Http2Callbacks, options: Http2Options): Http2Parser {
  const direction = options.direction;
  const maxBufferSize = options.maxBufferSize ?? 1024 * 1024;
  const maxOpenStreams = options.maxOpenStreams ?? 10000;
  const hardTableCap = options.hpack?.maxTableSize ?? 65536;
  const decoder = new HpackDecoder({ ...options.hpack, maxTableSize: hardTableCap });
  // ---- state that crosses chunk boundaries ----
  let phase = direction === "client" ? Phase.Preface : Phase.FrameHeader;
  let offset = options.startOffset ?? 0; // stream offset of the next byte
  let prefaceMatched = 0;
  const header = new Uint8Array(FRAME_HEADER_LENGTH);
  let headerFill = 0;
  let frame: FrameHeader = { length: 0, type: 0, flags: 0, streamId: 0 };
  let frameOffset = 0;
  const payload = new ByteAccumulator(maxBufferSize);
  const block = new ByteAccumulator(maxBufferSize); // header block fragments
  let pending: PendingBlock | null = null; // header block awaiting CONTINUATION
  const streams = new Map<number, StreamState>(); // open streams seen in this direction

  function fail(code: ProtocolError["code"], message: string, at = frameOffset): void {
    phase = Phase.Stopped;
    payload.clear();
    block.clear();
    callbacks.onError?.(new ProtocolError(code, `HTTP/2 ${direction}: ${message}`, at));
  }

  function stream(id: number): StreamState | null {
    let s = streams.get(id);
    if (!s) {
      if (streams.size >= maxOpenStreams) {
        fail("buffer-limit", `more than ${maxOpenStreams} open streams`);
        return null;
      }
      s = { headerBlocks: 0, finalResponse: false };
      streams.set(id, s);
    }
    return s;
  }

  function endStream(
    id: number,
    reason: Http2StreamEndEvent["reason"],
    at: number,
    errorCode?: number,
  ) {
    streams.delete(id);
    const ev: Http2StreamEndEvent = { direction, streamId: id, reason, offset: at };
    if (errorCode !== undefined) {
      ev.errorCode = errorCode;
      ev.errorName = errorCodeName(errorCode);
    }
    callbacks.onStreamEnd?.(ev);
  }

  /** Returns [start, end) of the payload after removing padding, or null after failing. */
  function unpad(p: Uint8Array, skip: number): [number, number] | null {
    let start = 0;
    let end = p.length;
    if (frame.flags & Flag.PADDED) {
      if (p.length < 1) {
        fail("framing", `${frameTypeName(frame.type)} frame too short for its pad length`);
        return null;
      }
      const pad = p[0];
      start = 1;
      end = p.length - pad;
      if (end < start + skip) {
        fail("framing", `${frameTypeName(frame.type)} padding (${pad}) exceeds the payload`);
        return null;
      }
    } else if (p.length < skip) {
      fail("framing", `${frameTypeName(frame.type)} frame too short`);
      return null;
    }
    return [start, end];
  }

  function finishBlock(endOffset: number): void {
    const pb = pending!;
    pending = null;
    let fields;
    try {
      fields = decoder.decode(block.view());
    } catch (err) {
      if (err instanceof ProtocolError) {
        fail(err.code, `header block on stream ${pb.streamId}: ${err.message}`, pb.offset);
        return;
      }
      throw err;
    } finally {
      block.clear();
    }
    const headers = fields.map((f): HeaderPair => [f.name, f.value]);
    const pseudo: Http2PseudoHeaders = {};
    for (const [name, value] of headers) {
      switch (name) {
        case ":method":
          pseudo.method = value;
          break;
        case ":scheme":
          pseudo.scheme = value;
          break;
        case ":authority":
          pseudo.authority = value;
          break;
        case ":path":
          pseudo.path = value;
          break;
        case ":protocol":
          pseudo.protocol = value;
          break;
        case ":status":
          pseudo.status = Number(value);
          break;
      }
    }
    let kind: Http2HeadersEvent["kind"];
    const s = stream(pb.streamId);
    if (!s) return;
    if (pb.type === FrameType.PUSH_PROMISE) {
      kind = "push-promise";
    } else if (direction === "client") {
      kind = s.headerBlocks === 0 ? "request" : "trailers";
    } else if (pseudo.status !== undefined && !s.finalResponse) {
      kind = pseudo.status >= 100 && pseudo.status < 200 ? "informational" : "response";
      if (kind === "response") s.finalResponse = true;
    } else {
      kind = "trailers";
    }
    if (pb.type !== FrameType.PUSH_PROMISE) s.headerBlocks++;
    const ev: Http2HeadersEvent = {
      direction,
      streamId: pb.streamId,
      kind,
      headers,
      lookup: buildHeaderLookup(headers),
      pseudo,
      endStream: pb.endStream,
      offset: pb.offset,
      endOffset,
      frames: pb.frames,
    };
    if (pb.promisedStreamId !== undefined) ev.promisedStreamId = pb.promisedStreamId;
    callbacks.onHeaders?.(ev);
    if (pb.endStream && phase !== Phase.Stopped) endStream(pb.streamId, "end-stream", pb.offset);
  }

  function appendFragment(p: Uint8Array, start: number, end: number): boolean {
    if (!block.append(p, start, end)) {
      fail("buffer-limit", `header block exceeds maxBufferSize (${maxBufferSize} bytes)`);
      return false;
    }
    return true;
  }

  function processFrame(): void {
    const p = payload.view();
    const { type, flags, streamId } = frame;
    const endOffset = frameOffset + FRAME_HEADER_LENGTH + frame.length;
    if (pending && type !== FrameType.CONTINUATION) {
      fail("framing", `${frameTypeName(type)} frame inside a header block (CONTINUATION expected)`);
      return;
    }
    const needStream = (want: boolean) => {
      if (want && streamId === 0) {
        fail("framing", `${frameTypeName(type)} frame on stream 0`);
        return false;
      }
      if (!want && streamId !== 0) {
        fail("framing", `${frameTypeName(type)} frame on stream ${streamId} (must be 0)`);
        return false;
      }
      return true;
    };
    const needLength = (n: number) => {
      if (p.length !== n) {
        fail("framing", `${frameTypeName(type)} frame length ${p.length} (must be ${n})`);
        return false;
      }
      return true;
    };
    switch (type) {
      case FrameType.DATA: {
        if (!needStream(true)) return;
        const r = unpad(p, 0);
        if (!r) return;
        const end = (flags & Flag.END_STREAM) !== 0;
        callbacks.onData?.({
          direction,
          streamId,
          data: p.slice(r[0], r[1]),
          offset: frameOffset + FRAME_HEADER_LENGTH + r[0],
          endStream: end,
        });
        if (end && phase !== Phase.Stopped) endStream(streamId, "end-stream", frameOffset);
        break;
      }
      case FrameType.HEADERS:
      case FrameType.PUSH_PROMISE: {
        if (!needStream(true)) return;
        const isHeaders = type === FrameType.HEADERS;
        const skip = isHeaders ? (flags & Flag.PRIORITY ? 5 : 0) : 4;
        const r = unpad(p, skip);
        if (!r) return;
        pending = {
          type,
          streamId,
          endStream: isHeaders && (flags & Flag.END_STREAM) !== 0,
          offset: frameOffset,
          frames: 1,
        };
        if (!isHeaders) pending.promisedStreamId = readUint31(p, r[0]);
        block.clear();
        if (!appendFragment(p, r[0] + skip, r[1])) return;
        if (flags & Flag.END_HEADERS) finishBlock(endOffset);
        break;
      }
      case FrameType.CONTINUATION: {
        if (!pending || pending.streamId !== streamId) {
          fail("framing", `unexpected CONTINUATION frame on stream ${streamId}`);
          return;
        }
        pending.frames++;
        if (!appendFragment(p, 0, p.length)) return;
        if (flags & Flag.END_HEADERS) finishBlock(endOffset);
        break;
      }
      case FrameType.PRIORITY:
        if (!needStream(true) || !needLength(5)) return;
        break;
      case FrameType.RST_STREAM:
        if (!needStream(true) || !needLength(4)) return;
        endStream(streamId, "rst-stream", frameOffset, readUint32(p, 0));
        break;
      case FrameType.SETTINGS: {
        if (!needStream(false)) return;
        const ack = (flags & Flag.ACK) !== 0;
        if (ack ? p.length !== 0 : p.length % 6 !== 0) {
          fail("framing", `SETTINGS frame length ${p.length} is invalid`);
          return;
        }
        const settings: [number, number][] = [];
        for (let i = 0; i < p.length; i += 6) {
          settings.push([(p[i] << 8) | p[i + 1], readUint32(p, i + 2)]);
        }
        callbacks.onSettings?.({ direction, ack, settings, offset: frameOffset });
        break;
      }
      case FrameType.PING:
        if (!needStream(false) || !needLength(8)) return;
        break;
      case FrameType.GOAWAY: {
        if (!needStream(false)) return;
        if (p.length < 8) {
          fail("framing", `GOAWAY frame length ${p.length} (must be at least 8)`);
          return;
        }
        const errorCode = readUint32(p, 4);
        callbacks.onGoaway?.({
          direction,
          lastStreamId: readUint31(p, 0),
          errorCode,
          errorName: errorCodeName(errorCode),
          debugData: latin1Decode(p, 8),
          offset: frameOffset,
        });
        break;
      }
      case FrameType.WINDOW_UPDATE:
        if (!needLength(4)) return;
        break;
      default:
        break; // unknown frame types are ignored (RFC 9113 4.1)
    }
    if (phase === Phase.Stopped) return;
    callbacks.onFrame?.({
      direction,
      type,
      typeName: frameTypeName(type),
      flags,
      streamId,
      length: frame.length,
      offset: frameOffset,
    });
  }

  function feed(bytes: Uint8Array): void {
    let i = 0;
    const n = bytes.length;
    while (i < n && phase !== Phase.Stopped) {
      switch (phase) {
        case Phase.Preface: {
          while (i < n && prefaceMatched < HTTP2_PREFACE.length) {
            if (bytes[i] !== HTTP2_PREFACE[prefaceMatched]) {
              fail("syntax", "stream does not start with the HTTP/2 connection preface", offset);
              return;
            }
            i++;
            offset++;
            prefaceMatched++;
          }
          if (prefaceMatched === HTTP2_PREFACE.length) {
            phase = Phase.FrameHeader;
            callbacks.onPreface?.({ direction, offset: offset - HTTP2_PREFACE.length });
          }
          break;
        }
        case Phase.FrameHeader: {
          const take = Math.min(FRAME_HEADER_LENGTH - headerFill, n - i);
          if (headerFill === 0) frameOffset = offset;
          header.set(bytes.subarray(i, i + take), headerFill);
          headerFill += take;
          i += take;
          offset += take;
          if (headerFill < FRAME_HEADER_LENGTH) break;
          headerFill = 0;
          frame = readFrameHeader(header);
          if (frame.length > maxBufferSize || frame.length > MAX_FRAME_LENGTH) {
            fail(
              "buffer-limit",
              `${frameTypeName(frame.type)} frame length ${frame.length} exceeds maxBufferSize ` +
                `(${maxBufferSize} bytes)`,
            );
            return;
          }
          payload.clear();
          phase = Phase.FramePayload;
          if (frame.length === 0) {
            phase = Phase.FrameHeader;
            processFrame();
          }
          break;
        }
        case Phase.FramePayload: {
          const take = Math.min(frame.length - payload.length, n - i);
          payload.append(bytes, i, i + take);
          i += take;
          offset += take;
          if (payload.length === frame.length) {
            phase = Phase.FrameHeader;
            processFrame();
          }
          break;
        }
      }
    }
  }

  return {
    feed(bytes: Uint8Array) {
      if (phase !== Phase.Stopped) feed(bytes);
    },
    end() {
      if (phase === Phase.Stopped) return;
      const wasMidFrame = headerFill > 0 || phase === Phase.FramePayload;
      const inPreface = phase === Phase.Preface && prefaceMatched > 0;
      phase = Phase.Stopped;
      if (wasMidFrame || pending) {
        callbacks.onError?.(
          new ProtocolError(
            "truncated",
            `HTTP/2 ${direction}: stream ended inside a ${pending ? "header block" : "frame"}`,
            frameOffset,
          ),
        );
      } else if (inPreface) {
        callbacks.onError?.(
          new ProtocolError("truncated", `HTTP/2 ${direction}: stream ended inside the preface`),
        );
      }
      for (const id of [...streams.keys()].sort((a, b) => a - b)) {
        endStream(id, "incomplete", offset);
      }
    },
    peerHeaderTableSize(size: number) {
      decoder.raiseMaxTableSize(Math.min(size, hardTableCap));
    },
    get peakBufferCapacity() {
      return Math.max(payload.peakCapacity, block.peakCapacity);
    },
  };
}

export interface Http2Connection {
  /** Feed client -> server bytes (starting with the preface). */
  client: Http2Parser;
  /** Feed server -> client bytes. */
  server: Http2Parser;
}

/**
 * Pairs the two directions of one connection. Events carry `direction`. Each direction has
 * its own HPACK decoder; SETTINGS_HEADER_TABLE_SIZE sent by one side is applied to the decoder
 * of the other direction (whose encoder it constrains).
 */
export function createHttp2Connection(
  callbacks: Http2Callbacks,
  options: Omit<Http2Options, "direction"> = {},
): Http2Connection {
  const wrap = (other: () => Http2Parser): Http2Callbacks => ({
    ...callbacks,
    onSettings(ev) {
      if (!ev.ack) {
        for (const [id, value] of ev.settings) {
          if (id === Setting.HEADER_TABLE_SIZE) other().peerHeaderTableSize(value);
        }
      }
      callbacks.onSettings?.(ev);
    },
  });
  const client: Http2Parser = createHttp2Parser(wrap(() => server), {
    ...options,
    direction: "client",
  });
  const server: Http2Parser = createHttp2Parser(wrap(() => client), {
    ...options,
    direction: "server",
  });
  return { client, server };
}
