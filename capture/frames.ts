/**
 * Push parser for the loader's framing: a little-endian u32 length, then that many bytes of
 * record. Transport-free: feed it whatever the socket delivers.
 */

export interface FrameCallbacks {
  /** A whole record. The view is only valid during the call; copy what you keep. */
  onFrame(record: Uint8Array): void;
  onError?(err: Error): void;
}

export interface FrameParser {
  feed(bytes: Uint8Array): void;
  /** Ends the stream; returns how many bytes of an unfinished frame were left over. */
  end(): number;
}

export function createFrameParser(
  cb: FrameCallbacks,
  { maxBufferSize = 1 << 24 }: { maxBufferSize?: number } = {},
): FrameParser {
  /** a frame that began in an earlier chunk: its bytes so far (header included) */
  let pending = new Uint8Array(0);
  let pendingFill = 0;
  let failed = false;

  function tooBig(len: number): boolean {
    if (len <= maxBufferSize) return false;
    failed = true;
    cb.onError?.(new Error(`frame of ${len} bytes exceeds the ${maxBufferSize} byte limit`));
    return true;
  }

  /** Parses whole frames from `buf`; returns the bytes of an unfinished one at its end. */
  function parse(buf: Uint8Array): Uint8Array {
    let off = 0;
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    while (buf.length - off >= 4) {
      const len = dv.getUint32(off, true);
      if (tooBig(len)) return new Uint8Array(0);
      if (buf.length - off - 4 < len) break;
      cb.onFrame(buf.subarray(off + 4, off + 4 + len));
      off += 4 + len;
    }
    return buf.subarray(off);
  }

  /** Keeps the start of an unfinished frame, sized for the whole frame when known. */
  function hold(rest: Uint8Array) {
    const len = rest.length >= 4
      ? new DataView(rest.buffer, rest.byteOffset, 4).getUint32(0, true) + 4
      : 4;
    pending = new Uint8Array(Math.max(len, rest.length));
    pending.set(rest);
    pendingFill = rest.length;
  }

  return {
    feed(bytes) {
      if (failed || bytes.length === 0) return;
      let off = 0;
      // first complete the frame held from earlier chunks, copying only what it needs
      while (pendingFill && off < bytes.length) {
        if (pendingFill < 4) {
          const k = Math.min(4 - pendingFill, bytes.length - off);
          const head = pending.subarray(0, pendingFill);
          hold(new Uint8Array([...head, ...bytes.subarray(off, off + k)]));
          off += k;
          if (pendingFill < 4) return;
          if (tooBig(pending.length - 4)) return;
          continue;
        }
        const k = Math.min(pending.length - pendingFill, bytes.length - off);
        pending.set(bytes.subarray(off, off + k), pendingFill);
        pendingFill += k;
        off += k;
        if (pendingFill < pending.length) return;
        cb.onFrame(pending.subarray(4));
        pendingFill = 0;
      }
      const rest = parse(bytes.subarray(off));
      if (rest.length && !failed) {
        if (
          rest.length >= 4 &&
          tooBig(new DataView(rest.buffer, rest.byteOffset, 4).getUint32(0, true))
        ) {
          return;
        }
        hold(rest);
      }
    },
    end() {
      const left = pendingFill;
      pendingFill = 0;
      return left;
    },
  };
}
