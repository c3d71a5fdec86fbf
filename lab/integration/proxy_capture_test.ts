/**
 * As root: a real agent behind a company's HTTP proxy (`HTTPS_PROXY=http://proxy:3128`), here
 * Debian's tinyproxy (`lab/agents/http_proxy.ts`), runs the tool_marker scenario under capture.
 * The agent is given the scripted server as `https://API_HOST:PORT` (api.anthropic.com,
 * generativelanguage.googleapis.com, api.openai.com: the server's certificate covers them) and
 * cannot resolve that name itself: only the proxy can (its own hosts file), so the agent must
 * `CONNECT API_HOST:PORT` through it and speak TLS inside the tunnel. Each agent runs three
 * times: without a proxy (the baseline), with the proxy on 127.0.0.1 (the kernel side sees the
 * CONNECT on loopback TCP) and with it on the LAN address (`tests/support/lan_address.ts`,
 * 10.213.7.1: a proxy on another machine to the kernel side, whose CONNECT is recorded the
 * same way). Claude Code, opencode (Bun's fetch), Gemini CLI and Qwen Code (undici's
 * `EnvHttpProxyAgent` from `HTTPS_PROXY`) and Codex (reqwest, its WebSocket) all honour
 * `HTTPS_PROXY` as a user sets it; nothing else is configured.
 *
 * Asserted per agent: the calls are recovered as without the proxy (kinds, model, tokens, the
 * prompt in the first request, the scripted answers, the tool call and its result), the LLM
 * endpoint is the API host (the Host header or `:authority` inside the tunnel), the agent's
 * connections go to the proxy and nowhere else, the tunnel's ciphertext is not recorded (the
 * CONNECT and the proxy's 200 only, its target the API host), nothing is read as MCP, and no
 * problems or findings beyond the baseline's.
 */
import assert from "node:assert/strict";
import type { AgentName, CodexTransport } from "../agents/agent_profile.ts";
import { skipWithoutRoot } from "../../tests/support/ebpf.ts";
import { LAN_V4, withLanAddress } from "../../tests/support/lan_address.ts";
import {
  assertToolMarkerCalls,
  captureToolMarker,
  OPENCODE_EARLY_EXIT,
} from "./tool_marker_capture.ts";

const RUNS: { agent: AgentName; host: string; model: string; transport?: CodexTransport }[] = [
  { agent: "claude", host: "api.anthropic.com", model: "claude-opus-5-5" },
  { agent: "gemini", host: "generativelanguage.googleapis.com", model: "gemini-3.8-flash" },
  // in its default transport: Responses over a WebSocket, through the tunnel too
  { agent: "codex", host: "api.openai.com", model: "gpt-5.5" },
  // and over HTTP/2 with server-sent events
  { agent: "codex", host: "api.openai.com", model: "gpt-5.5", transport: "http" },
  // Bun, Anthropic's API (HTTP/1.1)
  { agent: "opencode", host: "api.anthropic.com", model: "claude-sonnet-4-5" },
  // Node, Chat Completions through the openai SDK on undici
  { agent: "qwen", host: "api.openai.com", model: "qwen3-coder-plus" },
];

/** Runs the agent under capture, through a proxy listening on `listen` (none: direct). */
function run(
  agent: AgentName,
  host: string,
  transport: CodexTransport | undefined,
  listen?: string,
) {
  return captureToolMarker({
    agent,
    transport,
    ...(listen === undefined ? {} : {
      apiHost: host,
      proxy: { listen, hosts: { [host]: "127.0.0.1" }, vars: ["HTTPS_PROXY"] },
    }),
  });
}

/** Each call (of `kind`, or all) as kind, model and token counts, in the order given. */
const callShapes = (calls: Record<string, unknown>[], kind?: string) =>
  calls.filter((c) => kind === undefined || c.kind === kind)
    .map((c) => [c.kind, c.model, c.input_tokens, c.output_tokens].map(String).join(" "));

/** A problem's message with its numbers (pids, inodes, ports) made alike. */
const shape = (p: string) => p.replace(/\d+/g, "N");

for (const { agent, host, model, transport } of RUNS) {
  Deno.test({
    name: `${agent}${
      transport ? ` (${transport})` : ""
    } behind an HTTP proxy (CONNECT), on loopback and on ${LAN_V4}: calls, host, peer`,
    ignore: skipWithoutRoot(),
    fn: () => withLanAddress(() => check(agent, host, model, transport)),
  });
}

async function check(
  agent: AgentName,
  host: string,
  model: string,
  transport: CodexTransport | undefined,
) {
  const base = await run(agent, host, transport);
  const baseCalls = await base.q("llm_calls_in_order");
  const baseFindings = await base.q("finding_kinds");
  for (const listen of ["127.0.0.1", LAN_V4]) {
    const what = `${agent} via the proxy on ${listen}`;
    const p = await run(agent, host, transport, listen);
    // the agent did go through the proxy, to the API host
    assert.match(
      p.proxyLog,
      new RegExp(`Request \\(file descriptor \\d+\\): CONNECT ${host}:`),
    );
    // the calls, as without the proxy
    const { calls } = await assertToolMarkerCalls(p, agent, model, what);
    // (in order for the main calls; a side call made beside one, as opencode's title is,
    // may come before or after it in either run)
    assert.deepEqual(callShapes(calls, "main"), callShapes(baseCalls, "main"), what);
    assert.deepEqual(callShapes(calls).sort(), callShapes(baseCalls).sort(), what);
    // the LLM endpoint is the API host (inside the tunnel), not the proxy
    const hosts = await p.q("llm_call_hosts");
    assert.equal(hosts.length, 1, what);
    assert.match(String(hosts[0].host), new RegExp(`^${host.replaceAll(".", "\\.")}:\\d+$`));
    // the calls' process connected to the proxy, and to nothing else over the internet
    const pids = [...new Set(calls.map((c) => String(c.pid)))];
    const connects = await p.q("internet_connects", { pids });
    assert.ok(connects.length > 0, what);
    // the proxy resolved the API's name, not the agent
    const dns = await p.q("dns_queries_of_host", { host });
    assert.deepEqual(dns, [], what);
    for (const c of connects) {
      assert.equal(c.addr, listen, `${what}: ${JSON.stringify(connects)}`);
    }
    // each CONNECT and its 200 recorded, not the tunnel's ciphertext, the proxy on loopback or
    // not; the API host's among them (opencode also tunnels to registry.npmjs.org: it fetches
    // its plugin packages' metadata at start), each one a tunnel the proxy logged
    const tcp = await p.q("tcp_text", { pids });
    assert.ok(tcp.length > 0, `${what}: the CONNECT is recorded`);
    for (const r of tcp) {
      assert.match(
        String(r.text),
        r.direction === "write" ? /^CONNECT \S+:\d+ HTTP\/1\.1\r\n/ : /^HTTP\/1\.\d 200 /,
        what,
      );
    }
    const targets = tcp.filter((r) => r.direction === "write").map((r) =>
      String(r.text).split(" ")[1]
    );
    assert.ok(targets.some((t) => t.startsWith(`${host}:`)), `${what}: ${targets}`);
    for (const t of targets) assert.ok(p.proxyLog.includes(`CONNECT ${t} HTTP`), t);
    // no exchange, LLM's or not, is said to be with the proxy: each host is the tunnel's
    const proxied = await p.q("exchange_hosts_from", { prefix: listen });
    assert.deepEqual(proxied, [], what);
    const mcp = await p.q("mcp_message_count");
    assert.equal(Number(mcp[0].n), 0, `${what}: nothing read as MCP`);
    // no problems and no findings that the run without the proxy did not have
    // (opencode may exit while a GET of its plugin packages' metadata from registry.npmjs.org
    // is unanswered, in either run: said so, rightly)
    const baseProblems = new Set(base.problems.map(shape));
    assert.deepEqual(
      p.problems.filter((x) =>
        !baseProblems.has(shape(x)) && !(agent === "opencode" && OPENCODE_EARLY_EXIT.test(x))
      ),
      [],
      what,
    );
    assert.deepEqual(
      await p.q("finding_kinds"),
      baseFindings,
      what,
    );
  }
}
