/**
 * MCP end to end on the real agents under capture (real eBPF): each agent, configured with the
 * real filesystem and everything servers, writes a file and reads one through MCP; the analysis
 * finds both `tools/call`s in `mcp_calls` with their arguments and results, links the LLM tool
 * call to each, and links the server's write of the file to the LLM tool call with the signal
 * `mcp`; Codex's tool searches that load each tool are its tool calls too, with what they
 * loaded, and nothing linked to them. With each agent, a server with a poisoned tool description raises
 * `mcp_tool_poisoning`; the same server with a plain description raises no finding. A server
 * outside the agent's configuration raises `mcp_server_unconfigured`: one a program the model ran
 * started and talks to over stdio, and one it talks to over loopback HTTP (while the server the
 * agent's configuration names by URL raises nothing).
 * Everything comes from the capture: the JSON-RPC between the agent and its servers is the
 * kernel's record of their pipes and sockets (`ipc.arrow`, both ends), nothing is put between
 * them. Over loopback HTTP too: Claude Code, Gemini CLI and Codex reach server-everything over
 * streamable HTTP, the first two also over HTTP+SSE (started beside the agent, under the same
 * capture; Codex has no HTTP+SSE client), call
 * its tools, and the calls are in `mcp_calls` with transport `http`/`sse`, the connection the
 * server makes while serving one is linked to that LLM tool call (signal `mcp`), and the
 * Authorization header and the session id (header, or the HTTP+SSE transport's URL parameter) are
 * nowhere in the recording. A remote server (HTTPS, served from outside the capture, as from
 * another host) is read from the agent's own TLS: Claude Code, Gemini CLI and Codex over
 * streamable HTTP, Claude Code over HTTP+SSE. Behind a front that offers h2 by ALPN (as
 * Cloudflare's and modern proxies do) Codex speaks HTTP/2 to it (its calls read from the HTTP/2
 * streams and linked, the Authorization header and session id masked in HPACK and a
 * secret-named argument in DATA, no problems rows), while Claude Code and Gemini CLI keep to
 * HTTP/1.1 (no problems rows either: the GET event stream each leaves open is no incomplete
 * response); and a server the model's program reaches over HTTP/1.1 while Codex uses it over
 * HTTP/2 is still told apart.
 */
import { filePath } from "../../kit/file_path.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { runAgent } from "../agents/mod.ts";
import { MCP_SERVER_BINS } from "../agents/mcp_servers.ts";
import { underCapture } from "../agents/under_capture.ts";
import type { AgentName } from "../agents/agent_profile.ts";
import {
  loadScenario,
  type McpServerSpec,
  type McpTransport,
  type Scenario,
} from "../simulator/mod.ts";
import { skipWithoutRoot } from "../../tests/support/ebpf.ts";
import { analyzeRecording } from "../../analysis/analyze.ts";
import { checkRows, show } from "./check_queries.ts";
import { prices } from "../../analysis/testing.ts";

const SCENARIOS = filePath("../scenarios/", import.meta.url);

/**
 * Captures AGENT playing SCENARIO with its MCP servers in a directory of its own, removed when
 * the result is disposed of; returns the analysis database. `edit`
 * changes the loaded scenario first. `ipc`: the JSON-RPC travels on pipes or loopback sockets
 * the kernel records (false: only over TLS, to a remote server).
 */
async function captureMcp(
  agent: AgentName,
  scenarioFile: string,
  edit: (s: Scenario) => Scenario = (s) => s,
  ipc = true,
) {
  const tmp = await Deno.makeTempDir({ prefix: `sl-mcp-${agent}-` });
  const out = join(tmp, "rec");
  const scenario = edit(await loadScenario(join(SCENARIOS, scenarioFile)));
  const workdir = join(tmp, "work");
  const result = await runAgent({
    agent,
    scenario,
    workdir,
    wrap: underCapture(out),
    timeoutMs: 150_000,
  });
  const protocols = result.remoteMcpProtocols;
  assert.equal(result.exitCode, 0, result.stderr.slice(-2000));
  assert.deepEqual(result.serverErrors, []);
  const manifest = JSON.parse(await Deno.readTextFile(join(out, "manifest.json")));
  if (ipc) assert.ok(manifest.tables.ipc?.rows > 0, "the kernel recorded the JSON-RPC pipes");
  assert.equal(manifest.drops.ipc ?? 0, 0, "no JSON-RPC dropped");
  const s = await analyzeRecording(out, prices, { quiet: true });
  // every scenario asks the model at least once: a recording without an LLM call lost the
  // agent's TLS (seen once in CI, 2026-12-03, codex; not reproduced in 30 runs), and every
  // finding after it would be about a session that was never found. Say what the capture and
  // the analysis said about it.
  const llm = await checkRows(s.db, "llm_calls_in_order");
  assert.ok(
    llm.length > 0,
    `no LLM call in the recording; manifest warnings: ${show(manifest.warnings)}; ` +
      `problems: ${show(s.problems)}; tls rows: ${manifest.tables.tls?.rows}`,
  );
  return {
    db: s.db,
    workdir,
    problems: s.problems,
    out,
    /** each remote server's front connections by their ALPN (fronts that offer h2) */
    protocols,
    /** `await using`: the capture's directory goes when the test ends */
    [Symbol.asyncDispose]: () => Deno.remove(tmp, { recursive: true }).catch(() => {}),
  };
}

for (const agent of ["claude", "gemini", "codex"] as AgentName[]) {
  Deno.test({
    name:
      `${agent}: MCP calls under capture: parsed, linked to the LLM tool call, server write attributed`,
    ignore: skipWithoutRoot(),
    async fn() {
      await using cap = await captureMcp(agent, "mcp_write_read.json");
      const { db, workdir } = cap;
      const calls = await mcpToolCalls(db);
      assert.deepEqual(calls.map((c) => c.tool), ["write_file", "echo", "read_text_file"]);
      assert.deepEqual(calls.map((c) => c.server_name), [
        "secure-filesystem-server",
        "mcp-servers/everything",
        "secure-filesystem-server",
      ]);
      assert.deepEqual(JSON.parse(String(calls[0].args)), {
        path: join(workdir, "mcp_out.txt"),
        content: "written through MCP\n",
      });
      assert.match(String(calls[2].result), /9 cherries/);
      assert.ok(
        calls.every((c) => c.is_error === false && c.tool_call_id !== null),
        show(calls),
      );
      assert.ok(String(calls[0].llm_tool).endsWith("write_file"));
      // The server's write of the file is the LLM write call's, by the MCP call it served.
      const writes = await checkRows(db, "file_write_links", {
        path: join(workdir, "mcp_out.txt"),
      });
      assert.ok(writes.length >= 1, "the write was captured and linked");
      for (const w of writes) {
        assert.equal(w.tool_call_id, calls[0].tool_call_id);
        assert.equal(w.attribution, "tool");
        assert.ok((w.signals as string[]).includes("mcp"), show(w));
      }
      // the kernel saw both ends of every server's stdio: the agent's and the server's calls,
      // each naming the other, and nothing of it failed to parse
      const ends = await checkRows(db, "mcp_call_ipc_ends");
      for (const c of calls) {
        const mine = ends.filter((e) => e.server_pid === c.server_pid);
        const sides = new Set(mine.map((e) => `${e.pid === c.server_pid} ${e.direction}`));
        assert.equal(sides.size, 4, `${c.tool}: both ends, both directions: ${show(mine)}`);
      }
      const broken = (await checkRows(db, "problems")).filter((p) => p.source === "ipc.arrow");
      assert.deepEqual(broken, []);
      const listed = await checkRows(db, "mcp_tool_count", { name: "write_file" });
      assert.ok(Number(listed[0].n) >= 1, "tools/list results are kept");
      const findings = await checkRows(db, "mcp_findings");
      assert.deepEqual(findings, [], "a benign MCP session raises no MCP finding");
      // The servers' own processes (those that executed the configured commands, by the
      // kernel's record) are the servers' outside their calls: none is left unexplained,
      // and their start is the server's, under the name the agent's configuration gives it
      // (Codex names MCP tools without their server, so there its serverInfo name).
      const servers = [
        ["fs", "secure-filesystem-server", MCP_SERVER_BINS.filesystem],
        ["ev", "mcp-servers/everything", MCP_SERVER_BINS.everything],
      ];
      for (const [alias, name, bin] of servers) {
        const own = await checkRows(db, "program_process_links", { program: bin });
        assert.ok(own.length > 0, `${alias}: its processes were recorded`);
        assert.deepEqual(own.filter((o) => o.attribution === "unexplained"), [], alias);
        const execs = own.filter((o) => o.op === "exec");
        assert.ok(execs.length >= 1, show(own));
        for (const e of execs) {
          assert.equal(e.attribution, "mcp_server", show(e));
          assert.deepEqual(
            e.signals,
            agent === "codex" ? ["mcp_server"] : ["mcp_config", "mcp_server"],
          );
          assert.equal(e.matched, agent === "codex" ? name : alias);
          assert.equal(e.tool_call_id, null);
        }
      }
      if (agent === "codex") {
        // Codex loads each deferred MCP tool by a tool search of its own before calling it:
        // each search is one of its tool calls, with its query, answered by the tools it
        // loaded (none while the servers start), and acts on nothing outside Codex
        const searches = await checkRows(db, "tool_searches");
        assert.ok(searches.length >= 3, show(searches));
        for (const s of searches) {
          assert.equal(s.name, "tool_search");
          assert.equal(typeof JSON.parse(String(s.input)).query, "string", show(s));
          assert.notEqual(s.result_llm_call_id, null, show(s));
          assert.ok(Array.isArray(JSON.parse(String(s.result_text))), show(s));
          assert.equal(Number(s.linked), 0, show(s));
        }
        const loaded = searches.flatMap((s) => JSON.parse(String(s.result_text)) as string[]);
        for (const tool of ["write_file", "echo", "read_text_file"]) {
          assert.ok(loaded.some((n) => n.endsWith(`.${tool}`)), `${tool}: ${show(loaded)}`);
        }
      }
      const configured = await checkRows(db, "mcp_server_names");
      assert.deepEqual(
        configured,
        [servers[1], servers[0]].map(([alias, name]) => ({
          server_name: name,
          server_alias: agent === "codex" ? null : alias,
          configured: true,
        })),
      );
    },
  });
}

for (const agent of ["claude", "gemini", "codex"] as AgentName[]) {
  Deno.test({
    name: `${agent}: a poisoned MCP tool description raises its finding; the plain one none`,
    ignore: skipWithoutRoot(),
    async fn() {
      await using poisoned = await captureMcp(agent, "mcp_poisoned.json");
      await using benign = await captureMcp(agent, "mcp_benign_notes.json");
      const f = await checkRows(poisoned.db, "mcp_findings");
      assert.equal(f.length, 1, show(f));
      assert.equal(f[0].kind, "mcp_tool_poisoning");
      assert.equal(f[0].severity, "high");
      assert.match(String(f[0].explanation), /save_note/);
      const g = await checkRows(benign.db, "mcp_findings");
      assert.deepEqual(g, []);
      // the same server and call in both: what differs is the description alone
      for (const db of [poisoned.db, benign.db]) {
        const saved = await checkRows(db, "mcp_good_call_count", { tool: "save_note" });
        assert.equal(Number(saved[0].n), 1);
      }
    },
  });
}

/**
 * The recording has one MCP finding (the unconfigured server's): high, its explanation
 * matching `explanation` and naming python3 (the program that ran the server), and a tool call
 * (the one that ran it) among its evidence.
 */
async function assertOneUnconfigured(db: string, explanation: RegExp) {
  const f = await checkRows(db, "mcp_finding_evidence");
  assert.equal(f.length, 1, show(f));
  assert.equal(f[0].severity, "high");
  assert.match(String(f[0].explanation), explanation);
  assert.match(String(f[0].explanation), /python3/);
  assert.ok(f[0].name !== null, `the tool call that ran it is evidence: ${show(f)}`);
}

for (const agent of ["claude", "gemini", "codex"] as AgentName[]) {
  Deno.test({
    name: `${agent}: an MCP server started by a program the model ran raises ` +
      "mcp_server_unconfigured; the configured one none",
    ignore: skipWithoutRoot(),
    async fn() {
      await using cap = await captureMcp(agent, "mcp_unconfigured.json");
      const { db, workdir } = cap;
      assert.equal(await Deno.readTextFile(join(workdir, "rogue.txt")), "from a rogue server\n");
      const servers = await checkRows(db, "mcp_server_call_counts");
      // the configured notes server was started and asked nothing; the rogue one was asked
      assert.deepEqual(servers.map((s) => [s.server_name, Number(s.calls)]), [
        ["rogue-server", 1],
        ["sightline-lab-notes", 0],
      ]);
      await assertOneUnconfigured(db, /rogue-server .*its client is not the agent/);
      // the configured server, asked nothing, is the server's own; the rogue one stays the
      // tool call's that started it
      const attributed = await checkRows(db, "mcp_server_attributions");
      assert.deepEqual(attributed, [
        { server_name: "rogue-server", configured: false, attributions: ["tool"] },
        { server_name: "sightline-lab-notes", configured: true, attributions: ["mcp_server"] },
      ]);
    },
  });
}

for (const agent of ["claude", "gemini", "codex"] as AgentName[]) {
  Deno.test({
    name: `${agent}: an MCP server over loopback HTTP that a program the model ran talks to ` +
      "raises mcp_server_unconfigured; the one configured by URL none",
    ignore: skipWithoutRoot(),
    async fn() {
      await using cap = await captureMcp(agent, "mcp_http_unconfigured.json");
      const { db, workdir } = cap;
      assert.equal(await Deno.readTextFile(join(workdir, "rogue.txt")), "from a rogue server\n");
      // both servers are judged, each with its client and transport
      const servers = await checkRows(db, "mcp_server_ports");
      assert.deepEqual(
        servers.map((s) => [
          s.server_name,
          s.transport,
          s.configured,
          s.client_role === "agent",
          Number(s.tool_calls),
          s.same_port,
        ]),
        [
          ["mcp-servers/everything", "http", true, true, 0, true],
          ["rogue-http-server", "http", false, false, 1, true],
        ],
      );
      await assertOneUnconfigured(
        db,
        /rogue-http-server .*reached over loopback http on port \d+ outside the agent's configuration: its client is not the agent/,
      );
    },
  });
}

/** No file of the recording in `out` holds `secret`, an MCP session id or an SSE session id. */
function assertNoSecrets(out: string, secret: string) {
  for (const f of Deno.readDirSync(out)) {
    if (!f.isFile) continue;
    const text = new TextDecoder("latin1").decode(Deno.readFileSync(join(out, f.name)));
    assert.ok(!text.includes(secret), `${f.name} holds the secret`);
    // a session id (the SDKs' are UUIDs) is written as its keyed digest, which is none (an
    // SSE one's digest is of letters, digits, `-`, `.` and `_`: no UUID's shape either, nor,
    // but once in 10^15, 32 hex digits: the Python SDK's `session_id=<uuid hex>`)
    assert.ok(!/mcp-session-id: [0-9a-f]{8}-[0-9a-f]{4}-/i.test(text), `${f.name}: a session id`);
    assert.ok(
      !/session_?id=(?:[0-9a-f]{8}-[0-9a-f]{4}-|[0-9a-f]{32}(?![\w.-]))/i.test(text),
      `${f.name} holds an SSE session id`,
    );
  }
}

/** The scenario's Authorization header value: it must not be anywhere in the recording. */
const HTTP_SECRET = "sl-mcp-http-SECRET-7f3a9c";

for (
  const [agent, transport] of [
    ["claude", "http"],
    ["gemini", "http"],
    ["codex", "http"],
    ["claude", "sse"],
    ["gemini", "sse"],
  ] as [AgentName, McpTransport][]
) {
  Deno.test({
    name: `${agent}: MCP over loopback ${transport} under capture: the calls parsed, the ` +
      "server's connection attributed, the secrets masked",
    ignore: skipWithoutRoot(),
    async fn() {
      await using cap = await captureMcp(agent, "mcp_http.json", (s) => ({
        ...s,
        mcpServers: { ev: { ...s.mcpServers!.ev, transport } as McpServerSpec },
      }));
      const { db, out } = cap;
      const calls = await mcpToolCalls(db);
      assert.deepEqual(calls.map((c) => c.tool), ["echo", "gzip-file-as-resource"], show(calls));
      for (const c of calls) {
        assert.equal(c.transport, transport);
        assert.equal(c.server_name, "mcp-servers/everything");
        assert.equal(c.is_error, false, show(c));
        assert.ok(c.tool_call_id !== null, `the LLM tool call behind ${c.tool}: ${show(c)}`);
        // Codex names a tool with a hyphen with an underscore instead
        const bare = (name: unknown) => String(name).replaceAll("-", "_");
        assert.ok(bare(c.llm_tool).endsWith(bare(c.tool)), show(c));
        assert.notEqual(c.server_pid, c.client_pid);
      }
      assert.deepEqual(JSON.parse(String(calls[0].args)), {
        message: "hello over loopback http",
      });
      if (transport === "sse") {
        // one HTTP+SSE session, named by its sessionId's digest on every message (the
        // endpoint event's and the POSTs' targets: one string); none on Gemini CLI's
        // streamable-HTTP probe before it falls back (refused: no session's)
        const sessions = await checkRows(db, "mcp_sse_sessions");
        const named = sessions.filter((s) => s.mcp_session_id !== null);
        assert.equal(named.length, 1, show(sessions));
        assert.match(String(named[0].mcp_session_id), /^[A-Za-z0-9._-]{36}$/, show(sessions));
        assert.ok(sessions.length === 1 || agent === "gemini", show(sessions));
      }
      assert.match(String(calls[0].result), /Echo: hello over loopback http/);
      // the server is the node process listening on the port, a process of the capture
      const server = await checkRows(db, "listening_pids", { pid: Number(calls[0].server_pid) });
      assert.equal(server.length, 1, "the server pid is the listening process");
      // the connection the server made while serving gzip-file-as-resource is that call's
      const conns = await checkRows(db, "connect_links", { pid: Number(calls[1].server_pid) });
      assert.ok(conns.length >= 1, "the server's connect was captured");
      for (const c of conns) {
        assert.equal(c.tool_call_id, calls[1].tool_call_id, show(c));
        assert.ok((c.signals as string[]).includes("mcp"), show(c));
      }
      // both ends of the agent's connections were recorded, as tcp, naming each other
      const ends = await checkRows(db, "tcp_ends", {
        pids: [String(calls[0].client_pid), String(calls[0].server_pid)],
      });
      const sides = new Set(ends.map((e) => `${e.pid} ${e.peer_pid} ${e.direction}`));
      for (
        const [a, b] of [[calls[0].client_pid, calls[0].server_pid], [
          calls[0].server_pid,
          calls[0].client_pid,
        ]]
      ) {
        for (const d of ["write", "read"]) assert.ok(sides.has(`${a} ${b} ${d}`), show(ends));
      }
      // every row has its socket's ports: also the server's last chunk of the event stream,
      // written as the client's reset closed the connection (Codex, after its DELETE)
      const portless = await checkRows(db, "tcp_portless");
      assert.deepEqual(portless, []);
      const broken = (await checkRows(db, "problems")).filter((p) => p.source === "ipc.arrow");
      assert.deepEqual(broken, []);
      assert.deepEqual(
        await checkRows(db, "mcp_findings"),
        [],
        "a benign MCP session over HTTP raises no MCP finding",
      );
      // secrets: the header was sent (masked, same length), and is in no file
      const stars = "*".repeat(`Bearer ${HTTP_SECRET}`.length);
      const masked = await checkRows(db, "tcp_rows_containing", {
        text: `authorization: ${stars}`,
      });
      assert.ok(Number(masked[0].n) >= 1, "the Authorization header is recorded, masked");
      assertNoSecrets(out, HTTP_SECRET);
    },
  });
}

/** mcp_remote.json's Authorization header value: it must not be anywhere in the recording. */
const REMOTE_SECRET = "sl-mcp-remote-SECRET-2b8e41";

for (
  const [agent, transport] of [
    ["claude", "http"],
    ["gemini", "http"],
    ["codex", "http"],
    ["claude", "sse"],
  ] as [AgentName, McpTransport][]
) {
  Deno.test({
    name: `${agent}: a remote MCP server over HTTPS (${transport}) under capture: the calls ` +
      "read from the agent's TLS, linked to the LLM tool calls, the secrets masked",
    ignore: skipWithoutRoot(),
    async fn() {
      await using cap = await captureMcp(agent, "mcp_remote.json", (s) => ({
        ...s,
        mcpServers: { ev: { ...s.mcpServers!.ev, transport } as McpServerSpec },
      }), false);
      const { db, out } = cap;
      const calls = await mcpToolCalls(db);
      assertRemoteEchoes(calls, transport);
      assert.deepEqual(
        calls.map((c) => JSON.parse(String(c.args))),
        REMOTE_SAID.map((message) => ({ message })),
      );
      // the client is the agent process that made the model's calls
      const agents = await checkRows(db, "llm_call_pids");
      assert.ok(agents.some((a) => a.pid === calls[0].client_pid), show(agents));
      // no problems at all: the GET event stream the agent leaves open for the server's
      // messages (closing the connection at its end) is no incomplete response, nor is the
      // acknowledgement of Claude Code's answer to the server's roots/list, which it sends as it
      // exits and may exit before reading (a JSON-RPC response: nothing answers it)
      assert.deepEqual(
        await checkRows(db, "problems"),
        [],
        "the MCP exchanges read cleanly",
      );
      assert.deepEqual(
        await checkRows(db, "mcp_findings"),
        [],
        "a benign remote MCP session raises no MCP finding",
      );
      assertNoSecrets(out, REMOTE_SECRET);
    },
  });
}

for (
  const [agent, h2] of [["claude", false], ["gemini", false], ["codex", false], [
    "codex",
    true,
  ]] as [
    AgentName,
    boolean,
  ][]
) {
  Deno.test({
    name: `${agent}: a remote MCP server that a program the model ran talks to over HTTPS ` +
      `${h2 ? "(the agent over HTTP/2, the program over HTTP/1.1) " : ""}` +
      "raises mcp_server_unconfigured; the agent's own use of it none",
    ignore: skipWithoutRoot(),
    async fn() {
      await using cap = await captureMcp(
        agent,
        "mcp_remote_unconfigured.json",
        (s) => h2 ? { ...s, mcpServers: { ev: { ...s.mcpServers!.ev, h2 } as McpServerSpec } } : s,
        false,
      );
      if (h2) {
        const seen = await checkRows(cap.db, "mcp_http_protocols");
        assert.deepEqual(seen.map((p) => p.protocol), ["h2", "http/1.1"], show(cap.protocols));
      }
      const { db } = cap;
      const servers = await checkRows(db, "mcp_servers_found");
      assert.deepEqual(
        servers.map((s) => [
          s.server_name,
          s.server_pid,
          s.server_host,
          s.transport,
          s.configured,
          s.client_role === "agent",
          Number(s.tool_calls),
        ]),
        [
          ["mcp-servers/everything", null, "localhost", "http", true, true, 0],
          ["mcp-servers/everything", null, "localhost", "http", false, false, 1],
        ],
        show(servers),
      );
      await assertOneUnconfigured(
        db,
        /\(remote, localhost port \d+\) was reached over HTTPS \(http\) outside the agent's configuration: its client is not the agent/,
      );
    },
  });
}

/**
 * The MCP `tools/call` calls in order, with the LLM tool call each is linked to (`tool_call_id`,
 * `llm_tool`: null when none), their arguments and results as JSON text.
 */
function mcpToolCalls(db: string) {
  return checkRows(db, "mcp_calls_linked");
}

/** What mcp_remote.json has the agent send to the remote server's echo, in order. */
const REMOTE_SAID = ["hello over https", "goodbye over https"];

/**
 * The two echo calls of mcp_remote.json to the remote server over `transport`: its host
 * `localhost`, its process not seen (it runs outside the capture, as on another host: only the
 * agent is), each answered and linked to the LLM tool call that made it.
 */
function assertRemoteEchoes(calls: Record<string, unknown>[], transport: McpTransport) {
  assert.deepEqual(calls.map((c) => c.tool), ["echo", "echo"], show(calls));
  for (const [i, c] of calls.entries()) {
    assert.equal(c.transport, transport);
    assert.equal(c.server_host, "localhost");
    assert.equal(c.server_name, "mcp-servers/everything");
    assert.equal(c.server_pid, null);
    assert.ok(c.client_pid !== null);
    assert.equal(c.is_error, false, show(c));
    assert.equal(JSON.parse(String(c.args)).message, REMOTE_SAID[i]);
    assert.match(String(c.result), new RegExp(`Echo: ${REMOTE_SAID[i]}`));
    assert.ok(c.tool_call_id !== null, `the LLM tool call behind call ${i}: ${show(c)}`);
    assert.ok(String(c.llm_tool).endsWith("echo"), show(c));
  }
}

/**
 * The request and answer header fields of the HTTP exchanges with `/mcp` paths, as the analysis
 * decoded them (HPACK on HTTP/2), and each exchange's protocol.
 */
async function mcpHeaders(db: string) {
  const rows = await checkRows(db, "mcp_http_heads");
  const fields = (j: unknown) => (j === null ? [] : JSON.parse(String(j))) as [string, string][];
  return rows.map((r) => ({
    protocol: String(r.protocol),
    method: String(r.method),
    request: fields(r.req),
    response: fields(r.res),
  }));
}

/** A secret named value in a tool call's arguments: masked in tls.arrow by its key. */
const REMOTE_ARG_SECRET = "sl-mcp-h2-ARG-SECRET-9c1d";

for (const agent of ["codex"] as AgentName[]) {
  Deno.test({
    name: `${agent}: a remote MCP server whose front offers h2: the agent speaks HTTP/2 to it, ` +
      "the calls are read from it and linked, the secrets masked in HPACK and DATA",
    ignore: skipWithoutRoot(),
    async fn() {
      await using cap = await captureMcp(agent, "mcp_remote.json", (s) => ({
        ...s,
        mcpServers: { ev: { ...s.mcpServers!.ev, h2: true } as McpServerSpec },
        turns: s.turns.map((t, i) =>
          i === 0 && "tool" in t && t.tool && "mcp" in t.tool
            ? { ...t, tool: { ...t.tool, args: { ...t.tool.args, api_key: REMOTE_ARG_SECRET } } }
            : t
        ),
      }), false);
      const { db, out } = cap;
      // the agent negotiated h2 on every connection to the front, and the analysis read them so
      assert.ok(cap.protocols.ev?.length > 0, show(cap.protocols));
      assert.deepEqual([...new Set(cap.protocols.ev)], ["h2"], show(cap.protocols));
      const exchanges = await mcpHeaders(db);
      assert.ok(exchanges.length >= 4, show(exchanges));
      assert.deepEqual([...new Set(exchanges.map((x) => x.protocol))], ["h2"], show(exchanges));
      const calls = await mcpToolCalls(db);
      assertRemoteEchoes(calls, "http");
      // the secret-named argument went over the wire masked (same length)
      assert.equal(
        JSON.parse(String(calls[0].args)).api_key,
        "*".repeat(REMOTE_ARG_SECRET.length),
        show(calls[0]),
      );
      const agents = await checkRows(db, "llm_call_pids");
      assert.ok(agents.some((a) => a.pid === calls[0].client_pid), show(agents));
      const servers = await checkRows(db, "mcp_servers_found");
      assert.deepEqual(
        servers.map((s) => [
          s.server_name,
          s.server_pid,
          s.server_host,
          s.transport,
          s.configured,
          s.client_role,
          Number(s.tool_calls),
        ]),
        [["mcp-servers/everything", null, "localhost", "http", true, "agent", 2]],
        show(servers),
      );
      // HPACK: the Authorization header and the session id, both ways, masked on the wire
      // (same length there; a Huffman-coded value decodes to the mask symbols of
      // protocols/hpack.ts: `*`, `x`, `_`, `0`): no character of the token or of the UUID is left
      const auth = exchanges.flatMap((x) =>
        x.request.filter(([n]) => n === "authorization").map(([, v]) => v)
      );
      assert.ok(auth.length >= exchanges.length, show(exchanges));
      const masked = (v: string) => v.length > 0 && /^[*x_0]+$/.test(v);
      assert.ok(auth.every(masked), show(auth));
      const sessions = exchanges.flatMap((x) =>
        [...x.request, ...x.response].filter(([n]) => n === "mcp-session-id").map(([, v]) => v)
      );
      assert.ok(sessions.length >= 2, show(exchanges));
      // the session id: its keyed digest (visible ASCII, no UUID), or the mask where a
      // Huffman-coded value entered the dynamic table at another length (session_digest.ts)
      const digest = (v: string) =>
        /^[\x21-\x7e]+$/.test(v) && !/[0-9a-f]{8}-[0-9a-f]{4}-/i.test(v);
      assert.ok(sessions.every(digest), show(sessions));
      assert.deepEqual(await checkRows(db, "problems"), []);
      assert.deepEqual(
        await checkRows(db, "mcp_findings"),
        [],
        "a benign remote MCP session raises no MCP finding",
      );
      assertNoSecrets(out, REMOTE_SECRET);
      // DATA: the secret-named argument is masked in the MCP request as recorded (the LLM's
      // answer that asked for the call holds it in clear: an LLM API's bodies are not touched)
      const bodies = await checkRows(db, "mcp_request_bodies_with", {
        masked: `"api_key":"${"*".repeat(REMOTE_ARG_SECRET.length)}"`,
        clear: REMOTE_ARG_SECRET,
      });
      assert.deepEqual(
        bodies.map((b) => [Number(b.masked), Number(b.clear)]),
        [[1, 0]],
        show(bodies),
      );
    },
  });
}

for (const agent of ["claude", "gemini"] as AgentName[]) {
  Deno.test({
    name: `${agent}: a remote MCP server whose front offers h2: the agent keeps to HTTP/1.1 ` +
      "(its HTTP stack does not negotiate h2), and the calls are read and linked as before",
    ignore: skipWithoutRoot(),
    async fn() {
      await using cap = await captureMcp(agent, "mcp_remote.json", (s) => ({
        ...s,
        mcpServers: { ev: { ...s.mcpServers!.ev, h2: true } as McpServerSpec },
      }), false);
      const { db, out } = cap;
      assert.ok(cap.protocols.ev?.length > 0, show(cap.protocols));
      assert.deepEqual([...new Set(cap.protocols.ev)], ["http/1.1"], show(cap.protocols));
      const exchanges = await mcpHeaders(db);
      assert.deepEqual([...new Set(exchanges.map((x) => x.protocol))], ["http/1.1"]);
      const calls = await mcpToolCalls(db);
      assert.deepEqual(
        calls.map((c) => [c.tool, c.server_host, c.transport, c.tool_call_id !== null]),
        [["echo", "localhost", "http", true], ["echo", "localhost", "http", true]],
        show(calls),
      );
      // the GET event stream left open over HTTP/1.1 is no incomplete response
      assert.deepEqual(await checkRows(db, "problems"), []);
      assertNoSecrets(out, REMOTE_SECRET);
    },
  });
}
