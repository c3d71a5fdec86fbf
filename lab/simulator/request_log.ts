/**
 * The model server's record of every request: time, method, path, HTTP version, headers with
 * secrets removed, body size, what the server made of it and how it answered. Parsed JSON
 * bodies stay in memory for tests; a JSONL file gets one line per request (bodies only when
 * asked).
 */

import { errorLine } from "../../kit/cli.ts";
import { isDefaultSecretHeader } from "../../protocols/http2_redactor.ts";
import { paramValuePositions, SECRET_PARAM } from "../../protocols/url_param_mask.ts";
import type { Provider } from "./request_view.ts";
import type { RequestKind, SideKind } from "./request_kind.ts";

export const REDACTED = "[redacted]";

export interface RequestRecord {
  /** 0, 1, 2 ... in arrival order. */
  seq: number;
  /** ISO time of arrival. */
  time: string;
  method: string;
  /** Path and query (an API key in the query is redacted). */
  path: string;
  httpVersion: string;
  authority: string;
  headers: Record<string, string>;
  bodySize: number;
  /** The parsed JSON body (kept in memory only unless `logBodies`). */
  body?: unknown;
  provider?: Provider;
  kind: RequestKind;
  side?: SideKind;
  /** Conversation position and scenario turn served, for main requests. */
  position?: number;
  turn?: number;
  /** Names of the tools called in the reply. */
  toolCalls?: string[];
  /**
   * How many of them are a Responses API tool search (`tool_search_call`, Codex loading a
   * deferred MCP tool): a search, which the analysis does not list in `tool_calls`.
   */
  toolSearches?: number;
  /**
   * The tool results the request sends back (those after its last model turn), by the id of
   * the call each answers ("" when it names none): a model request's, also a side one's.
   */
  toolResults?: string[];
  /** Response status, once answered. */
  status?: number;
  durationMs?: number;
  /** Why the server could not answer as scripted, or which scripted failure it served. */
  error?: string;
  /**
   * The answer was a turn's scripted failure (`fail`; `error` says which): the script's doing,
   * not a fault of the server, so not in the server's `errors`.
   */
  scriptedFailure?: true;
}

/** Copies headers with secret values replaced. */
export function redactHeaders(
  headers: Record<string, string>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    out[k] = isDefaultSecretHeader(k.toLowerCase()) ? REDACTED : v;
  }
  return out;
}

/**
 * Redacts `key=` (Gemini API key), MCP's `sessionId=` and every other secret query parameter in a
 * path: each value the capture masks (protocols/url_param_mask.ts) becomes REDACTED.
 */
export function redactPath(path: string): string {
  const masked = new Set(paramValuePositions(path, SECRET_PARAM));
  let out = "";
  for (let i = 0; i < path.length; i++) {
    if (!masked.has(i)) out += path[i];
    else if (!masked.has(i - 1)) out += REDACTED;
  }
  return out;
}

/**
 * Appends records to a JSONL file, in order. The file is opened once when made (a path that
 * cannot be written is an error then, before anything is served); a line that cannot be
 * written later (the disk full, the file replaced) is counted, never an unhandled rejection.
 */
export class JsonlLog {
  private pending: Promise<void> = Promise.resolve();
  /** lines not written, and why the first was not */
  unwritten = 0;
  private firstError: string | null = null;

  constructor(readonly path: string, readonly withBodies: boolean) {
    try {
      Deno.openSync(path, { append: true, create: true }).close();
    } catch (e) {
      throw new Error(`--log ${path}: cannot write it (${errorLine(e)})`);
    }
  }

  append(record: RequestRecord): void {
    const line = JSON.stringify(
      this.withBodies ? record : { ...record, body: undefined },
    ) + "\n";
    this.pending = this.pending.then(() => Deno.writeTextFile(this.path, line, { append: true }))
      .catch((e) => {
        this.unwritten++;
        this.firstError ??= errorLine(e);
      });
  }

  flush(): Promise<void> {
    return this.pending;
  }

  /** What was not written, in one line; null when every line was. */
  problem(): string | null {
    if (!this.unwritten) return null;
    const n = this.unwritten;
    return `--log ${this.path}: ${n} line${n === 1 ? "" : "s"} not written (${this.firstError})`;
  }
}
