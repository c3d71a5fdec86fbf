/**
 * Cuts a zstd stream at its frame boundaries (RFC 8878 3.1: compressed data is one or more
 * frames, Zstandard frames and skippable frames, one after another), as it is fed. Deno's
 * `node:zlib` zstd decoder stops at the end of the frame it is in and drops the rest of that
 * write, so a two-frame body decoded in one write came out as its first frame only, and one
 * opening with a skippable frame came out empty, with no error. Handing the decoder one frame
 * per write (content_encoding.ts) decodes them all.
 *
 * Only the framing is read: the frame header's size (3.1.1.1), each block's 3-byte header and
 * its size on the wire (3.1.1.2: an RLE block carries 1 byte), the optional 4-byte checksum, a
 * skippable frame's 4-byte size. Bytes that are not a frame (a bad magic number, a reserved
 * block type) end the splitting: the rest goes through in one piece, for the decoder to reject.
 *
 * Skippable frames are marked `skip` (3.1.2: a decoder ignores them), so the caller can count
 * their bytes without handing them over; a frame's magic number split across two feeds is held
 * back until it is whole, so no piece starts with bytes of a frame not yet known. More than
 * `maxFrames` frames in one body (default 65,536; half a million empty skippable frames fit in
 * 4 MB) throw a `ProtocolError`. `midFrame()` tells whether the bytes so far end inside a frame:
 * at the end of the body, a truncated one.
 */

import { ProtocolError } from "./protocol_error.ts";
import { concatBytes } from "../kit/bytes.ts";

const ZSTD_MAGIC = 0xfd2fb528;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;

/** Part of one frame (or, once lost, all the rest); `skip`: of a skippable frame. */
export interface ZstdPiece {
  bytes: Uint8Array;
  skip: boolean;
}

export interface ZstdFrameSplitter {
  /**
   * The bytes, cut after each frame end they hold (a piece never spans two frames). Throws a
   * `ProtocolError` ("compression") once the body holds more than `maxFrames` frames.
   */
  split(bytes: Uint8Array): ZstdPiece[];
  /** True when the bytes so far end inside a frame (not after bytes that are no frame). */
  midFrame(): boolean;
}

export const DEFAULT_MAX_ZSTD_FRAMES = 65_536;

export function createZstdFrameSplitter(
  options: { maxFrames?: number } = {},
): ZstdFrameSplitter {
  const maxFrames = options.maxFrames ?? DEFAULT_MAX_ZSTD_FRAMES;
  let frames = 0;
  let skippable = false; // the frame being read is a skippable one
  let held: Uint8Array = new Uint8Array(0); // a frame's magic number, not yet whole
  // what the next bytes are; `need` header bytes are gathered in `hdr`, `skip` bytes pass
  type Want = "magic" | "fhd" | "frame-header" | "block-header" | "skip-size" | "lost";
  let want: Want = "magic";
  let hdr: number[] = [];
  let need = 4;
  let skip = 0; // content bytes to pass before the next header
  let afterSkip: "block-header" | "frame-end" = "frame-end";
  let checksum = 0;

  const frameEnd = () => {
    want = "magic";
    need = 4;
  };
  const u32 = (b: number[]) => (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;

  /** A header is complete in `hdr`: say what follows. Returns true at a frame end. */
  const header = (): boolean => {
    const h = hdr;
    hdr = [];
    switch (want) {
      case "magic": {
        const magic = u32(h);
        skippable = (magic & SKIPPABLE_MASK) === SKIPPABLE_MAGIC;
        if (magic === ZSTD_MAGIC) (want = "fhd", need = 1);
        else if (skippable) (want = "skip-size", need = 4);
        else want = "lost";
        if (want !== "lost" && ++frames > maxFrames) {
          want = "lost";
          throw new ProtocolError("compression", `zstd: more than ${maxFrames} frames in one body`);
        }
        return false;
      }
      case "fhd": {
        const fhd = h[0];
        const fcsFlag = fhd >> 6;
        const single = (fhd >> 5) & 1;
        checksum = (fhd >> 2) & 1 ? 4 : 0;
        const fcs = fcsFlag === 0 ? single : [1, 2, 4, 8][fcsFlag];
        need = (single ? 0 : 1) + [0, 1, 2, 4][fhd & 3] + fcs;
        want = need === 0 ? "block-header" : "frame-header";
        if (need === 0) need = 3;
        return false;
      }
      case "frame-header":
        want = "block-header";
        need = 3;
        return false;
      case "block-header": {
        const b = h[0] | (h[1] << 8) | (h[2] << 16);
        const last = b & 1;
        const type = (b >> 1) & 3;
        if (type === 3) {
          want = "lost";
          return false;
        }
        skip = type === 1 ? 1 : b >>> 3;
        afterSkip = last ? "frame-end" : "block-header";
        if (last) skip += checksum;
        return settle();
      }
      case "skip-size":
        skip = u32(h);
        afterSkip = "frame-end";
        return settle();
      default:
        return false;
    }
  };

  /** After a skip is set: if it is empty, move on at once. */
  const settle = (): boolean => {
    if (skip > 0) return false;
    if (afterSkip === "frame-end") {
      frameEnd();
      return true;
    }
    want = "block-header";
    need = 3;
    return false;
  };

  return {
    split(input) {
      // a magic number held back from the last feed is read again, whole this time
      const bytes = held.length > 0 ? concatBytes([held, input]) : input;
      if (held.length > 0) (held = new Uint8Array(0), hdr = []);
      const pieces: ZstdPiece[] = [];
      let from = 0;
      let i = 0;
      const cut = () => {
        pieces.push({ bytes: bytes.subarray(from, i), skip: skippable });
        from = i;
      };
      while (i < bytes.length && want !== "lost") {
        if (skip > 0) {
          const n = Math.min(skip, bytes.length - i);
          skip -= n;
          i += n;
          if (skip === 0 && settle()) cut();
          continue;
        }
        hdr.push(bytes[i++]);
        if (hdr.length === need && header()) cut();
      }
      if (want === "magic" && hdr.length > 0) {
        held = bytes.slice(from); // only the part of the magic number: pieces end at frames
      } else if (from < bytes.length) {
        pieces.push({ bytes: bytes.subarray(from), skip: want !== "lost" && skippable });
      }
      return pieces;
    },
    midFrame: () => want !== "lost" && !(want === "magic" && hdr.length === 0 && held.length === 0),
  };
}
