/**
 * WebSocket push parser (RFC 6455 section 5) for one direction of a connection after its
 * upgrade: frame headers (7-, 16- and 64-bit lengths), masking, fragmented messages with their
 * continuation frames, control frames (close, ping, pong) interleaved between fragments, and
 * `permessage-deflate` (RFC 7692: RSV1 on a message's first frame, inflated per message with a
 * window carried across messages as negotiated).
 *
 * Every message is reported when its last byte arrives: data messages (text, binary) whole
 * and decoded, control frames as their own messages. Offsets: `firstByte` is the stream offset
 * of the first byte of the message's first frame, `lastByte` of its last byte, so a caller can
 * time each message by the TLS call that carried it. At `end()` a message cut short is still
 * reported, flagged `incomplete`, with what had arrived (inflated as far as it goes).
 *
 * Bounds: a message's payload on the wire is held up to `maxBufferSize` bytes; a larger one is
 * counted and skipped (frames keep their lengths, so parsing goes on), reported through
 * `onError` and on the message. Decoded messages are bounded by `maxMessageSize` and by an
 * inflate ratio (see permessage_deflate.ts). Errors that make the rest unreadable — reserved
 * bits or opcodes, RSV1 without the extension, a broken fragment sequence, a control frame that
 * is fragmented or longer than 125 bytes, a length above 2^53 — stop the parser; later input is
 * not parsed, and `end()` reports how many bytes that was (the messages in them are lost, never
 * silently). A frame masked against the rule for its sender is reported once and parsed anyway.
 *
 * Errors that leave the framing intact are reported and parsing goes on, every later message
 * reported as sent (an observer keeps what was on the wire; the receiver itself would have
 * failed the connection there, RFC 6455 7.1.7, so the messages after it may never have been
 * read): a text message (whole, after its fragments are joined and it is inflated) that is not
 * valid UTF-8 (5.6, 8.1) — the message keeps its bytes and says so in `error`; a close frame
 * whose body is 1 byte (5.5.1: a body starts with a 2-byte status code), whose code must not be
 * sent (7.4.1, 7.4.2: below 1000, 1004 to 1006, 1015, the unassigned 1016 to 2999, 5000 and
 * up), or whose reason is not UTF-8 (5.5.1) — the close keeps its fields and says so in `error`.
 */

import { ByteAccumulator } from "./byte_accumulator.ts";
import { createMessageInflater, type MessageInflater } from "./permessage_deflate.ts";
import { ProtocolError } from "./protocol_error.ts";
import { isUtf8 as isUtf8Bytes } from "node:buffer";

export type WebSocketMessageKind = "text" | "binary" | "close" | "ping" | "pong";

export interface WebSocketMessage {
  /** 0-based count of messages reported by this parser */
  index: number;
  opcode: number;
  kind: WebSocketMessageKind;
  /** the payload, unmasked and decompressed */
  data: Uint8Array;
  /** payload bytes on the wire, all frames together */
  wireSize: number;
  /** sent with permessage-deflate (RSV1) */
  compressed: boolean;
  frames: number;
  firstByte: number;
  lastByte: number;
  /** the stream ended inside this message */
  incomplete: boolean;
  /** close frames: the status code and reason, when given */
  closeCode?: number;
  closeReason?: string;
  /**
   * why `data` is not the whole message (too large, not decodable), or what in it breaks
   * RFC 6455 though framed right (text not UTF-8, a close frame's body or code or reason)
   */
  error?: string;
  /** a text message (or a close reason) that is not valid UTF-8: `data` holds its bytes */
  invalidUtf8?: boolean;
}

export interface WebSocketCallbacks {
  onMessage(message: WebSocketMessage): void;
  onError?(error: ProtocolError): void;
}

export interface WebSocketOptions {
  /** Bound on one message's payload held (on the wire), in bytes. Default 16 MiB. */
  maxBufferSize?: number;
  /** Bound on one decoded message. Default 64 MiB. */
  maxMessageSize?: number;
  /** Bound on decoded/compressed size of one message (above a 1 MiB floor). Default 256. */
  maxInflateRatio?: number;
  /**
   * permessage-deflate as agreed for this direction; absent or null: not agreed.
   * `unknownHistory`: the stream is read from its middle (see permessage_deflate.ts).
   */
  deflate?: { windowBits: number; noContextTakeover: boolean; unknownHistory?: boolean } | null;
  /** Who sends this stream: client frames must be masked, server frames must not. */
  sender?: "client" | "server";
  /** Stream offset of the first byte fed. Default 0. */
  startOffset?: number;
  /** `index` of the first message reported (a stream read again after a break). Default 0. */
  firstIndex?: number;
}

export interface WebSocketParser {
  feed(bytes: Uint8Array): void;
  end(): void;
  /** Largest internal buffer capacity so far (for memory-bound checks). */
  readonly peakBufferCapacity: number;
}

const KINDS: Record<number, WebSocketMessageKind> = {
  1: "text",
  2: "binary",
  8: "close",
  9: "ping",
  10: "pong",
};

/** The data message being assembled (across fragments). */
interface Assembly {
  opcode: number;
  compressed: boolean;
  frames: number;
  firstByte: number;
  wireSize: number;
  /** its payload outgrew maxBufferSize: bytes are counted, not kept */
  skipped: boolean;
}

/** The frame being read. */
interface Frame {
  fin: boolean;
  opcode: number;
  rsv1: boolean;
  masked: boolean;
  mask: Uint8Array;
  length: number;
  /** payload bytes read so far */
  read: number;
  firstByte: number;
}

/**
 * Whether `data` is UTF-8 (RFC 6455 5.6 and 8.1: RFC 3629, checked exactly, without making a
 * string: node:buffer's isUtf8); `cut`: the message was cut short, so it may end inside a
 * character — a fatal streaming decoder checks that rarer case.
 */
function isUtf8(data: Uint8Array, cut = false): boolean {
  if (!cut) return isUtf8Bytes(data);
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(data, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/**
 * Why a close frame's status code must not be on the wire, or null when it may be: RFC 6455
 * 7.4.1 (1005, 1006, 1015 "MUST NOT be set as a status code in a Close control frame by an
 * endpoint"; 1004 reserved), 7.4.2 (0-999 "not used"; 1000-2999 reserved for this protocol and
 * its extensions: assigned in the IANA registry, 11.7, up to 1014 — 1016 to 2999 are not;
 * 3000-4999 for libraries and applications; nothing above).
 */
export function forbiddenCloseCode(code: number): string | null {
  if (code < 1000) return "below 1000, not used (RFC 6455 7.4.2)";
  if (code === 1004 || code === 1005 || code === 1006 || code === 1015) {
    return "reserved, must not be sent in a close frame (RFC 6455 7.4.1)";
  }
  if (code >= 1016 && code <= 2999) return "unassigned in 1000-2999 (RFC 6455 7.4.2, 11.7)";
  if (code >= 5000) return "above 4999, not defined (RFC 6455 7.4.2)";
  return null;
}

export function createWebSocketParser(
  callbacks: WebSocketCallbacks,
  options: WebSocketOptions = {},
): WebSocketParser {
  const maxBufferSize = options.maxBufferSize ?? 16 * 1024 * 1024;
  const inflater: MessageInflater | null = options.deflate
    ? createMessageInflater({
      windowBits: options.deflate.windowBits,
      noContextTakeover: options.deflate.noContextTakeover,
      unknownHistory: options.deflate.unknownHistory,
      maxMessageSize: options.maxMessageSize,
      maxInflateRatio: options.maxInflateRatio,
    })
    : null;

  // state that crosses chunk boundaries
  let offset = options.startOffset ?? 0;
  let stopped = false;
  /** stopped by an error that made the rest unreadable; bytes not parsed after it */
  let failedAt: number | null = null;
  let unparsed = 0;
  /** text messages not valid UTF-8: the first is reported at once, the count at the end */
  let badText = 0;
  let count = options.firstIndex ?? 0;
  let maskReported = false;
  /** header bytes of the frame being read, until it is complete (at most 14) */
  const head = new Uint8Array(14);
  let headLen = 0;
  let frame: Frame | null = null;
  let message: Assembly | null = null;
  const payload = new ByteAccumulator(maxBufferSize);
  /** payload of the control frame being read (at most 125 bytes) */
  const control = new ByteAccumulator(125);

  const fail = (code: "framing" | "syntax" | "unsupported", text: string, at: number) => {
    stopped = true;
    failedAt = at;
    callbacks.onError?.(new ProtocolError(code, text, at));
  };

  const emit = (m: Omit<WebSocketMessage, "index" | "kind">) => {
    callbacks.onMessage({ index: count++, kind: KINDS[m.opcode], ...m });
  };

  /** Header length needed so far, or the full length once byte 1 is known. */
  const headNeed = (): number => {
    if (headLen < 2) return 2;
    const len7 = head[1] & 0x7f;
    return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (head[1] & 0x80 ? 4 : 0);
  };

  /** Starts a frame from a complete header; false if the stream is unreadable from here. */
  const startFrame = (firstByte: number): boolean => {
    const b0 = head[0];
    const b1 = head[1];
    const opcode = b0 & 0x0f;
    const rsv1 = (b0 & 0x40) !== 0;
    const masked = (b1 & 0x80) !== 0;
    let length = b1 & 0x7f;
    let p = 2;
    if (length === 126) {
      length = (head[2] << 8) | head[3];
      p = 4;
    } else if (length === 127) {
      const hi = ((head[2] << 24) | (head[3] << 16) | (head[4] << 8) | head[5]) >>> 0;
      const lo = ((head[6] << 24) | (head[7] << 16) | (head[8] << 8) | head[9]) >>> 0;
      if (hi >= 0x200000) {
        fail("framing", "frame length above 2^53", firstByte);
        return false;
      }
      length = hi * 0x100000000 + lo;
      p = 10;
    }
    if (b0 & 0x30) {
      fail("framing", "reserved bits RSV2/RSV3 set", firstByte);
      return false;
    }
    if (!(opcode in KINDS) && opcode !== 0) {
      fail("framing", `reserved opcode 0x${opcode.toString(16)}`, firstByte);
      return false;
    }
    const isControl = opcode >= 8;
    if (isControl && (!(b0 & 0x80) || length > 125)) {
      fail("framing", "control frame fragmented or longer than 125 bytes", firstByte);
      return false;
    }
    if (rsv1 && (!inflater || isControl || opcode === 0)) {
      fail(
        "framing",
        inflater
          ? "RSV1 set on a control or continuation frame"
          : "RSV1 set but no extension agreed",
        firstByte,
      );
      return false;
    }
    if (opcode === 0 && !message) {
      fail("framing", "continuation frame with no message started", firstByte);
      return false;
    }
    if ((opcode === 1 || opcode === 2) && message) {
      fail("framing", "new data message inside a fragmented one", firstByte);
      return false;
    }
    if (options.sender && masked !== (options.sender === "client") && !maskReported) {
      maskReported = true;
      callbacks.onError?.(
        new ProtocolError(
          "framing",
          `${options.sender} frame ${masked ? "masked" : "not masked"}, against RFC 6455 5.1`,
          firstByte,
        ),
      );
    }
    frame = {
      fin: (b0 & 0x80) !== 0,
      opcode,
      rsv1,
      masked,
      mask: masked ? head.slice(p, p + 4) : new Uint8Array(0),
      length,
      read: 0,
      firstByte,
    };
    if (!isControl) {
      if (!message) {
        message = {
          opcode,
          compressed: rsv1,
          frames: 0,
          firstByte,
          wireSize: 0,
          skipped: false,
        };
        payload.clear();
      }
      message.frames++;
      message.wireSize += length;
      if (!message.skipped && message.wireSize > maxBufferSize) {
        message.skipped = true;
        payload.clear();
        callbacks.onError?.(
          new ProtocolError(
            "buffer-limit",
            `message of at least ${message.wireSize} bytes exceeds maxBufferSize ` +
              `(${maxBufferSize}): skipped`,
            message.firstByte,
          ),
        );
      }
    } else control.clear();
    return true;
  };

  /** Decodes and reports the data message just completed (or cut short). */
  const finishMessage = (lastByte: number, incomplete: boolean) => {
    const m = message!;
    message = null;
    let data: Uint8Array = new Uint8Array(0);
    let error: string | undefined;
    if (m.skipped) {
      error =
        `${m.wireSize} bytes on the wire, more than maxBufferSize (${maxBufferSize}): not kept`;
      if (m.compressed) inflater?.lose("a message was too large to keep");
    } else if (m.compressed && inflater) {
      const r = inflater.inflate(payload.view(), incomplete);
      data = r.data;
      if (r.error && !(incomplete && r.error.code === "truncated")) {
        error = `permessage-deflate: ${r.error.message}`;
        callbacks.onError?.(
          new ProtocolError(
            r.error.code === "output-limit" ? "output-limit" : "compression",
            `message ${count}: ${error}`,
            m.firstByte,
          ),
        );
      }
      if (incomplete) inflater.lose("a message was cut short");
    } else data = payload.view().slice();
    payload.clear();
    // a compressed message read against an unknown history holds NULs where it refers to it, a
    // stand-in that can cut a character: websocket_resync.ts reads those, not this check
    const standIns = m.compressed && options.deflate?.unknownHistory && data.includes(0);
    const invalidUtf8 = m.opcode === 1 && !error && !standIns && !isUtf8(data, incomplete);
    if (invalidUtf8) {
      error = "not valid UTF-8 (RFC 6455 8.1: the receiver fails the connection here)";
      if (badText++ === 0) {
        callbacks.onError?.(
          new ProtocolError(
            "syntax",
            `text message ${count} is not valid UTF-8 (RFC 6455 5.6, 8.1: the receiver fails ` +
              `the connection); it and the messages after it are kept as sent`,
            m.firstByte,
          ),
        );
      }
    }
    emit({
      ...(invalidUtf8 ? { invalidUtf8 } : {}),
      opcode: m.opcode,
      data,
      wireSize: m.wireSize,
      compressed: m.compressed,
      frames: m.frames,
      firstByte: m.firstByte,
      lastByte,
      incomplete,
      ...(error ? { error } : {}),
    });
  };

  const finishControl = (f: Frame, lastByte: number, incomplete: boolean) => {
    const data = control.view().slice();
    control.clear();
    const m: Omit<WebSocketMessage, "index" | "kind"> = {
      opcode: f.opcode,
      data,
      wireSize: f.length,
      compressed: false,
      frames: 1,
      firstByte: f.firstByte,
      lastByte,
      incomplete,
    };
    const wrong: string[] = [];
    if (f.opcode === 8 && data.length === 1 && !incomplete) {
      wrong.push("a 1-byte body (RFC 6455 5.5.1: a body starts with a 2-byte status code)");
    }
    if (f.opcode === 8 && data.length >= 2) {
      m.closeCode = (data[0] << 8) | data[1];
      m.closeReason = new TextDecoder().decode(data.subarray(2));
      const why = forbiddenCloseCode(m.closeCode);
      if (why) wrong.push(`status code ${m.closeCode}: ${why}`);
      if (!isUtf8(data.subarray(2), incomplete)) {
        m.invalidUtf8 = true;
        wrong.push("a reason that is not valid UTF-8 (RFC 6455 5.5.1, 8.1)");
      }
    }
    if (wrong.length) {
      m.error = `close frame with ${wrong.join("; ")}`;
      callbacks.onError?.(
        new ProtocolError("syntax", `message ${count}: ${m.error}`, f.firstByte),
      );
    }
    emit(m);
  };

  /** The current frame's payload is complete. */
  const endFrame = (lastByte: number) => {
    const f = frame!;
    frame = null;
    if (f.opcode >= 8) finishControl(f, lastByte, false);
    else if (f.fin) finishMessage(lastByte, false);
  };

  return {
    get peakBufferCapacity() {
      return Math.max(payload.peakCapacity, control.peakCapacity);
    },

    feed(bytes: Uint8Array) {
      if (stopped) {
        unparsed += bytes.length;
        return;
      }
      let i = 0;
      while (i < bytes.length && !stopped) {
        if (!frame) {
          const start = offset - headLen;
          while (i < bytes.length && headLen < headNeed()) {
            head[headLen++] = bytes[i++];
            offset++;
          }
          if (headLen < headNeed()) break;
          headLen = 0;
          if (!startFrame(start)) {
            unparsed += offset - start + bytes.length - i;
            return;
          }
          if (frame!.length === 0) endFrame(offset - 1);
          continue;
        }
        const f: Frame = frame;
        const n = Math.min(bytes.length - i, f.length - f.read);
        const chunk = bytes.subarray(i, i + n);
        let data = chunk;
        if (f.masked) {
          data = new Uint8Array(n);
          for (let k = 0; k < n; k++) data[k] = chunk[k] ^ f.mask[(f.read + k) & 3];
        }
        if (f.opcode >= 8) control.append(data);
        else if (!message!.skipped) payload.append(data);
        f.read += n;
        i += n;
        offset += n;
        if (f.read === f.length) endFrame(offset - 1);
      }
    },

    end() {
      const failed = failedAt;
      failedAt = null;
      if (failed !== null) {
        callbacks.onError?.(
          new ProtocolError(
            "framing",
            `not parsed after the error above: ${unparsed} bytes from its frame on ` +
              `(the messages in them are lost)`,
            failed,
          ),
        );
        // a fragmented message begun before the failing frame: its fragments were read, so it
        // is reported, cut short (its end is in what was not parsed)
        if (message) finishMessage(failed - 1, true);
      }
      if (!stopped) {
        stopped = true;
        endInside();
      }
      if (badText > 1) {
        callbacks.onError?.(
          new ProtocolError("syntax", `${badText} text messages in all are not valid UTF-8`),
        );
      }
      badText = 0;
    },
  };

  /** The stream ended: a frame or message cut short is reported, flagged. */
  function endInside() {
    const f = frame;
    if (f || headLen > 0) {
      callbacks.onError?.(
        new ProtocolError(
          "truncated",
          f
            ? `stream ended inside a frame (${f.read} of ${f.length} payload bytes)`
            : "stream ended inside a frame header",
          offset,
        ),
      );
    }
    if (f && f.opcode >= 8) finishControl(f, offset - 1, true);
    if (message) finishMessage(offset - 1, true);
  }
}
