/**
 * The seam a chunk boundary of an HTTP/1 chunked body (RFC 9112 7.1) leaves in the raw bytes,
 * between one chunk's data and the next: `CRLF chunk-size [ chunk-ext ] CRLF`. A masker that
 * reads bytes as they stand, not through their framing (url_param_mask.ts), matches it where a
 * value seems to end at a CR, so that a value a boundary cuts goes on after it: an SSE
 * `endpoint` event's `sessionId=` split over two chunks is one value, not a value and raw text.
 *
 * Fed byte by byte (from the CR), across chunks: `more` while the bytes may be a seam, `yes` at
 * the LF that ends one whose size is not zero (a zero size is the last chunk: the body ends),
 * `no` at the first byte that rules it out. A chunk extension (RFC 9112 7.1.1: `;name`,
 * `;name=token`, `;name="quoted string"`, blanks between) is taken as any bytes but CR and LF,
 * up to its CR: a superset of the grammar (control bytes too, which real clients accept), so
 * that no extension ends a value early. Past MAX_SEAM bytes while it may still be one, a size
 * of more than 16 digits, or a bare LF ending the size or extension (which lenient clients
 * take as the line's end), or a CR inside a quoted string of an extension (none in the
 * grammar; a line's end to some clients, not to others): `long` (the caller fails closed: masks
 * what may be the value's rest after the seam's line), the byte it comes at the first one after
 * the seam's bytes so far (at a CR in quotes: the byte after it).
 */

const CR = 13, LF = 10, SEMI = 59, SP = 32, HT = 9, QUOTE = 34, BACKSLASH = 92;

/** The longest seam matched to its end: a 16-digit size and an extension of some 200 bytes. */
export const MAX_SEAM = 256;

const enum Phase {
  /** the CR is in: its LF */
  Lf,
  /** the size's first hex digit */
  First,
  /** more hex digits, or what ends the size */
  Size,
  /** a chunk extension, up to its CR */
  Ext,
  /** the LF that ends the size line */
  End,
  /** a CR inside a quoted string of an extension: RFC 9112's grammar has none there */
  QuotedCr,
}

export type SeamVerdict = "more" | "yes" | "no" | "long";

export class ChunkSeam {
  #phase = Phase.Lf;
  #len = 0;
  #digits = 0;
  #nonZero = false;
  /** in an extension: inside a quoted string, and right after its backslash */
  #quoted = false;
  #escaped = false;

  /** The last `long` came at the byte after a CR inside a quoted extension. */
  get quotedCr(): boolean {
    return this.#phase === Phase.QuotedCr;
  }

  /** Starts a match at a CR (the byte itself is taken). */
  begin(): void {
    this.#phase = Phase.Lf;
    this.#len = 1;
    this.#digits = 0;
    this.#nonZero = false;
    this.#quoted = this.#escaped = false;
  }

  /** The next byte after the CR. */
  feed(c: number): SeamVerdict {
    if (++this.#len > MAX_SEAM && this.#phase !== Phase.End) {
      // still a seam's extension: maybe one, too long to follow (a CR here ends it)
      if (this.#phase === Phase.Ext || this.#phase === Phase.QuotedCr) return "long";
      return "no";
    }
    switch (this.#phase) {
      case Phase.Lf:
        if (c !== LF) return "no";
        this.#phase = Phase.First;
        return "more";
      case Phase.First:
      case Phase.Size: {
        const hex = (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 102);
        if (hex && this.#digits < 16) {
          this.#digits++;
          if (c !== 48) this.#nonZero = true;
          this.#phase = Phase.Size;
          return "more";
        }
        if (this.#phase === Phase.First) return "no";
        // more digits than any size (leading zeros a client may accept), or a bare LF ending
        // the size line (one a lenient client takes): maybe a seam, not followed (fail closed)
        if (hex || c === LF) return "long";
        if (c === CR) this.#phase = Phase.End;
        else if (c === SEMI || c === SP || c === HT) this.#phase = Phase.Ext;
        else return "no";
        return "more";
      }
      case Phase.Ext:
        // any byte but CR and LF (controls too: a client may take them); a bare LF: maybe its
        // end, not followed (fail closed)
        if (c === CR) this.#phase = this.#quoted ? Phase.QuotedCr : Phase.End;
        else if (c === LF) return "long";
        else if (this.#escaped) this.#escaped = false;
        else if (c === QUOTE) this.#quoted = !this.#quoted;
        else if (c === BACKSLASH && this.#quoted) this.#escaped = true;
        return "more";
      case Phase.QuotedCr:
        // a CR in a quoted string: the line's end to a lenient client (then a LF here), or
        // part of the extension to another: maybe a seam, not followed (fail closed; the CR
        // taken, this byte the first after it)
        return "long";
      case Phase.End:
        return c === LF && this.#nonZero ? "yes" : "no";
    }
  }
}
