/**
 * Transcripts: the ordered HTTP exchanges of a model session (provider, method, path, status,
 * response headers, response body as text or base64, streaming or not), as JSON. The server
 * saves one for every run and can replay one; a capture recording can be turned into one. The
 * format is documented in `lab/scenarios/README.md`.
 */

import type { Provider } from "./request_view.ts";
import type { RequestKind } from "./request_kind.ts";
import { readJsonFile } from "./json_file.ts";
import { errorLine } from "../../kit/cli.ts";

export const TRANSCRIPT_FORMAT = "sightline-transcript";
export const TRANSCRIPT_VERSION = 1;

export interface TranscriptExchange {
  /** The API, when known: "anthropic", "openai-responses", "openai-chat", "gemini", "ollama". */
  provider?: Provider;
  method: string;
  /** Request path and query, e.g. "/v1/messages?beta=true". */
  path: string;
  /** "main" or "side" (see request_kind.ts); replay matches on it when both sides know it. */
  kind?: RequestKind;
  status: number;
  /** Response headers, lower-case names. */
  headers: Record<string, string>;
  /** True for SSE responses. */
  streaming: boolean;
  /** The response body as UTF-8 text ... */
  body?: string;
  /** ... or as base64 bytes (exactly one of the two). */
  bodyBase64?: string;
  /**
   * The model's timing, when known: for each piece of the response as replay cuts it (one
   * per server-sent event when streaming, the whole body when not), the pause in ms before
   * it is sent, counted from the request (first piece) or from the piece before. The time to
   * first token is the sum up to the first piece that carries output. Absent: no pauses.
   */
  delaysMs?: number[];
  /**
   * The answer broke off after its body: the connection dropped (HTTP/1.1 with no last chunk,
   * HTTP/2 RST_STREAM, a WebSocket with no close frame), after `stallMs` of silence when given.
   * Absent: the body ended normally.
   */
  cut?: { stallMs?: number };
}

export interface Transcript {
  format: typeof TRANSCRIPT_FORMAT;
  version: typeof TRANSCRIPT_VERSION;
  /** Free text: scenario name, agent, recording it came from. */
  source?: string;
  /** Where the exchanges' `delaysMs` come from (a recording, or a named timing profile). */
  timing?: string;
  exchanges: TranscriptExchange[];
}

/** A transcript that does not follow the format; the message is one line. */
export class TranscriptError extends Error {
  constructor(source: string, field: string, problem: string) {
    super(`${source}: ${field}: ${problem}`);
    this.name = "TranscriptError";
  }
}

export function emptyTranscript(source?: string): Transcript {
  return {
    format: TRANSCRIPT_FORMAT,
    version: TRANSCRIPT_VERSION,
    source,
    exchanges: [],
  };
}

const KINDS = ["main", "side", "probe", "other"];
const PROVIDERS = ["anthropic", "openai-responses", "openai-chat", "gemini", "ollama"];

/** Checks a parsed JSON value against the transcript format. */
export function parseTranscript(
  value: unknown,
  source = "<transcript>",
): Transcript {
  const fail = (field: string, problem: string): never => {
    throw new TranscriptError(source, field, problem);
  };
  const isObj = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObj(value)) fail("transcript", "expected an object");
  const v = value as Record<string, unknown>;
  if (v.format !== TRANSCRIPT_FORMAT) {
    fail("format", `expected "${TRANSCRIPT_FORMAT}"`);
  }
  if (v.version !== TRANSCRIPT_VERSION) {
    fail("version", `expected ${TRANSCRIPT_VERSION}`);
  }
  if (v.source !== undefined && typeof v.source !== "string") {
    fail("source", "expected a string");
  }
  if (v.timing !== undefined && typeof v.timing !== "string") {
    fail("timing", "expected a string");
  }
  if (!Array.isArray(v.exchanges)) fail("exchanges", "expected an array");
  const exchanges = (v.exchanges as unknown[]).map(
    (e, i): TranscriptExchange => {
      const f = `exchanges[${i}]`;
      if (!isObj(e)) fail(f, "expected an object");
      const x = e as Record<string, unknown>;
      if (typeof x.method !== "string" || !x.method) {
        fail(`${f}.method`, "expected a string");
      }
      if (typeof x.path !== "string" || !String(x.path).startsWith("/")) {
        fail(`${f}.path`, "expected a path starting with /");
      }
      if (
        typeof x.status !== "number" || !Number.isInteger(x.status) ||
        x.status < 100 ||
        x.status > 599
      ) {
        fail(`${f}.status`, "expected an HTTP status 100-599");
      }
      if (x.provider !== undefined && !PROVIDERS.includes(String(x.provider))) {
        fail(`${f}.provider`, `expected one of ${PROVIDERS.join(", ")}`);
      }
      if (x.kind !== undefined && !KINDS.includes(String(x.kind))) {
        fail(`${f}.kind`, `expected one of ${KINDS.join(", ")}`);
      }
      if (!isObj(x.headers ?? {})) fail(`${f}.headers`, "expected an object");
      const headers: Record<string, string> = {};
      for (
        const [k, hv] of Object.entries(
          (x.headers ?? {}) as Record<string, unknown>,
        )
      ) {
        if (typeof hv !== "string") {
          fail(`${f}.headers.${k}`, "expected a string");
        }
        headers[k.toLowerCase()] = hv as string;
      }
      if (typeof (x.streaming ?? false) !== "boolean") {
        fail(`${f}.streaming`, "expected a boolean");
      }
      if (x.body !== undefined && x.bodyBase64 !== undefined) {
        fail(f, "give body or bodyBase64, not both");
      }
      if (x.body !== undefined && typeof x.body !== "string") {
        fail(`${f}.body`, "expected a string");
      }
      if (x.bodyBase64 !== undefined) {
        if (typeof x.bodyBase64 !== "string") {
          fail(`${f}.bodyBase64`, "expected a string");
        }
        try {
          atob(x.bodyBase64 as string);
        } catch {
          fail(`${f}.bodyBase64`, "not valid base64");
        }
      }
      if (x.delaysMs !== undefined) {
        if (
          !Array.isArray(x.delaysMs) ||
          !x.delaysMs.every((d) => typeof d === "number" && Number.isFinite(d) && d >= 0)
        ) {
          fail(`${f}.delaysMs`, "expected an array of numbers >= 0 (ms)");
        }
      }
      if (x.cut !== undefined) {
        const c = x.cut as Record<string, unknown>;
        if (!isObj(c)) fail(`${f}.cut`, "expected an object");
        for (const k of Object.keys(c)) {
          if (k !== "stallMs") fail(`${f}.cut.${k}`, "unknown field (allowed: stallMs)");
        }
        if (
          c.stallMs !== undefined &&
          !(typeof c.stallMs === "number" && Number.isFinite(c.stallMs) && c.stallMs >= 0)
        ) {
          fail(`${f}.cut.stallMs`, "expected a number >= 0 (ms)");
        }
      }
      const out: TranscriptExchange = {
        method: String(x.method).toUpperCase(),
        path: String(x.path),
        status: Number(x.status),
        headers,
        streaming: Boolean(x.streaming ?? false),
      };
      if (x.provider !== undefined) out.provider = x.provider as Provider;
      if (x.kind !== undefined) out.kind = x.kind as RequestKind;
      if (x.body !== undefined) out.body = x.body as string;
      if (x.bodyBase64 !== undefined) out.bodyBase64 = x.bodyBase64 as string;
      if (x.delaysMs !== undefined) out.delaysMs = [...(x.delaysMs as number[])];
      if (x.cut !== undefined) out.cut = { ...(x.cut as { stallMs?: number }) };
      return out;
    },
  );
  return {
    format: TRANSCRIPT_FORMAT,
    version: TRANSCRIPT_VERSION,
    ...(v.source !== undefined ? { source: v.source as string } : {}),
    ...(v.timing !== undefined ? { timing: v.timing as string } : {}),
    exchanges,
  };
}

/** The body bytes of an exchange. */
export function exchangeBody(e: TranscriptExchange): Uint8Array {
  if (e.bodyBase64 !== undefined) {
    return Uint8Array.from(atob(e.bodyBase64), (c) => c.charCodeAt(0));
  }
  return new TextEncoder().encode(e.body ?? "");
}

/** Stores bytes as text when they are valid UTF-8, else as base64. */
export function bodyFields(
  bytes: Uint8Array,
): { body: string } | { bodyBase64: string } {
  try {
    return { body: new TextDecoder("utf-8", { fatal: true }).decode(bytes) };
  } catch {
    let s = "";
    for (const b of bytes) s += String.fromCharCode(b);
    return { bodyBase64: btoa(s) };
  }
}

export async function loadTranscript(path: string): Promise<Transcript> {
  const value = await readJsonFile(
    path,
    (field, problem) => new TranscriptError(path, field, problem),
  );
  return parseTranscript(value, path);
}

/** A transcript given parsed or as a file path (then read and checked), or none. */
export async function transcriptOf(
  t: Transcript | string | undefined,
): Promise<Transcript | undefined> {
  return typeof t === "string" ? await loadTranscript(t) : t;
}

/**
 * Throws one line unless a transcript can be saved at `path` (checked before a session, whose
 * transcript would otherwise be lost at its end; the path is left as it was: made, then removed).
 */
export function checkTranscriptPath(path: string): void {
  let made = false;
  try {
    try {
      Deno.lstatSync(path);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
      made = true;
    }
    Deno.openSync(path, { write: true, create: true }).close();
    if (made) Deno.removeSync(path);
  } catch (e) {
    throw new Error(`--save-transcript ${path}: cannot write it (${errorLine(e)})`);
  }
}

export async function saveTranscript(
  path: string,
  t: Transcript,
): Promise<void> {
  await Deno.writeTextFile(path, JSON.stringify(t, null, 2) + "\n");
}
