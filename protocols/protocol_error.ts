/**
 * The one error type the protocol parsers report through their `onError` callbacks.
 *
 * Parsers never throw from `feed`/`end`; they hand a `ProtocolError` to `onError` with a stable
 * machine-readable `code`, a human-readable message and, where known, the stream offset at
 * which the problem was detected.
 */

/** Stable error codes, so callers and tests can branch without matching message text. */
export type ProtocolErrorCode =
  | "buffer-limit" // a bounded buffer (line, head, event, frame, block) would exceed its limit
  | "output-limit" // decoded output would exceed its limit
  | "syntax" // bytes that do not follow the protocol grammar
  | "framing" // inconsistent message or frame framing (lengths, chunk sizes, frame order)
  | "compression" // HPACK or content-coding decode failure
  | "checksum" // a frame's checksum does not match its bytes (AWS event stream CRCs)
  | "unsupported" // something valid that this implementation cannot handle
  | "truncated"; // the stream ended inside a unit that cannot be reported as incomplete

export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;
  /** Offset in the parser's byte stream where the problem was detected, if known. */
  readonly offset: number | undefined;

  constructor(code: ProtocolErrorCode, message: string, offset?: number) {
    super(offset === undefined ? message : `${message} (at stream offset ${offset})`);
    this.name = "ProtocolError";
    this.code = code;
    this.offset = offset;
  }
}
