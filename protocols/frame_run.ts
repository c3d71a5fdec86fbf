/**
 * A run of frames from a byte stream's first byte, fed call by call (a push parser): each
 * frame's header read where calls cut it, its length skipped, and where each frame ends told,
 * with whether a call ends there too. For the checks of a direction's first calls
 * (websocket_start.ts, stream_start.ts), whose evidence is frames that follow one another
 * exactly, as their sender wrote them, to where a call ends.
 */

/** A frame header read: the header, and the whole frame's bytes (header and payload). */
export interface FrameSize<H> {
  header: H;
  size: number;
}

/**
 * Reads a frame header from its first bytes (`b`, at most `maxHeader`): the frame, "short"
 * while more bytes are needed, null when they can begin no frame.
 */
export type FrameHeaderReader<H> = (b: Uint8Array) => FrameSize<H> | "short" | null;

export class FrameRun<H> {
  #read: FrameHeaderReader<H>;
  #onHeader: (h: H) => boolean;
  #onEnd: (h: H, endsCall: boolean) => boolean;
  /** the header being gathered */
  #hdr: Uint8Array;
  #hdrLen = 0;
  /** bytes of the frame at hand still to come (0: between frames, or in a header) */
  #need = 0;
  #frame: H | undefined;
  #broken = false;
  #fed = 0;

  /**
   * `read` reads a header from at most `maxHeader` bytes; `onHeader` gets each frame's header
   * as soon as it is read, `onEnd` the frame again at its end (`endsCall`: a call ends there
   * too): false from either breaks the run.
   */
  constructor(
    read: FrameHeaderReader<H>,
    maxHeader: number,
    onHeader: (h: H) => boolean,
    onEnd: (h: H, endsCall: boolean) => boolean,
  ) {
    this.#read = read;
    this.#hdr = new Uint8Array(maxHeader);
    this.#onHeader = onHeader;
    this.#onEnd = onEnd;
  }

  /** Bytes fed in all. */
  get fed(): number {
    return this.#fed;
  }

  /** No run of frames: a header could not begin a frame, or `onFrame` said so. */
  get broken(): boolean {
    return this.#broken;
  }

  /** Every byte fed so far is in whole frames. */
  get atFrameEnd(): boolean {
    return !this.#broken && this.#need === 0 && this.#hdrLen === 0;
  }

  /** The next call's bytes. */
  push(chunk: Uint8Array): void {
    const n = chunk.length;
    this.#fed += n;
    let i = 0;
    while (i < n && !this.#broken) {
      if (this.#need > 0) {
        const k = Math.min(this.#need, n - i);
        this.#need -= k;
        i += k;
        if (this.#need === 0) this.#end(i === n);
        continue;
      }
      const k = Math.min(this.#hdr.length - this.#hdrLen, n - i);
      this.#hdr.set(chunk.subarray(i, i + k), this.#hdrLen);
      const f = this.#read(this.#hdr.subarray(0, this.#hdrLen + k));
      if (f === "short") {
        this.#hdrLen += k;
        i += k;
        continue;
      }
      if (f === null || !this.#onHeader(f.header)) {
        this.#broken = true;
        return;
      }
      // of the bytes just taken, those past the frame's end belong to the next frame
      const taken = Math.min(k, f.size - this.#hdrLen);
      i += taken;
      this.#need = f.size - this.#hdrLen - taken;
      this.#hdrLen = 0;
      this.#frame = f.header;
      if (this.#need === 0) this.#end(i === n);
    }
  }

  #end(endsCall: boolean): void {
    if (!this.#onEnd(this.#frame!, endsCall)) this.#broken = true;
  }
}
