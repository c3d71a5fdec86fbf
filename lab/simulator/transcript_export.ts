/**
 * Turns an analysed recording back into a model-server transcript
 * (`lab/simulator/transcript.ts`): the LLM API exchanges, in request order, with method,
 * path, status, response headers, streaming flag and the response body as the client received
 * it (de-chunked, content-decoded), plus each call's provider and kind. A call made over a
 * WebSocket (OpenAI Responses, as Codex makes them) becomes an exchange of its own: its event
 * messages as a server-sent event stream, which the server sends back as messages again when
 * replaying over a WebSocket. Replaying it through the scripted server (`deno task
 * model-server -- --replay FILE`) lets the captured session run again without the original
 * model. With `{ timing: true }` each exchange also carries the model's recorded timing
 * (`delaysMs`: when each piece of the answer arrived, from the request), so the replay keeps
 * the original session's pace; a call whose pieces the recording did not time one for one is
 * left untimed and counted in the transcript's `timing`.
 */
import { join, resolve } from "node:path";
import {
  bodyFields,
  type Transcript,
  TRANSCRIPT_FORMAT,
  TRANSCRIPT_VERSION,
  type TranscriptExchange,
} from "./transcript.ts";
import { DB_FILE } from "../../analysis/analyze.ts";
import { withDb } from "../../analysis/analysed_db.ts";
import { queryRows, readSql } from "../../kit/sql_runner.ts";
import { responseChunks } from "./replay.ts";

const SQL_DIR = new URL("./sql/", import.meta.url);

interface CallTiming {
  sent_ns: bigint | null;
  end_ns: bigint | null;
  piece_ns: (bigint | null)[] | null;
}

/**
 * The pauses before each piece of an exchange from its recorded times, or undefined when they
 * do not give one time per piece, in order, after the request.
 */
export function recordedDelays(x: TranscriptExchange, t: CallTiming): number[] | undefined {
  const n = responseChunks(x).length;
  const times = x.streaming ? t.piece_ns ?? [] : [t.end_ns];
  if (t.sent_ns === null || times.length !== n || times.some((v) => v === null)) return undefined;
  const out: number[] = [];
  let prev = t.sent_ns;
  for (const v of times as bigint[]) {
    if (v < prev) return undefined;
    out.push(Math.round(Number(v - prev) / 1e5) / 10); // ms, to 0.1
    prev = v;
  }
  return out;
}

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

const PROVIDERS = new Set(["anthropic", "openai-responses", "openai-chat", "gemini", "ollama"]);

/**
 * The transcript of the analysed recording at `recording` (a recording directory or its
 * `analysis.duckdb`); only LLM calls with a response are included (over TLS or in cleartext HTTP).
 */
export async function extractTranscript(
  recording: string,
  opts: { timing?: boolean } = {},
): Promise<Transcript> {
  const path = recording.endsWith(".duckdb")
    ? resolve(recording)
    : join(resolve(recording), DB_FILE);
  return await withDb(path, async (c) => {
    const r = await c.runAndReadAll(readSql(SQL_DIR, "transcript_http"));
    const ws = await c.runAndReadAll(readSql(SQL_DIR, "transcript_websocket"));
    const exchanges: { id: bigint; x: TranscriptExchange }[] = [];
    let name = "";
    const typed = (x: TranscriptExchange, provider: unknown, kind: unknown) => {
      if (PROVIDERS.has(String(provider))) x.provider = provider as TranscriptExchange["provider"];
      if (kind === "main" || kind === "side") x.kind = kind;
      return x;
    };
    for (const row of r.getRowObjectsJS()) {
      name = String(row.recording);
      const headers: Record<string, string> = {};
      for (const [k, v] of JSON.parse(String(row.response_headers ?? "[]")) as [string, string][]) {
        const key = k.toLowerCase();
        if (key.startsWith(":") || DROP.has(key)) continue;
        headers[key] = key in headers ? `${headers[key]}, ${v}` : v;
      }
      const body = row.response_body as Uint8Array | null;
      exchanges.push({
        id: BigInt(row.llm_call_id as bigint),
        x: typed(
          {
            method: String(row.method),
            path: String(row.path),
            status: Number(row.status),
            headers,
            streaming: row.streaming === true,
            ...bodyFields(body ?? new Uint8Array(0)),
          },
          row.provider,
          row.kind,
        ),
      });
    }
    for (const row of ws.getRowObjectsJS()) {
      name = String(row.recording);
      const texts = row.texts as string[];
      const types = row.types as (string | null)[];
      const status = row.status === null ? 200 : Number(row.status);
      // an error event stands for an HTTP error: its body is the event (with its `error`)
      const x: TranscriptExchange = status >= 400
        ? {
          method: "POST",
          path: String(row.path),
          status,
          headers: { "content-type": "application/json" },
          streaming: false,
          body: texts.at(-1) ?? "",
        }
        : {
          method: "POST",
          path: String(row.path),
          status,
          headers: { "content-type": "text/event-stream; charset=utf-8" },
          streaming: true,
          body: texts.map((t, i) =>
            `${types[i] ? `event: ${types[i]}\n` : ""}${
              t.split(/\r?\n/).map((l) => `data: ${l}`).join("\n")
            }\n\n`
          ).join(""),
        };
      exchanges.push({
        id: BigInt(row.llm_call_id as bigint),
        x: typed(x, row.provider, row.kind),
      });
    }
    exchanges.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    let timing: string | undefined;
    if (opts.timing) {
      const rows = await queryRows(c, readSql(SQL_DIR, "transcript_timing"));
      const byCall = new Map(
        rows.map((r) => [BigInt(r.llm_call_id as bigint), r as unknown as CallTiming]),
      );
      let timed = 0;
      for (const e of exchanges) {
        const t = byCall.get(e.id);
        const d = t && recordedDelays(e.x, t);
        if (d) (e.x.delaysMs = d, timed++);
      }
      timing = `recorded by the capture of ${name}: ${timed} of ${exchanges.length} calls ` +
        "timed (when each piece of the answer arrived, from the request)";
    }
    return {
      format: TRANSCRIPT_FORMAT,
      version: TRANSCRIPT_VERSION,
      source: `recording ${name}`,
      ...(timing ? { timing } : {}),
      exchanges: exchanges.map((e) => e.x),
    };
  }, { readOnly: true });
}
