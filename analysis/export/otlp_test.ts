/**
 * The OTLP export as a user meets it: `deno task export --format otlp` sends two real
 * recordings (an injection case study with findings, a three-agent team) to a local OTLP/HTTP
 * receiver, over `http/protobuf` (decoded with the OTLP proto definitions the OpenTelemetry
 * packages ship, through protobufjs) and over `http/json`. The span tree and the GenAI
 * attributes are checked against the analysis database the spans came from; both protocols
 * carry the same spans (the ids are stable); content goes out only when asked for; headers
 * from OTEL_EXPORTER_OTLP_HEADERS reach the collector (percent-decoded); a collector that is not
 * there, a bad protocol and malformed headers each cost one line and their exit code.
 */
import { filePath } from "../../kit/file_path.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
// @ts-types="npm:@opentelemetry/otlp-transformer@0.57.2/build/src/generated/root.d.ts"
import protoRoot from "otlp-proto-root";
import { DB_FILE } from "../analyze.ts";
import { copyRecording } from "../../recording/manifest.ts";
import { datasetCopies, denoTask } from "../testing.ts";
import { queryDb, withDb } from "../analysed_db.ts";
import { runSql, type SqlValue } from "../../kit/sql_runner.ts";

const DATASETS = ["injection-claude", "team-claude-gemini-codex"];
const dec = new TextDecoder();

// deno-lint-ignore no-explicit-any
const ExportRequest = (protoRoot as any).opentelemetry.proto.collector.trace.v1
  .ExportTraceServiceRequest;

// deno-lint-ignore no-explicit-any
const ExportResponse = (protoRoot as any).opentelemetry.proto.collector.trace.v1
  .ExportTraceServiceResponse;

interface Received {
  contentType: string;
  headers: Headers;
  body: Uint8Array;
}

/** A local OTLP/HTTP receiver that keeps every request. */
function receiver() {
  const got: Received[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const contentType = req.headers.get("content-type") ?? "";
    got.push({ contentType, headers: req.headers, body: new Uint8Array(await req.arrayBuffer()) });
    if (new URL(req.url).pathname !== "/v1/traces") {
      return new Response("not found", { status: 404 });
    }
    return contentType.includes("json")
      ? new Response("{}", { headers: { "content-type": "application/json" } })
      : new Response(new Uint8Array(0), { headers: { "content-type": "application/x-protobuf" } });
  });
  return { got, url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

const task = denoTask;

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  start: bigint;
  end: bigint;
  attributes: Record<string, unknown>;
  events: { name: string; time: bigint; attributes: Record<string, unknown> }[];
  links: string[];
  status: number;
  resource: Record<string, unknown>;
}

// deno-lint-ignore no-explicit-any
type Any = any;

function value(v: Any): unknown {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return Number(v.doubleValue);
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(value);
  throw new Error(`unexpected attribute value ${JSON.stringify(v)}`);
}

function attributes(list: Any[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((a) => [a.key, value(a.value)]));
}

const hex = (b64: string | undefined) =>
  b64
    ? [...Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0))].map((x) =>
      x.toString(16).padStart(2, "0")
    ).join("")
    : "";

/** Every span of the requests, in one shape for both encodings. */
function spans(got: Received[]): Span[] {
  const out: Span[] = [];
  for (const r of got) {
    const json = r.contentType.includes("json");
    const msg = json
      ? JSON.parse(dec.decode(r.body))
      : ExportRequest.toObject(ExportRequest.decode(r.body), { longs: String, bytes: String });
    const id = json ? (s: string | undefined) => s ?? "" : hex;
    for (const rs of msg.resourceSpans ?? []) {
      const resource = attributes(rs.resource?.attributes);
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          out.push({
            traceId: id(s.traceId),
            spanId: id(s.spanId),
            parentSpanId: id(s.parentSpanId),
            name: s.name,
            kind: Number(s.kind),
            start: BigInt(s.startTimeUnixNano),
            end: BigInt(s.endTimeUnixNano),
            attributes: attributes(s.attributes),
            events: (s.events ?? []).map((e: Any) => ({
              name: e.name,
              time: BigInt(e.timeUnixNano),
              attributes: attributes(e.attributes),
            })),
            links: (s.links ?? []).map((l: Any) => id(l.spanId)),
            status: Number(s.status?.code ?? 0),
            resource,
          });
        }
      }
    }
  }
  return out.sort((a, b) => (a.spanId < b.spanId ? -1 : 1));
}

const copies = () => datasetCopies(DATASETS, "sl-otlp-");

/** The rows of one query (its `$name` values bound) on REC's analysis database. */
async function rowsOf(
  rec: string,
  sql: string,
  values: Record<string, SqlValue> = {},
): Promise<Record<string, Any>[]> {
  return await queryDb(join(rec, DB_FILE), sql, values) as Record<string, Any>[];
}

/** The Ollama client's recording of a tool's LAN upload (curl), copied into a new directory. */
async function lanUploadCopy(prefix: string): Promise<{ tmp: string; rec: string }> {
  const fixture = filePath("../../tests/fixtures/ollama/lan_upload/", import.meta.url);
  const tmp = await Deno.makeTempDir({ prefix });
  return { tmp, rec: copyRecording(fixture, `${tmp}/lan_upload`) };
}

/**
 * Analyses REC, then runs each statement (a `[sql, values]` pair: its `$name` values bound) on
 * its analysis database, in order: the rows a test adds that no recording has.
 */
async function analysedWith(
  rec: string,
  statements: (string | [string, Record<string, SqlValue>])[],
): Promise<void> {
  const analysed = await task(["analyze", rec]);
  assert.equal(analysed.code, 0, analysed.stderr);
  await withDb(join(rec, DB_FILE), async (c) => {
    for (const st of statements) {
      const [sql, values] = typeof st === "string" ? [st, {}] : st;
      await runSql(c, sql, values);
    }
  });
}

const CONTENT_KEYS = [
  "gen_ai.input.messages",
  "gen_ai.output.messages",
  "gen_ai.system_instructions",
  "gen_ai.tool.call.arguments",
  "gen_ai.tool.call.result",
];

Deno.test("export --format otlp: GenAI spans over http/protobuf and http/json, checked against the analysis", async () => {
  const { tmp, recs } = await copies();
  const rx = receiver();
  try {
    const base = {
      OTEL_EXPORTER_OTLP_ENDPOINT: rx.url,
      OTEL_EXPORTER_OTLP_HEADERS: "authorization=Bearer t0ken,x-fleet=lab",
    };
    const proto = await task(["export", ...recs, "--format", "otlp"], base);
    assert.equal(proto.code, 0, proto.stderr);
    assert.match(proto.stdout, /injection-claude: 1 traces, \d+ spans/);
    assert.match(proto.stdout, /team-claude-gemini-codex: 3 traces, \d+ spans/);
    assert.ok(rx.got.length > 0 && rx.got.every((r) => r.contentType === "application/x-protobuf"));
    assert.ok(rx.got.every((r) => r.headers.get("authorization") === "Bearer t0ken"));
    assert.ok(rx.got.every((r) => r.headers.get("x-fleet") === "lab"));
    const viaProto = spans(rx.got.splice(0));

    const json = await task(["export", ...recs, "--format", "otlp"], {
      ...base,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    });
    assert.equal(json.code, 0, json.stderr);
    assert.ok(rx.got.length > 0 && rx.got.every((r) => r.contentType === "application/json"));
    const viaJson = spans(rx.got.splice(0));
    assert.deepEqual(viaJson, viaProto, "both encodings carry the same spans, ids included");

    for (const s of viaProto) {
      for (const k of CONTENT_KEYS) {
        assert.ok(!(k in s.attributes), `${s.name}: no ${k} by default`);
      }
    }
    const byId = new Map(viaProto.map((s) => [s.spanId, s]));
    const children = (p: Span) => viaProto.filter((s) => s.parentSpanId === p.spanId);

    for (const rec of recs) {
      const name = rec.split("/").pop()!;
      const mine = viaProto.filter((s) => s.resource["sightline.recording"] === name);
      const sessions = await rowsOf(rec, "SELECT * FROM sessions ORDER BY session_id");
      const roots = mine.filter((s) => s.parentSpanId === "");
      assert.equal(roots.length, sessions.length, `${name}: a trace per session`);
      assert.equal(new Set(roots.map((r) => r.traceId)).size, roots.length);
      for (const sess of sessions) {
        const root = roots.find((r) => r.attributes["sightline.session_id"] === sess.session_id)!;
        assert.ok(root, `${name}: session ${sess.session_id} has a root span`);
        assert.equal(root.name, `invoke_agent ${sess.agent}`);
        assert.equal(root.kind, 1, "INTERNAL");
        assert.equal(root.start, sess.start_ns, "the recorded start");
        assert.equal(root.attributes["gen_ai.operation.name"], "invoke_agent");
        assert.equal(root.attributes["gen_ai.agent.name"], sess.agent);
        assert.ok(mine.filter((s) => s.traceId === root.traceId).every((s) => s.start >= 0n));

        // chat spans: one per LLM call, with the call's numbers
        const calls = await rowsOf(
          rec,
          "SELECT * FROM llm_calls WHERE pid = $pid ORDER BY llm_call_id",
          { pid: sess.session_id },
        );
        const chats = children(root).filter((s) =>
          s.attributes["sightline.llm_call_id"] !== undefined && !s.name.startsWith("execute_tool")
        );
        assert.equal(chats.length, calls.length, `${name}/${sess.session_id}: a span per LLM call`);
        for (const call of calls) {
          const span = chats.find((s) =>
            s.attributes["sightline.llm_call_id"] === Number(call.llm_call_id)
          )!;
          const op = call.provider === "gemini" ? "generate_content" : "chat";
          const provider =
            { anthropic: "anthropic", gemini: "gcp.gemini" }[call.provider as string] ?? "openai";
          const input = Number(call.input_tokens) +
            (call.provider === "anthropic"
              ? Number(call.cache_read_tokens ?? 0) + Number(call.cache_write_tokens ?? 0)
              : 0);
          assert.equal(span.name, `${op} ${call.request_model ?? call.model}`);
          assert.equal(span.kind, 3, "CLIENT");
          assert.equal(span.start, call.request_ns);
          assert.equal(span.end, call.end_ns);
          assert.equal(span.attributes["gen_ai.operation.name"], op);
          assert.equal(span.attributes["gen_ai.provider.name"], provider);
          assert.equal(span.attributes["gen_ai.request.model"], call.request_model ?? call.model);
          assert.equal(span.attributes["gen_ai.response.model"], call.model);
          assert.equal(span.attributes["gen_ai.usage.input_tokens"], input);
          assert.equal(span.attributes["gen_ai.usage.output_tokens"], Number(call.output_tokens));
          assert.match(
            String(span.attributes["gen_ai.conversation.id"]),
            new RegExp(`/${call.conversation_id}$`),
          );
          if (call.cache_read_tokens !== null) {
            assert.equal(
              span.attributes["gen_ai.usage.cache_read.input_tokens"],
              Number(call.cache_read_tokens),
            );
          }
          if (call.cache_write_tokens !== null) {
            assert.equal(
              span.attributes["gen_ai.usage.cache_creation.input_tokens"],
              Number(call.cache_write_tokens),
            );
          }
          if (call.stop_reason !== null) {
            assert.deepEqual(span.attributes["gen_ai.response.finish_reasons"], [call.stop_reason]);
          }
          if (call.streaming) {
            assert.equal(
              span.attributes["gen_ai.response.time_to_first_chunk"],
              Number(call.first_byte_ns - call.request_ns) / 1e9,
            );
          }
        }

        // tool spans: one per tool call, linked to the chat span that asked for it
        const tools = await rowsOf(
          rec,
          "SELECT t.* FROM tool_calls t JOIN llm_calls c USING (llm_call_id) WHERE c.pid = $pid ORDER BY tool_call_id",
          { pid: sess.session_id },
        );
        const toolSpans = children(root).filter((s) => s.name.startsWith("execute_tool "));
        assert.equal(
          toolSpans.length,
          tools.length,
          `${name}/${sess.session_id}: a span per tool call`,
        );
        for (const t of tools) {
          const span = toolSpans.find((s) =>
            s.attributes["sightline.tool_call_id"] === Number(t.tool_call_id)
          )!;
          assert.equal(span.name, `execute_tool ${t.name}`);
          assert.equal(span.attributes["gen_ai.tool.name"], t.name);
          // how its command ended by the kernel's evidence
          const [outcome] = await rowsOf(
            rec,
            "SELECT outcome FROM tool_outcomes WHERE tool_call_id = $tool_call_id",
            { tool_call_id: t.tool_call_id },
          );
          assert.equal(span.attributes["sightline.tool.outcome"], outcome.outcome);
          if (t.provider_call_id !== null) {
            assert.equal(span.attributes["gen_ai.tool.call.id"], t.provider_call_id);
          }
          const chat = chats.find((s) =>
            s.attributes["sightline.llm_call_id"] === Number(t.llm_call_id)
          )!;
          assert.deepEqual(span.links, [chat.spanId]);
          // the processes linked to it, each with its command line
          const procs = await rowsOf(
            rec,
            `SELECT DISTINCT a.pid, p.argv FROM links l JOIN actions a USING (recording, event_table, event_id)
             LEFT JOIN processes p ON p.pid = a.pid AND p.start_ns IS NOT DISTINCT FROM a.proc_start_ns
             WHERE l.attribution = 'tool' AND l.tool_call_id = $tool_call_id AND a.pid <> $pid
             ORDER BY a.pid`,
            { tool_call_id: t.tool_call_id, pid: sess.session_id },
          );
          const procSpans = children(span).filter((s) => s.name.startsWith("process "));
          assert.deepEqual(
            procSpans.map((
              s,
            ) => [s.attributes["process.pid"], s.attributes["process.command_args"] ?? null])
              .sort((a, b) => Number(a[0]) - Number(b[0])),
            procs.map((p) => [p.pid, p.argv]),
            `tool call ${t.tool_call_id}: its processes`,
          );
          // the connections and file changes linked to it, as events on its spans
          const acts = await rowsOf(
            rec,
            `SELECT count(*) AS n FROM links l JOIN actions a USING (recording, event_table, event_id)
             WHERE l.attribution = 'tool' AND l.tool_call_id = $tool_call_id
               AND (a.event_table = 'net' OR (a.event_table = 'file' AND a.written
                    AND NOT regexp_matches(a.path, '^/(dev|proc|sys)/')))`,
            { tool_call_id: t.tool_call_id },
          );
          const evs = [span, ...procSpans].flatMap((s) => s.events)
            .filter((e) => e.name !== "sightline.finding");
          assert.equal(evs.length, Number(acts[0].n), `tool call ${t.tool_call_id}: its actions`);
        }
      }

      // findings: every one an event, on the tool span its evidence names or its session's span
      const findings = await rowsOf(rec, "SELECT * FROM findings ORDER BY finding_id");
      const shown = mine.flatMap((s) =>
        s.events.filter((e) => e.name === "sightline.finding").map((e) => ({ s, e }))
      );
      assert.equal(shown.length, findings.length, `${name}: every finding`);
      for (const f of findings) {
        const { s, e } = shown.find(({ e }) =>
          e.attributes["sightline.finding.id"] === Number(f.finding_id)
        )!;
        assert.equal(e.attributes["sightline.finding.kind"], f.kind);
        assert.equal(e.time, f.start_ns);
        const tool = (f.evidence as string[]).find((x) => x.startsWith("tool_call:"));
        if (tool) assert.equal(s.attributes["sightline.tool_call_id"], Number(tool.slice(10)));
        else assert.equal(s.parentSpanId, "");
      }
    }
    // the exfiltration case: the curl that sent /etc/passwd, under its tool call, with its connect
    const curl = viaProto.find((s) =>
      s.name === "process curl" &&
      (s.attributes["process.command_line"] as string).includes("@/etc/passwd")
    );
    assert.ok(curl, "the curl process span");
    assert.ok(byId.get(curl.parentSpanId)!.name.startsWith("execute_tool "));
    assert.ok(
      curl.events.some((e) => e.name === "network.connect" && e.attributes["network.peer.port"]),
    );

    // content only when asked for
    const content = await task(["export", recs[0], "--format", "otlp", "--content"], base);
    assert.equal(content.code, 0, content.stderr);
    const withContent = spans(rx.got.splice(0));
    const [call] = await rowsOf(
      recs[0],
      "SELECT llm_call_id, user_input, assistant_text FROM llm_calls WHERE user_input IS NOT NULL ORDER BY llm_call_id LIMIT 1",
    );
    const firstChat = withContent.find((s) =>
      s.attributes["gen_ai.operation.name"] === "chat" &&
      s.attributes["sightline.llm_call_id"] === Number(call.llm_call_id)
    )!;
    const input = JSON.parse(firstChat.attributes["gen_ai.input.messages"] as string);
    assert.deepEqual(input.at(-1), {
      role: "user",
      parts: [{ type: "text", content: call.user_input }],
    });
    const output = JSON.parse(firstChat.attributes["gen_ai.output.messages"] as string);
    assert.equal(output[0].role, "assistant");
    if (call.assistant_text !== null) {
      assert.ok(
        output[0].parts.some((p: Any) => p.type === "text" && p.content === call.assistant_text),
      );
    }
    const tool = withContent.find((s) => s.attributes["gen_ai.operation.name"] === "execute_tool")!;
    const [t] = await rowsOf(
      recs[0],
      "SELECT input FROM tool_calls WHERE tool_call_id = $tool_call_id",
      { tool_call_id: Number(tool.attributes["sightline.tool_call_id"]) },
    );
    assert.equal(tool.attributes["gen_ai.tool.call.arguments"], t.input);
    const args = await task(["export", recs[0], "--format", "otlp", "--tool-arguments"], base);
    assert.equal(args.code, 0, args.stderr);
    const withArgs = spans(rx.got.splice(0));
    assert.ok(withArgs.some((s) => "gen_ai.tool.call.arguments" in s.attributes));
    assert.ok(withArgs.every((s) => !("gen_ai.input.messages" in s.attributes)));
  } finally {
    await rx.close();
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("export --format otlp: no collector, or a protocol it does not speak, is one line and an exit code", async () => {
  const { tmp, recs } = await copies();
  try {
    // a port nobody listens on
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    l.close();
    const down = await task(["export", recs[0], "--format", "otlp"], {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_EXPORTER_OTLP_TIMEOUT: "1500",
    });
    assert.equal(down.code, 1);
    const lines = down.stderr.trim().split("\n").filter((x) => !x.includes("analysing"));
    assert.equal(lines.length, 1, down.stderr);
    assert.match(
      lines[0],
      /^export: .*injection-claude: OTLP export to http:\/\/127\.0\.0\.1:\d+\/v1\/traces failed/,
    );
    const grpc = await task(["export", recs[0], "--format", "otlp"], {
      OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
    });
    assert.equal(grpc.code, 2);
    assert.match(grpc.stderr, /^export: OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported/);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("export --format otlp: a malformed OTEL_EXPORTER_OTLP_HEADERS is one line and exit 2, nothing sent", async () => {
  const { tmp, recs } = await copies();
  const rx = receiver();
  try {
    for (
      const [name, value] of [
        ["OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer t0ken,x-tenant"],
        ["OTEL_EXPORTER_OTLP_TRACES_HEADERS", "authorization=Bearer t0ken;x"],
        ["OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%zzt0ken"],
      ]
    ) {
      const r = await task(["export", ...recs, "--format", "otlp"], {
        OTEL_EXPORTER_OTLP_ENDPOINT: rx.url,
        [name]: value,
      });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`^export: ${name}: entry \\d`), r.stderr);
      assert.equal(r.stderr.split("\n")[0].includes("t0ken"), false, "the secret is not shown");
      assert.equal(r.stdout, "");
      assert.equal(rx.got.length, 0, "nothing was sent");
    }
    // percent-encoded values reach the collector decoded
    const ok = await task(["export", recs[0], "--format", "otlp"], {
      OTEL_EXPORTER_OTLP_ENDPOINT: rx.url,
      OTEL_EXPORTER_OTLP_HEADERS: "authorization=Bearer%20t0ken%2C1",
    });
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(rx.got.length > 0);
    assert.ok(rx.got.every((r) => r.headers.get("authorization") === "Bearer t0ken,1"));
  } finally {
    await rx.close();
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("export --format otlp: spans the collector rejects (OTLP partial success) are one line and exit 1", async () => {
  const { tmp, recs } = await copies();
  // a collector that takes the request and rejects 3 of its spans, as OTLP/HTTP says it
  const partial = { partialSuccess: { rejectedSpans: 3, errorMessage: "quota exceeded" } };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const json = (req.headers.get("content-type") ?? "").includes("json");
    await req.arrayBuffer();
    return json
      ? new Response(JSON.stringify(partial), { headers: { "content-type": "application/json" } })
      : new Response(ExportResponse.encode(ExportResponse.fromObject(partial)).finish(), {
        headers: { "content-type": "application/x-protobuf" },
      });
  });
  try {
    for (const protocol of ["http/json", "http/protobuf"]) {
      const r = await task(["export", recs[0], "--format", "otlp"], {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${server.addr.port}`,
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      });
      assert.equal(r.code, 1, protocol + r.stdout + r.stderr);
      const lines = r.stderr.trim().split("\n").filter((x) => !x.includes("analysing"));
      assert.equal(lines.length, 1, r.stderr);
      assert.match(
        lines[0],
        /^export: .*injection-claude: OTLP export to http:\/\/127\.0\.0\.1:\d+\/v1\/traces: the collector rejected 3 of \d+ spans \(quota exceeded\)$/,
      );
    }
  } finally {
    await server.shutdown();
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("export --format otlp: a 200 that is no collector's, retryable answers and a partial success's warning, as OTLP/HTTP says", async () => {
  const { tmp, recs } = await copies();
  // what the endpoint answers next, per request; every request is counted
  let answer: (json: boolean) => Response = () => new Response(null);
  let requests = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    requests++;
    const json = (req.headers.get("content-type") ?? "").includes("json");
    await req.arrayBuffer();
    return answer(json);
  });
  const ok = (json: boolean, body?: object) =>
    json
      ? new Response(JSON.stringify(body ?? {}), {
        headers: { "content-type": "application/json" },
      })
      : new Response(ExportResponse.encode(ExportResponse.fromObject(body ?? {})).finish(), {
        headers: { "content-type": "application/x-protobuf" },
      });
  const run = async (env: Record<string, string> = {}) => {
    requests = 0;
    const r = await task(["export", recs[0], "--format", "otlp"], {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${server.addr.port}`,
      ...env,
    });
    const lines = r.stderr.trim().split("\n").filter((x) => x && !x.includes("analysing"));
    return { ...r, lines };
  };
  const at = `^export: .*injection-claude: OTLP export to http://127\\.0\\.0\\.1:\\d+/v1/traces`;
  try {
    // a proxy's HTML page, with 200: not delivered as far as anyone knows
    answer = () =>
      new Response("<!DOCTYPE html><html><body>Please log in</body></html>", {
        headers: { "content-type": "text/html; charset=utf-8" },
      });
    for (const protocol of ["http/protobuf", "http/json"]) {
      const r = await run({ OTEL_EXPORTER_OTLP_PROTOCOL: protocol });
      assert.equal(r.code, 1, protocol + r.stderr);
      assert.equal(r.lines.length, 1, r.stderr);
      const want = protocol === "http/json" ? "application/json" : "application/x-protobuf";
      assert.match(
        r.lines[0],
        new RegExp(
          `${at}: the endpoint answered 200 with Content-Type text/html, not ${want} as an ` +
            "OTLP collector must \\(\\d+ of \\d+ answers?\\): it is not a collector",
        ),
      );
    }
    // the right Content-Type on a body that is not an ExportTraceServiceResponse
    answer = () =>
      new Response("<html>oops</html>", { headers: { "content-type": "application/json" } });
    const undecoded = await run({ OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" });
    assert.equal(undecoded.code, 1, undecoded.stderr);
    assert.match(
      undecoded.lines[0],
      new RegExp(`${at}: the collector's answer is not an ExportTraceServiceResponse \\(`),
    );
    // 503 with Retry-After: 1, then a collector's 200: retried, delivered
    let busy = 1;
    answer = (json) =>
      busy-- > 0
        ? new Response("busy", { status: 503, headers: { "retry-after": "1" } })
        : ok(json);
    const retried = await run();
    assert.equal(retried.code, 0, retried.stderr);
    assert.ok(requests >= 2, `retried after the 503: ${requests} requests`);
    // always 429 asking for 120 s, with a 1.5 s timeout: one line naming the status and wait
    answer = () => new Response("slow down", { status: 429, headers: { "retry-after": "120" } });
    const gaveUp = await run({ OTEL_EXPORTER_OTLP_TIMEOUT: "1500" });
    assert.equal(gaveUp.code, 1, gaveUp.stderr);
    assert.equal(gaveUp.lines.length, 1, gaveUp.stderr);
    assert.match(
      gaveUp.lines[0],
      new RegExp(
        `${at}: the collector answered 429 \\(retryable\\) \\d+ times?, last asking to retry ` +
          "after 120 s; the exporter gave up: its retries must fit in its timeout of 1500 ms " +
          "\\(OTEL_EXPORTER_OTLP_TIMEOUT\\)$",
      ),
    );
    // a non-retryable refusal names its status
    answer = () => new Response("no", { status: 401, statusText: "Unauthorized" });
    const refused = await run();
    assert.equal(refused.code, 1);
    assert.match(refused.lines[0], new RegExp(`${at} failed: HTTP 401 Unauthorized$`));
    // a partial success that rejects nothing but says something: delivered, the words shown
    answer = (json) => ok(json, { partialSuccess: { errorMessage: "attribute values truncated" } });
    for (const protocol of ["http/protobuf", "http/json"]) {
      const r = await run({ OTEL_EXPORTER_OTLP_PROTOCOL: protocol });
      assert.equal(r.code, 0, protocol + r.stderr);
      assert.match(r.stdout, /injection-claude: \d+ traces/);
      assert.ok(r.lines.length >= 1, r.stderr);
      for (const l of r.lines) {
        assert.match(
          l,
          new RegExp(`${at}: the collector took every span and said: attribute values truncated$`),
        );
      }
    }
    // the collector's words shown on one line with their controls and bidi characters escaped
    // (kit/control_chars.ts showLine): a C1 CSI, an ESC sequence, a bidi override, a CR
    answer = (json) =>
      ok(json, {
        partialSuccess: { errorMessage: "truncated \u009b2J \u001b[31m \u202Egnp.exe\rfake" },
      });
    const hostile = await run();
    assert.equal(hostile.code, 0, hostile.stderr);
    assert.equal(hostile.lines.length, 1, hostile.stderr);
    assert.match(
      hostile.lines[0],
      new RegExp(
        `${at}: the collector took every span and said: ` +
          String.raw`truncated \\x9b2J \\x1b\[31m \\u202egnp\.exe\\rfake$`,
      ),
    );
  } finally {
    await server.shutdown();
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("export --format otlp: a tool's HTTP to another machine (curl's LAN upload) is a CLIENT span under its process, by the HTTP conventions", async () => {
  // the committed recording of the Ollama client: its tool call runs curl, which POSTs .env
  // in cleartext to 10.213.7.1 (tests/fixtures/ollama/make_fixture.ts)
  const { tmp, rec } = await lanUploadCopy("sl-otlp-http-");
  const rx = receiver();
  try {
    const base = { OTEL_EXPORTER_OTLP_ENDPOINT: rx.url };
    const out = await task(["export", rec, "--format", "otlp"], base);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /lan_upload: 1 traces, \d+ spans \(.*, 1 HTTP exchanges\)/);
    const got = spans(rx.got.splice(0));
    const [x] = await rowsOf(
      rec,
      `SELECT e.* FROM http_exchanges e WHERE e.llm_call_id IS NULL AND e.path = '/upload'`,
    );
    assert.ok(x, "the upload is in http_exchanges");
    const http = got.filter((s) => s.attributes["sightline.exchange_id"] !== undefined);
    assert.equal(http.length, 1, "one span: the upload, no LLM call's exchange");
    const [s] = http;
    assert.equal(s.name, "POST");
    assert.equal(s.kind, 3, "CLIENT");
    assert.equal(s.start, x.request_ns);
    assert.equal(s.end, x.response_end_ns);
    const [host, port] = String(x.host).split(":");
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(s.attributes).filter(([k]) => !k.startsWith("sightline.http.")),
      ),
      {
        "http.request.method": "POST",
        "url.full": `http://${x.host}/upload`,
        "server.address": host,
        "server.port": Number(port),
        "network.protocol.name": "http",
        "network.protocol.version": "1.1",
        "http.response.status_code": 201,
        "http.request.body.size": Number(x.request_bytes),
        "http.response.body.size": Number(x.response_bytes),
        "process.pid": x.pid,
        "sightline.exchange_id": Number(x.exchange_id),
        "sightline.transport": "cleartext-http",
      },
    );
    assert.ok(!("sightline.http.request.body" in s.attributes), "no body without --content");
    assert.ok(!("sightline.http.response.body" in s.attributes));
    // under curl's process span, under the tool call that ran it
    const parent = got.find((p) => p.spanId === s.parentSpanId)!;
    assert.equal(parent.name, "process curl");
    assert.equal(parent.attributes["process.pid"], x.pid);
    const tool = got.find((p) => p.spanId === parent.parentSpanId)!;
    assert.ok(tool.name.startsWith("execute_tool "), tool.name);
    assert.equal(s.traceId, tool.traceId);

    // with --content: the bodies as sent and answered
    const content = await task(["export", rec, "--format", "otlp", "--content"], base);
    assert.equal(content.code, 0, content.stderr);
    const c = spans(rx.got.splice(0)).find((p) => p.spanId === s.spanId)!;
    const dec = new TextDecoder();
    assert.equal(c.attributes["sightline.http.request.body"], dec.decode(x.request_body));
    assert.equal(c.attributes["sightline.http.response.body"], dec.decode(x.response_body));
  } finally {
    await rx.close();
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("export --format otlp: the agent process's own HTTP that is no LLM call (an in-process fetch) is a CLIENT span under its session", async () => {
  // no recording has one: the Ollama client's (tests/fixtures/ollama/lan_upload), analysed,
  // gets an exchange of its agent process, a GET over TLS and HTTP/2 in its session's life
  const { tmp, rec } = await lanUploadCopy("sl-otlp-agent-http-");
  const rx = receiver();
  try {
    await analysedWith(rec, [
      `INSERT INTO http_exchanges SELECT * REPLACE (
         (SELECT max(exchange_id) + 1 FROM http_exchanges) AS exchange_id,
         (SELECT session_id FROM sessions) AS pid, 0 AS conn_gen, 'h2' AS protocol,
         'docs.example.com' AS host, 'GET' AS method, '/page?key=k1' AS path, 200 AS status)
       FROM http_exchanges WHERE path = '/upload'`,
    ]);
    const [x] = await rowsOf(rec, `SELECT * FROM http_exchanges WHERE host = 'docs.example.com'`);
    const [session] = await rowsOf(rec, `SELECT session_id FROM sessions`);
    assert.equal(x.pid, session.session_id);

    const out = await task(["export", rec, "--format", "otlp"], {
      OTEL_EXPORTER_OTLP_ENDPOINT: rx.url,
    });
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /lan_upload: 1 traces, \d+ spans \(.*, 2 HTTP exchanges\)/);
    const got = spans(rx.got.splice(0));
    const s = got.find((p) => p.attributes["sightline.exchange_id"] === Number(x.exchange_id));
    assert.ok(s, "a span for the agent's own exchange");
    assert.equal(s.name, "GET");
    assert.equal(s.kind, 3, "CLIENT");
    assert.equal(s.start, x.request_ns);
    assert.equal(s.end, x.response_end_ns);
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(s.attributes).filter(([k]) => !k.startsWith("sightline.http.")),
      ),
      {
        "http.request.method": "GET",
        "url.full": "https://docs.example.com/page",
        "server.address": "docs.example.com",
        "server.port": 443,
        "network.protocol.name": "http",
        "network.protocol.version": "2",
        "http.response.status_code": 200,
        "http.request.body.size": Number(x.request_bytes),
        "http.response.body.size": Number(x.response_bytes),
        "process.pid": x.pid,
        "sightline.exchange_id": Number(x.exchange_id),
        "sightline.transport": "tls",
      },
    );
    // under the session's span; curl's upload stays under its process
    const parent = got.find((p) => p.spanId === s.parentSpanId)!;
    assert.ok(parent.name.startsWith("invoke_agent "), parent.name);
    assert.equal(parent.attributes["process.pid"], x.pid);
    const curl = got.filter((p) =>
      p.attributes["sightline.exchange_id"] !== undefined && p.spanId !== s.spanId
    );
    assert.equal(curl.length, 1);
    assert.equal(got.find((p) => p.spanId === curl[0].parentSpanId)!.name, "process curl");
  } finally {
    await rx.close();
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("export --format otlp: server.address and server.port of a Host or absolute target, by protocols/authority", async () => {
  // the Ollama client's recording (cleartext LLM calls, curl's upload), analysed, its LLM calls'
  // Host made a fully qualified name in upper case without a port, and three HTTP exchanges of
  // the agent added: absolute form with userinfo, an IPv6 literal over TLS, a Host naming no host
  const { tmp, rec } = await lanUploadCopy("sl-otlp-server-");
  const rx = receiver();
  const add = (id: number, connGen: number, host: string, path: string): [
    string,
    Record<string, SqlValue>,
  ] => [
    `INSERT INTO http_exchanges SELECT * REPLACE (
       (SELECT max(exchange_id) + $id FROM http_exchanges) AS exchange_id,
       (SELECT session_id FROM sessions) AS pid, $conn_gen AS conn_gen, $host AS host,
       'GET' AS method, $path AS path, 200 AS status)
     FROM http_exchanges WHERE path = '/upload'`,
    { id, conn_gen: connGen, host, path },
  ];
  try {
    await analysedWith(rec, [
      `UPDATE http_exchanges SET host = 'Models.LAN.test.' WHERE llm_call_id IS NOT NULL`,
      add(1, -1, "docs.example.com", "http://user:pw@Docs.Example.COM/page"),
      add(2, 0, "[FD00::5]:8443", "/v6"),
      add(3, 0, "bad host:x", "/bad"),
    ]);
    const calls = await rowsOf(rec, "SELECT llm_call_id, transport FROM llm_calls");
    assert.ok(calls.length > 0);
    const out = await task(["export", rec, "--format", "otlp"], {
      OTEL_EXPORTER_OTLP_ENDPOINT: rx.url,
    });
    assert.equal(out.code, 0, out.stderr);
    const got = spans(rx.got.splice(0));
    const server = (s: Span) => [s.attributes["server.address"], s.attributes["server.port"]];
    for (const call of calls) {
      assert.equal(call.transport, "cleartext-http");
      const chat = got.find((p) =>
        p.attributes["sightline.llm_call_id"] === Number(call.llm_call_id) &&
        p.attributes["gen_ai.operation.name"] === "chat"
      )!;
      // lower case, no trailing dot; a cleartext call's Host without a port: 80 (was 443)
      assert.deepEqual(server(chat), ["models.lan.test", 80]);
    }
    const byPath = (path: string) =>
      got.find((p) => p.attributes["url.full"]?.toString().endsWith(path))!;
    // the absolute target's host, its userinfo never an address (was "user:pw@Docs.Example.COM")
    assert.deepEqual(server(byPath("/page")), ["docs.example.com", 80]);
    assert.deepEqual(server(byPath("/v6")), ["fd00::5", 8443]);
    // a Host that names no host: the address as sent, no port (was port 443)
    assert.deepEqual(server(byPath("/bad")), ["bad host:x", undefined]);
  } finally {
    await rx.close();
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("export --format otlp: a tool the provider ran within an answer is a gen_ai.server_tool_call event on its chat span", async () => {
  // no dataset has one: the Ollama client's recording (tests/fixtures/ollama/lan_upload),
  // analysed, gets a web search the provider ran within its first LLM call's answer
  const { tmp, rec } = await lanUploadCopy("sl-otlp-server-tool-");
  const rx = receiver();
  try {
    await analysedWith(rec, [
      `INSERT INTO server_tool_calls
       SELECT recording, 1, llm_call_id, 0, 'ws_1', 'web_search',
         '{"query":"ollama lan"}', 'completed', '["https://example.test/a"]', false, end_ns
       FROM llm_calls ORDER BY llm_call_id LIMIT 1`,
    ]);
    const [call] = await rowsOf(rec, "SELECT * FROM llm_calls ORDER BY llm_call_id LIMIT 1");
    for (const content of [false, true]) {
      const out = await task(
        ["export", rec, "--format", "otlp", ...(content ? ["--content"] : [])],
        { OTEL_EXPORTER_OTLP_ENDPOINT: rx.url },
      );
      assert.equal(out.code, 0, out.stderr);
      const got = spans(rx.got.splice(0));
      const chat = got.find((p) =>
        p.attributes["sightline.llm_call_id"] === Number(call.llm_call_id) &&
        p.attributes["gen_ai.operation.name"] === "chat"
      )!;
      const evs = chat.events.filter((e) => e.name === "gen_ai.server_tool_call");
      assert.deepEqual(evs.map((e) => [e.time, e.attributes]), [[call.end_ns, {
        "gen_ai.tool.name": "web_search",
        "gen_ai.tool.call.id": "ws_1",
        ...(content
          ? {
            "gen_ai.tool.call.arguments": '{"query":"ollama lan"}',
            "gen_ai.tool.call.result": '["https://example.test/a"]',
          }
          : {}),
        "sightline.server_tool_call_id": 1,
        "sightline.server_tool.result_type": "completed",
      }]]);
      // not the agent's tool: no execute_tool span for it
      assert.ok(!got.some((p) => p.name === "execute_tool web_search"));
    }
  } finally {
    await rx.close();
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("export --format otlp: a WebSocket upgrade that carried LLM calls is no HTTP span, from a tool's process as from the agent's", async () => {
  // no recording has a tool-started process talking to an LLM over WebSocket (a nested Codex
  // run by a tool): the Ollama client's (tests/fixtures/ollama/lan_upload), analysed, gets a
  // `GET 101` upgrade by curl's pid under its tool call and one by the agent's pid, each the
  // exchange of an LLM call (llm_calls.exchange_id, as Codex's are)
  const { tmp, rec } = await lanUploadCopy("sl-otlp-ws-");
  const rx = receiver();
  try {
    await analysedWith(
      rec,
      [false, true].flatMap((bySession): [string, Record<string, SqlValue>][] => [
        [
          `INSERT INTO http_exchanges SELECT * REPLACE (
           (SELECT max(exchange_id) + 1 FROM http_exchanges) AS exchange_id,
           CASE WHEN $by_session THEN (SELECT session_id FROM sessions) ELSE pid END AS pid,
           'GET' AS method, '/v1/responses' AS path, 101 AS status)
         FROM http_exchanges WHERE path = '/upload'`,
          { by_session: bySession },
        ],
        [
          `INSERT INTO llm_calls SELECT * REPLACE (
           (SELECT max(llm_call_id) + 1 FROM llm_calls) AS llm_call_id,
           (SELECT max(exchange_id) FROM http_exchanges) AS exchange_id)
         FROM llm_calls WHERE llm_call_id = (SELECT min(llm_call_id) FROM llm_calls)`,
          {},
        ],
      ]),
    );
    const ws = await rowsOf(
      rec,
      `SELECT e.exchange_id, e.pid FROM http_exchanges e
       JOIN llm_calls c USING (exchange_id) WHERE e.status = 101 ORDER BY e.exchange_id`,
    );
    assert.equal(ws.length, 2, "two upgrades, each an LLM call's exchange");
    const [upload] = await rowsOf(rec, `SELECT pid FROM http_exchanges WHERE path = '/upload'`);
    const [session] = await rowsOf(rec, `SELECT session_id FROM sessions`);
    assert.deepEqual(ws.map((w) => w.pid), [upload.pid, session.session_id]);

    const out = await task(["export", rec, "--format", "otlp"], {
      OTEL_EXPORTER_OTLP_ENDPOINT: rx.url,
    });
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /lan_upload: 1 traces, \d+ spans \(.*, 1 HTTP exchanges\)/);
    const got = spans(rx.got.splice(0));
    const http = got.filter((s) => s.attributes["sightline.exchange_id"] !== undefined);
    assert.deepEqual(http.map((s) => s.name), ["POST"], "only curl's upload, no GET 101 span");
  } finally {
    await rx.close();
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("export --format otlp: a failed command the agent did not flag is an ERROR tool span, by the kernel's evidence", async () => {
  // Gemini CLI sends the usage error of `python3 count_rows.py --input ...` back without an
  // error flag (case study 2): each command exited 2
  const { tmp, recs: [rec] } = await datasetCopies(["loop-gemini"], "sl-otlp-outcome-");
  const rx = receiver();
  try {
    const out = await task(["export", rec, "--format", "otlp"], {
      OTEL_EXPORTER_OTLP_ENDPOINT: rx.url,
    });
    assert.equal(out.code, 0, out.stderr);
    const tools = spans(rx.got.splice(0)).filter((s) => s.name.startsWith("execute_tool "));
    const flagged = await rowsOf(rec, "SELECT count(*) AS n FROM tool_calls WHERE result_is_error");
    assert.equal(flagged[0].n, 0n, "Gemini CLI flagged none");
    assert.deepEqual(
      tools.map((s) => [s.attributes["sightline.tool.outcome"], s.status]),
      Array(4).fill(["exited 2", 2]),
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("export --format otlp: a recording with a file cut short is exported from what was read, each session span carrying its problems, exit 1", async () => {
  const { tmp, recs } = await copies();
  const rx = receiver();
  try {
    // injection-claude's file.arrow cut mid-batch (a capture killed mid-write)
    const cut = join(recs[0], "file.arrow");
    await Deno.truncate(cut, Math.floor((await Deno.stat(cut)).size / 2) + 7);
    const base = { OTEL_EXPORTER_OTLP_ENDPOINT: rx.url };
    const out = await task(["export", ...recs, "--format", "otlp"], base);
    assert.equal(out.code, 1, out.stderr);
    const lines = out.stderr.trim().split("\n").filter((x) => !x.includes("analysing"));
    assert.ok(
      lines.some((l) =>
        /^export: .*injection-claude: file\.arrow damaged: analysed what could be read; \d+ problems? /
          .test(l)
      ),
      out.stderr,
    );
    assert.match(out.stdout, /injection-claude: [1-9]\d* traces/, "what was read is sent");
    const got = spans(rx.got.splice(0));
    for (const rec of recs) {
      const problems = await rowsOf(
        rec,
        "SELECT kind, source, message FROM problems ORDER BY kind, source, message",
      );
      const sessions = got.filter((s) =>
        s.name.startsWith("invoke_agent ") &&
        s.attributes["sightline.recording"] === rec.split("/").at(-1)
      );
      assert.ok(sessions.length > 0, rec);
      for (const s of sessions) {
        assert.equal(s.attributes["sightline.problems"], problems.length || undefined, rec);
        assert.deepEqual(
          s.events.filter((e) => e.name === "sightline.problem").map((e) => ({
            kind: e.attributes["sightline.problem.kind"],
            source: e.attributes["sightline.problem.source"],
            message: e.attributes["sightline.problem.message"],
          })),
          problems,
          rec,
        );
      }
    }
    // the cut file is among them
    const [damaged] = await rowsOf(
      recs[0],
      "SELECT count(*)::INTEGER AS n FROM problems WHERE kind = 'file' AND source = 'file.arrow'",
    );
    assert.equal(damaged.n, 1);
  } finally {
    await rx.close();
    await Deno.remove(tmp, { recursive: true });
  }
});
