/**
 * The WebSocket `permessage-deflate` extension (RFC 7692): reading the
 * `Sec-WebSocket-Extensions` header (RFC 6455 9.1 grammar), the parameters a server accepted
 * (context takeover and window bits, per direction), and the per-direction message decoder:
 * a compressed message's payload gets the `00 00 ff ff` tail back and is inflated with the
 * window the earlier messages of that direction left, unless that direction's
 * `*_no_context_takeover` was agreed (then each message starts with an empty window).
 *
 * A decoded message is bounded twice: by `maxMessageSize` and by `maxInflateRatio` times its
 * compressed size (with a floor, so small messages are never refused for their ratio):
 * decompression bombs stop there, with an error. After a failed message the window is lost, so
 * with context takeover every later message of that direction fails too, each saying why —
 * unless the stream is read from its middle (`unknownHistory`: the window starts as unknown
 * bytes, and starts so again after a failure).
 */
import { RawInflater } from "./inflate.ts";

/** One extension offered or accepted: its name and parameters (a bare parameter is `true`). */
export interface WebSocketExtension {
  name: string;
  params: Record<string, string | true>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Parses `Sec-WebSocket-Extensions` values (each a comma-separated list of
 * `name; param[=value]` with token or quoted-string values). Returns null for a malformed value.
 */
export function parseExtensions(
  values: readonly string[] | undefined,
): WebSocketExtension[] | null {
  const out: WebSocketExtension[] = [];
  for (const value of values ?? []) {
    // split on commas and semicolons outside quoted strings
    const items: string[][] = [[]];
    let cur = "";
    let quoted = false;
    for (let i = 0; i < value.length; i++) {
      const ch = value[i];
      if (quoted) {
        if (ch === "\\" && i + 1 < value.length) cur += value[++i];
        else if (ch === '"') quoted = false;
        else cur += ch;
        continue;
      }
      if (ch === '"') quoted = true;
      else if (ch === ";") (items.at(-1)!.push(cur), cur = "");
      else if (ch === ",") (items.at(-1)!.push(cur), items.push([]), cur = "");
      else cur += ch;
    }
    if (quoted) return null;
    items.at(-1)!.push(cur);
    for (const parts of items) {
      const [name, ...params] = parts.map((p) => p.trim());
      if (name === "" && params.every((p) => p === "")) continue; // empty list element
      if (!TOKEN.test(name)) return null;
      const ext: WebSocketExtension = { name: name.toLowerCase(), params: {} };
      for (const p of params) {
        const eq = p.indexOf("=");
        const key = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
        if (!TOKEN.test(key)) return null;
        ext.params[key] = eq < 0 ? true : p.slice(eq + 1).trim();
      }
      out.push(ext);
    }
  }
  return out;
}

/** What a server accepted, per direction. */
export interface DeflateParams {
  /** server-to-client messages start with an empty window */
  serverNoContextTakeover: boolean;
  /** client-to-server messages start with an empty window */
  clientNoContextTakeover: boolean;
  /** window bits of server-to-client messages (8..15) */
  serverMaxWindowBits: number;
  /** window bits of client-to-server messages (8..15) */
  clientMaxWindowBits: number;
}

function windowBits(v: string | true | undefined, name: string): number {
  if (v === undefined) return 15;
  const n = v === true ? NaN : Number(v);
  if (!/^\d+$/.test(String(v)) || n < 8 || n > 15) {
    throw new Error(`permessage-deflate: bad ${name} ${JSON.stringify(v)}`);
  }
  return n;
}

/**
 * The `permessage-deflate` parameters in a server's 101 response extensions, or null when the
 * server did not accept the extension. Throws (one line) on parameters RFC 7692 forbids.
 */
export function acceptedDeflate(extensions: readonly WebSocketExtension[]): DeflateParams | null {
  const d = extensions.find((e) => e.name === "permessage-deflate");
  if (!d) return null;
  for (const k of Object.keys(d.params)) {
    if (
      ![
        "server_no_context_takeover",
        "client_no_context_takeover",
        "server_max_window_bits",
        "client_max_window_bits",
      ].includes(k)
    ) throw new Error(`permessage-deflate: unknown parameter ${k}`);
  }
  for (const k of ["server_no_context_takeover", "client_no_context_takeover"]) {
    if (d.params[k] !== undefined && d.params[k] !== true) {
      throw new Error(`permessage-deflate: ${k} takes no value`);
    }
  }
  return {
    serverNoContextTakeover: d.params.server_no_context_takeover === true,
    clientNoContextTakeover: d.params.client_no_context_takeover === true,
    serverMaxWindowBits: windowBits(d.params.server_max_window_bits, "server_max_window_bits"),
    // a response may only carry client_max_window_bits with a value (RFC 7692 7.1.2.2)
    clientMaxWindowBits: d.params.client_max_window_bits === true
      ? (() => {
        throw new Error("permessage-deflate: client_max_window_bits needs a value in a response");
      })()
      : windowBits(d.params.client_max_window_bits, "client_max_window_bits"),
  };
}

export interface MessageInflaterOptions {
  /** window bits the sender uses (8..15) */
  windowBits: number;
  /** every message starts with an empty window */
  noContextTakeover: boolean;
  /** largest decoded message (default 64 MiB) */
  maxMessageSize?: number;
  /** largest decoded/compressed ratio of one message (default 256), above `minRatioFloor` */
  maxInflateRatio?: number;
  /** a message may always decode to this many bytes, whatever its ratio (default 1 MiB) */
  minRatioFloor?: number;
  /**
   * The stream is read from its middle (its start, and the messages that filled the window,
   * were not seen): the window starts as `2^windowBits` NUL bytes standing in for that history,
   * and where it is lost again (a message failed or was skipped) it starts over so, instead of
   * stopping. A back-reference to unseen bytes then decodes to NULs: the caller tells a whole
   * message from a damaged one by them (see `presetUnknown` in inflate.ts).
   */
  unknownHistory?: boolean;
}

export interface InflatedMessage {
  data: Uint8Array;
  error?: { code: "compression" | "output-limit" | "truncated"; message: string };
}

export interface MessageInflater {
  /**
   * Decodes one message's compressed payload (without its `00 00 ff ff` tail). `partial`: the
   * payload was cut short (no tail is added; what decodes is returned).
   */
  inflate(payload: Uint8Array, partial?: boolean): InflatedMessage;
  /** The window is unusable from here on (a message was skipped or failed). */
  lose(reason: string): void;
}

const TAIL = new Uint8Array([0x00, 0x00, 0xff, 0xff]);

export function createMessageInflater(options: MessageInflaterOptions): MessageInflater {
  const maxMessageSize = options.maxMessageSize ?? 64 * 1024 * 1024;
  const ratio = options.maxInflateRatio ?? 256;
  const floor = options.minRatioFloor ?? 1024 * 1024;
  const inflater = new RawInflater(options.windowBits);
  let lost: string | null = null;
  if (options.unknownHistory) inflater.presetUnknown();
  return {
    inflate(payload, partial = false) {
      if (options.noContextTakeover) inflater.reset();
      else if (lost !== null) {
        return {
          data: new Uint8Array(0),
          error: {
            code: "compression",
            message: `not decoded: the compression window was lost earlier (${lost})`,
          },
        };
      }
      const input = new Uint8Array(payload.length + (partial ? 0 : TAIL.length));
      input.set(payload);
      if (!partial) input.set(TAIL, payload.length);
      const limit = Math.min(maxMessageSize, Math.max(floor, payload.length * ratio));
      const r = inflater.inflate(input, limit);
      if (!r.error) return { data: r.data };
      let message = r.error.message;
      if (r.error.code === "output-limit") {
        message = limit === maxMessageSize
          ? `decoded message exceeds maxMessageSize (${maxMessageSize} bytes)`
          : `decoded message exceeds ${ratio} times its ${payload.length} compressed bytes`;
      }
      if (options.unknownHistory) inflater.presetUnknown();
      else if (!options.noContextTakeover) lost = `an earlier message: ${message}`;
      return { data: r.data, error: { code: r.error.code, message } };
    },
    lose(reason) {
      if (options.unknownHistory) inflater.presetUnknown();
      else if (!options.noContextTakeover) lost = reason;
    },
  };
}
