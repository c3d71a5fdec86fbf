/**
 * How the capture tells MCP's traffic from other JSON on an HTTP connection (HTTP/1 or HTTP/2),
 * so that it masks secrets in MCP's JSON-RPC bodies and leaves an LLM API's alone: the one
 * definition both `http1_body_secrets.ts` and `http2_body_secrets.ts` judge by.
 *
 * - `isMcpRequestHeader`: a request carrying one of streamable HTTP's headers (`Mcp-Session-Id`,
 *   `MCP-Protocol-Version`, or an `Accept` of both `application/json` and `text/event-stream`,
 *   which its POSTs must send) is MCP's.
 * - `FirstMemberReader`: a JSON body whose first member is none of JSON-RPC 2.0's (`jsonrpc`,
 *   `id`, `method`, `params`, `result`, `error`; every MCP SDK writes only these, the TypeScript
 *   and Python ones `method` or `result` first and `jsonrpc` last) is no JSON-RPC: an LLM request
 *   (`{"model":`, `{"messages":`) is known as such as soon as that name is read.
 * - `SseEndpointProbe`: an event stream not known to be MCP's is, if its first dispatched event
 *   (one with `data`) is an `endpoint` event (MCP's HTTP+SSE transport, 2024-11-05, sends one
 *   first on its GET stream).
 */

const LF = 10, CR = 13, SP = 32, HT = 9, QUOTE = 34, LBRACE = 123, LBRACKET = 91;
const BACKSLASH = 92;

/** The members of a JSON-RPC 2.0 message: one of them comes first in every MCP SDK's. */
export const JSONRPC_MEMBERS: ReadonlySet<string> = new Set([
  "jsonrpc",
  "id",
  "method",
  "params",
  "result",
  "error",
]);

/** Whether a request header (lowercase name) makes the request MCP's streamable HTTP. */
export function isMcpRequestHeader(lowercaseName: string, value: string): boolean {
  if (lowercaseName === "mcp-session-id" || lowercaseName === "mcp-protocol-version") return true;
  return lowercaseName === "accept" && /application\/json/i.test(value) &&
    /text\/event-stream/i.test(value); // streamable HTTP's POSTs must accept both
}

const enum Pre {
  /** before its first non-blank byte */
  Blank,
  /** after `{`, before its first member's name */
  Open,
  /** in the first member's name */
  Name,
  /** it may be JSON-RPC: held to its end */
  Held,
}

/** Reads the start of a JSON body, piece by piece, by the first-member rule (module doc). */
export class FirstMemberReader {
  #pre = Pre.Blank;
  #name = "";

  /** A new body begins. */
  reset(): void {
    this.#pre = Pre.Blank;
  }

  /** The body may be JSON-RPC: it is to be held to its end. */
  get held(): boolean {
    return this.#pre === Pre.Held;
  }

  /**
   * Reads `chunk[a, b)`: the position from which the body is known to be no JSON-RPC (not JSON;
   * unless `scan`, an object whose first member is none of JSON-RPC's), or -1 while it is
   * undecided or held (`scan`: any JSON body is held).
   */
  read(chunk: Uint8Array, a: number, b: number, scan: boolean): number {
    for (let p = a; p < b; p++) {
      const c = chunk[p];
      const blank = c === SP || c === HT || c === CR || c === LF;
      if (this.#pre === Pre.Blank) {
        if (blank) continue;
        if (c === LBRACKET || (c === LBRACE && scan)) this.#pre = Pre.Held;
        else if (c === LBRACE) this.#pre = Pre.Open;
        else return p;
      } else if (this.#pre === Pre.Open) {
        if (blank) continue;
        if (c !== QUOTE) return p; // `{}`, or no JSON
        this.#pre = Pre.Name;
        this.#name = "";
      } else if (this.#pre === Pre.Name) {
        if (c === BACKSLASH) this.#pre = Pre.Held; // an escape may spell any name
        else if (c === QUOTE) {
          if (!JSONRPC_MEMBERS.has(this.#name)) return p;
          this.#pre = Pre.Held;
        } else {
          this.#name += String.fromCharCode(c);
          if (this.#name.length > 7) return p; // longer than "jsonrpc"
        }
      }
      if (this.#pre === Pre.Held) return -1;
    }
    return -1;
  }
}

/** an unscanned event stream whose first event is not dispatched in this many bytes: passed */
const MAX_PROBE = 64 << 10;

/** Looks at an event stream up to its first dispatched event (module doc). */
export class SseEndpointProbe {
  #line = "";
  #type = "";
  #data = -1;
  #probed = 0;

  /**
   * Reads `chunk[a, b)` of the stream: null while undecided; else whether it is MCP's
   * (`endpoint`) and where the rest begins (after the first event's blank line; for a stream
   * that is not, `b` or wherever it gave up).
   */
  read(chunk: Uint8Array, a: number, b: number): { endpoint: boolean; at: number } | null {
    this.#probed += b - a;
    for (let p = a; p < b;) {
      let e = chunk.indexOf(LF, p);
      if (e >= b) e = -1;
      const end = e < 0 ? b : e;
      if (this.#line.length < 256) this.#line += latin1(chunk, p, Math.min(end, p + 256));
      if (e < 0) break;
      p = e + 1;
      const l = this.#line.endsWith("\r") ? this.#line.slice(0, -1) : this.#line;
      this.#line = "";
      if (l === "") {
        if (this.#data < 0) {
          this.#type = ""; // nothing dispatched: the next event decides
          continue;
        }
        return { endpoint: this.#type === "endpoint", at: p };
      }
      if (l.startsWith(":")) continue;
      const colon = l.indexOf(":");
      const field = colon < 0 ? l : l.slice(0, colon);
      const value = colon < 0 ? "" : l.slice(l[colon + 1] === " " ? colon + 2 : colon + 1);
      if (field === "event") this.#type = value;
      else if (field === "data") this.#data = Math.max(this.#data, 0) + value.length;
    }
    // no event dispatched in MAX_PROBE bytes: no MCP stream either
    return this.#probed > MAX_PROBE ? { endpoint: false, at: b } : null;
  }
}

function latin1(b: Uint8Array, a: number, e: number): string {
  let s = "";
  for (let k = a; k < e; k++) s += String.fromCharCode(b[k]);
  return s;
}
