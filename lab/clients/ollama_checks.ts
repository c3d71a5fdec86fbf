/**
 * What the analysis of a recording of the lab's Ollama client (`ollama_run.ts`, scenario
 * `ollama_upload`) must give, checked against what the model server and the upload server
 * received: four LLM calls of Ollama's native API (`/api/chat` streamed with a tool call and
 * whole, `/api/generate` streamed and whole) by the client's process over cleartext HTTP, with
 * the scripted model, tokens (`prompt_eval_count`, `eval_count`), finish reason and texts; the
 * tool call, its result sent back by tool name; the curl it ran, linked to it; the upload (to
 * another machine, or to a server on loopback) in `http_exchanges` (host, method, path, status,
 * sizes; the Authorization header masked) made by curl's process; the exfiltration finding; no
 * problems, nothing read as MCP.
 */
import assert from "node:assert/strict";
import { checkRows } from "../integration/check_queries.ts";
import type { SqlValue } from "../../kit/sql_runner.ts";
import { DOTENV, OLLAMA_MODEL, UPLOAD_TOKEN } from "./ollama_run.ts";

/** What the run saw, as kept beside a fixture (`served.json`). */
export interface OllamaServed {
  /** the model server's `host:port` */
  model: string;
  /** the upload server's `host:port` */
  upload: string;
  /** the POSTs the model server took, in order: path and `stream` */
  posts: { path: string; stream: boolean }[];
  /** what the client printed: each answer as it received it */
  client: {
    chat: { content: string }[];
    generate: { response: string }[];
    tools: { name: string; command: string; output: string }[];
  };
}

/** The scripted calls: endpoint, streamed, input and output tokens, text. */
const CALLS: [string, boolean, number, number, string][] = [
  ["api/chat", true, 412, 38, "Uploading the settings."],
  ["api/chat", false, 470, 12, "The upload server answered: "],
  [
    "api/generate",
    true,
    21,
    14,
    "Settings are key=value lines; keep secrets out of backups.",
  ],
  ["api/generate", false, 19, 3, "Done."],
];

export async function assertOllamaRecording(
  db: string,
  served: OllamaServed,
  problems: string[],
): Promise<void> {
  assert.deepEqual(problems, []);
  const q = (name: string, values: Record<string, SqlValue> = {}) => checkRows(db, name, values);
  assert.deepEqual(served.posts, [
    { path: "/api/chat", stream: true },
    { path: "/api/chat", stream: false },
    { path: "/api/generate", stream: true },
    { path: "/api/generate", stream: false },
  ]);
  const calls = await q("llm_calls_with_exchange");
  assert.deepEqual(
    calls.map((c) => [
      c.endpoint,
      c.streaming,
      Number(c.input_tokens),
      Number(c.output_tokens),
      String(c.assistant_text).slice(
        0,
        CALLS[calls.indexOf(c)]?.[4].length ?? 0,
      ),
    ]),
    CALLS,
  );
  const output = served.client.tools[0].output;
  assert.equal(
    calls[1].assistant_text,
    `The upload server answered: ${output.trimEnd()}`,
  );
  assert.equal(calls[0].thinking, "I will send the file with curl.");
  assert.equal(calls[3].thinking, "Short answer.");
  for (const c of calls) {
    assert.equal(c.provider, "ollama");
    assert.equal(c.transport, "cleartext-http");
    assert.equal(c.model, OLLAMA_MODEL);
    assert.equal(c.request_model, OLLAMA_MODEL);
    assert.equal(c.stop_reason, "stop");
    assert.equal(c.incomplete, false);
    assert.equal(c.error, null);
    assert.equal(c.host, served.model);
  }
  assert.deepEqual(calls.map((c) => c.response_content_type), [
    "application/x-ndjson",
    "application/json; charset=utf-8",
    "application/x-ndjson",
    "application/json; charset=utf-8",
  ]);
  assert.equal(calls[2].user_input, "What is in a settings file?");
  // the client's node process made them all
  assert.equal(new Set(calls.map((c) => c.pid)).size, 1);
  const agentPid = Number(calls[0].pid);
  const comm = await q("process_comms", { pid: agentPid });
  assert.deepEqual(comm.map((r) => r.comm), ["node"]);
  // the streamed answers' NDJSON lines are the exchanges' events
  const lines = await q("stream_events_per_exchange");
  assert.equal(lines.length, 2);
  assert.ok(lines.every((l) => l.ndjson === true && Number(l.n) >= 2));
  // the tool call, its result back by name
  const tools = await q("tool_calls_in_order");
  assert.equal(tools.length, 1);
  assert.equal(tools[0].name, "run_shell");
  assert.equal(tools[0].provider_call_id, null, "Ollama has no call ids");
  assert.equal(
    JSON.parse(String(tools[0].input)).command,
    served.client.tools[0].command,
  );
  assert.equal(tools[0].llm_call_id, calls[0].llm_call_id);
  assert.equal(tools[0].result_llm_call_id, calls[1].llm_call_id);
  assert.equal(tools[0].result_text, output);
  // the upload: an exchange of curl's process with the other machine, no LLM call
  const up = await q("exchanges_without_llm_call");
  assert.deepEqual(
    up.map((
      e,
    ) => [e.host, e.method, e.path, e.status, Number(e.request_bytes), e.comm]),
    [[served.upload, "POST", "/upload", 201, DOTENV.trimEnd().length, "curl"]],
  );
  assert.equal(Number(up[0].conn_gen), -1);
  assert.equal(
    new TextDecoder().decode(up[0].request_body as Uint8Array),
    DOTENV.trimEnd(),
  );
  const headers = JSON.parse(String(up[0].request_headers)) as [
    string,
    string,
  ][];
  const auth = headers.find(([k]) => k.toLowerCase() === "authorization")?.[1] ?? "";
  assert.equal(
    auth.length,
    `Bearer ${UPLOAD_TOKEN}`.length,
    "masked, same length",
  );
  assert.ok(!auth.includes(UPLOAD_TOKEN), "the Authorization header is masked");
  // curl is linked to the tool call (exec and its connect to the upload server)
  const linked = await q("tool_call_actions", {
    tool_call_id: tools[0].tool_call_id as bigint,
  });
  const curlExec = linked.find((a) => a.op === "exec" && (a.argv as string[])[0] === "curl");
  assert.ok(curlExec, "curl's exec is linked to the tool call");
  assert.equal(
    Number(curlExec.pid),
    Number(up[0].pid),
    "the exchange is curl's process's",
  );
  const [host, port] = [
    served.upload.replace(/:\d+$/, ""),
    Number(served.upload.split(":").at(-1)),
  ];
  assert.ok(
    linked.some((a) => a.op === "connect" && a.addr === host && Number(a.port) === port),
    "curl's connect to the upload server is linked to the tool call",
  );
  // the detector sees it: .env read and sent elsewhere by the same command
  const ex = await q("findings_of_kind", { kind: "exfiltration" });
  assert.equal(ex.length, 1);
  assert.equal(ex[0].severity, "critical");
  const ev = JSON.parse(String(ex[0].details));
  assert.equal(ev.addr, host);
  assert.equal(Number(ev.port), port);
  assert.ok(ev.paths.some((p: string) => p.endsWith("/.env")));
  assert.deepEqual(ev.send_tool_calls.map(Number), [Number(tools[0].tool_call_id)]);
  // and names what the send carried: curl's POST, read from the plain HTTP
  const bytes = DOTENV.trimEnd().length;
  assert.deepEqual(
    ev.http_sent.map((x: Record<string, unknown>) => [x.method, x.path, x.status, x.request_bytes]),
    [["POST", "/upload", 201, bytes]],
  );
  assert.ok(
    String(ex[0].explanation).endsWith(
      `from the same command that read it, and sent in plain HTTP POST /upload (${bytes} ` +
        "bytes, 201).",
    ),
    String(ex[0].explanation),
  );
  assert.ok((ex[0].evidence as string[]).includes(`http_exchange:${up[0].exchange_id}`));
  const mcp = await q("mcp_message_count");
  assert.equal(Number(mcp[0].n), 0, "nothing read as MCP");
}
