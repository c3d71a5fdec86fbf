/**
 * Turns an analysed recording back into a model-server transcript
 * (`lab/simulator/transcript.ts`): the LLM API exchanges, in request order, with method,
 * path, status, response headers, streaming flag and the response body as the client received
 * it (de-chunked, content-decoded), plus each call's provider and kind. Replaying it through
 * the scripted server (`deno task model-server -- --replay FILE`) lets the captured session run
 * again without the original model.
 */
import { join, resolve } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import {
  bodyFields,
  type Transcript,
  TRANSCRIPT_FORMAT,
  TRANSCRIPT_VERSION,
  type TranscriptExchange,
} from "./transcript.ts";
import { DB_FILE } from "../../analysis/analyze.ts";

/** Response headers not replayed: hop-by-hop, framing, and the coding already undone. */
const DROP = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "content-length",
  "content-encoding",
  "date",
  "upgrade",
  "proxy-connection",
]);

const PROVIDERS = new Set(["anthropic", "openai-responses", "openai-chat", "gemini"]);

/**
 * The transcript of the analysed recording at `recording` (a recording directory or its
 * `analysis.duckdb`); only LLM calls with a response are included.
 */
export async function extractTranscript(recording: string): Promise<Transcript> {
  const path = recording.endsWith(".duckdb")
    ? resolve(recording)
    : join(resolve(recording), DB_FILE);
  const instance = await DuckDBInstance.create(path, { access_mode: "READ_ONLY" });
  const c = await instance.connect();
  try {
    const r = await c.runAndReadAll(
      `SELECT e.method, e.path, e.status, e.response_headers, e.streaming, e.response_body,
         l.provider, l.kind, e.recording
       FROM http_exchanges e JOIN llm_calls l USING (recording, llm_call_id)
       WHERE e.status IS NOT NULL
       ORDER BY e.exchange_id`,
    );
    const exchanges: TranscriptExchange[] = [];
    let name = "";
    for (const row of r.getRowObjectsJS()) {
      name = String(row.recording);
      const headers: Record<string, string> = {};
      for (const [k, v] of JSON.parse(String(row.response_headers ?? "[]")) as [string, string][]) {
        const key = k.toLowerCase();
        if (key.startsWith(":") || DROP.has(key)) continue;
        headers[key] = key in headers ? `${headers[key]}, ${v}` : v;
      }
      const body = row.response_body as Uint8Array | null;
      const x: TranscriptExchange = {
        method: String(row.method),
        path: String(row.path),
        status: Number(row.status),
        headers,
        streaming: row.streaming === true,
        ...bodyFields(body ?? new Uint8Array(0)),
      };
      if (PROVIDERS.has(String(row.provider))) {
        x.provider = row.provider as TranscriptExchange["provider"];
      }
      if (row.kind === "main" || row.kind === "side") x.kind = row.kind;
      exchanges.push(x);
    }
    return {
      format: TRANSCRIPT_FORMAT,
      version: TRANSCRIPT_VERSION,
      source: `recording ${name}`,
      exchanges,
    };
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}
