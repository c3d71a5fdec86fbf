/**
 * The one definition of an HTTP/1 start line the redaction goes by — a status line
 * (`HTTP/1.1 200`, RFC 9112 4) or a request line (`METHOD target HTTP/1.1`, RFC 9112 3):
 * method `[A-Z]+`, target of at least one byte none of which is blank (SP, HT, VT, FF, CR, LF
 * or NBSP 0xA0: what JS's `\s` is on a byte), version `HTTP/1.0` or `HTTP/1.1`. Fed one byte
 * at a time (StartLineMatcher): a status line is known after its code's third digit; a
 * request line at its LF (a CR before it allowed). The body masker finds framing by it
 * (`isStartLine`, http1_body_secrets.ts), the header redactor keeps a line cut by a gap by it
 * (capture/redact.ts), and the JSON masker after a gap lets a line through by it
 * (gap_json_masker.ts): all three must agree on what a start line is.
 */

const H = "HTTP/1.";
const SP = 32, CR = 13, LF = 10;

export type StartLineVerdict = "maybe" | "no" | "status" | "request";

export class StartLineMatcher {
  /** bytes fed on this line */
  #n = 0;
  #status = true;
  /** request line: 0 method, 1 target, 2 version (#v bytes of it), 3 CR seen, -1 dead */
  #phase = 0;
  #v = 0;

  reset(): void {
    this.#n = 0;
    this.#status = true;
    this.#phase = 0;
    this.#v = 0;
  }

  /** The next byte of the line (its LF too): what the line is, as far as it can tell. */
  feed(c: number): StartLineVerdict {
    const k = this.#n++;
    if (this.#status) this.#status = statusByte(k, c);
    if (this.#status && k === 11) return "status";
    this.#requestByte(c);
    if (this.#phase === 4) return "request";
    return this.#status || this.#phase >= 0 ? "maybe" : "no";
  }

  #requestByte(c: number): void {
    switch (this.#phase) {
      case 0: // method
        if (c === SP && this.#n > 1) this.#phase = 1;
        else if (c < 65 || c > 90) this.#phase = -1;
        return;
      case 1: // target: at least one non-blank byte
        if (c === SP && this.#v > 0) {
          this.#phase = 2;
          this.#v = 0;
        } else if (isBlank(c)) this.#phase = -1;
        else this.#v = 1;
        return;
      case 2: // version
        if (this.#v < H.length) {
          if (c !== H.charCodeAt(this.#v++)) this.#phase = -1;
        } else if (this.#v === H.length) {
          this.#v++;
          if (c !== 48 && c !== 49) this.#phase = -1;
        } else if (c === CR) this.#phase = 3;
        else this.#phase = c === LF ? 4 : -1;
        return;
      case 3:
        this.#phase = c === LF ? 4 : -1;
        return;
    }
  }
}

/** Whether byte `c` at `k` keeps a line a prefix of `HTTP/1.[01] \d{3}`. */
function statusByte(k: number, c: number): boolean {
  if (k < H.length) return c === H.charCodeAt(k);
  if (k === 7) return c === 48 || c === 49;
  if (k === 8) return c === SP;
  return k <= 11 && c >= 48 && c <= 57;
}

/** A byte JS's `\s` matches (as a latin1 character): none may be in a request target. */
function isBlank(c: number): boolean {
  return c === SP || (c >= 9 && c <= 13) || c === 0xa0;
}

/**
 * Whether `line` (latin1, one character a byte, without its CRLF or LF) is a start line: a
 * status line's start or a whole request line.
 */
export function isStartLine(line: string): boolean {
  const m = new StartLineMatcher();
  for (let k = 0; k < line.length; k++) {
    const c = line.charCodeAt(k);
    if (c === CR) return false; // its line end is not in it: a CR before it is one too many
    const v = m.feed(c);
    if (v === "status") return true;
    if (v === "no") return false;
  }
  return m.feed(LF) === "request";
}
