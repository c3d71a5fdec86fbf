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
  /** bytes of a frame that began in an earlier chunk */
  let pending = new Uint8Array(0);
  let failed = false;

  function parse(buf: Uint8Array): Uint8Array {
    let off = 0;
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    while (buf.length - off >= 4) {
      const len = dv.getUint32(off, true);
      if (len > maxBufferSize) {
        failed = true;
        cb.onError?.(new Error(`frame of ${len} bytes exceeds the ${maxBufferSize} byte limit`));
        return new Uint8Array(0);
      }
      if (buf.length - off - 4 < len) break;
      cb.onFrame(buf.subarray(off + 4, off + 4 + len));
      off += 4 + len;
    }
    return buf.subarray(off);
  }

  return {
    feed(bytes) {
      if (failed || bytes.length === 0) return;
      let buf = bytes;
      if (pending.length) {
        buf = new Uint8Array(pending.length + bytes.length);
        buf.set(pending);
        buf.set(bytes, pending.length);
      }
      const rest = parse(buf);
      pending = rest.length ? rest.slice() : new Uint8Array(0);
    },
    end() {
      const left = pending.length;
      pending = new Uint8Array(0);
      return left;
    },
  };
}
