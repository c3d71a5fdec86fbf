/**
 * As root: a real agent talking to a model server over plain HTTP (as to Ollama, LM Studio,
 * vLLM, llama.cpp's server or a LiteLLM proxy; here the scripted server with `plainHttp`) runs
 * the tool_marker scenario under capture — on the same machine over loopback, and "on the LAN":
 * the server bound to a non-loopback address of this machine (`tests/support/lan_address.ts`,
 * 10.213.7.1), which the kernel side sees as a peer elsewhere. No TLS is involved, so the LLM
 * traffic is recorded from the TCP socket (`ipc`, kind `tcp`, with the server's address);
 * `analyze` must give what the scenario scripted (model, tokens, the tool call and its result)
 * as the agent's calls (`transport = 'cleartext-http'`, its pid, `http_exchanges.host` the
 * server's address and port), with the prompt in the first request, the processes the tool call
 * ran linked to it, one session, no problems, and nothing read as MCP. Claude Code, Gemini CLI,
 * Codex (HTTP), opencode (Bun) and Qwen Code (Node), each given the `http://` base URL as its
 * profile sets it.
 */
import assert from "node:assert/strict";
import type { AgentName } from "../agents/agent_profile.ts";
import { skipWithoutRoot } from "../../tests/support/ebpf.ts";
import { LAN_V4, withLanAddress } from "../../tests/support/lan_address.ts";
import {
  assertToolMarkerCalls,
  captureToolMarker,
  OPENCODE_EARLY_EXIT,
} from "./tool_marker_capture.ts";

const RUNS: {
  agent: AgentName;
  provider: string;
  model: string;
  where: "loopback" | "lan";
}[] = [
  {
    agent: "claude",
    provider: "anthropic",
    model: "claude-opus-5-5",
    where: "loopback",
  },
  {
    agent: "gemini",
    provider: "gemini",
    model: "gemini-3.8-flash",
    where: "loopback",
  },
  {
    agent: "codex",
    provider: "openai-responses",
    model: "gpt-5.5",
    where: "loopback",
  },
  {
    agent: "claude",
    provider: "anthropic",
    model: "claude-opus-5-5",
    where: "lan",
  },
  {
    agent: "codex",
    provider: "openai-responses",
    model: "gpt-5.5",
    where: "lan",
  },
  {
    agent: "gemini",
    provider: "gemini",
    model: "gemini-3.8-flash",
    where: "lan",
  },
  ...(["loopback", "lan"] as const).flatMap((where) => [
    { agent: "opencode" as const, provider: "anthropic", model: "claude-sonnet-4-5", where },
    { agent: "qwen" as const, provider: "openai-chat", model: "qwen3-coder-plus", where },
  ]),
];

for (const run of RUNS) {
  Deno.test({
    name: run.where === "lan"
      ? `${run.agent} against a plain-HTTP model server on the LAN (${LAN_V4}): LLM calls, host, links`
      : `${run.agent} against a plain-HTTP model server on loopback: LLM calls, tool call, links`,
    ignore: skipWithoutRoot(),
    fn: () => run.where === "lan" ? withLanAddress(() => check(run)) : check(run),
  });
}

async function check({ agent, provider, model, where }: typeof RUNS[number]) {
  const hostname = where === "lan" ? LAN_V4 : "127.0.0.1";
  const run = await captureToolMarker({
    agent,
    plainHttp: true,
    hostname,
    transport: agent === "codex" ? "http" : undefined,
  });
  const { result } = run;
  assert.ok(result.requests.every((r) => r.httpVersion === "1.1"));
  // Codex drops a connection once `response.completed` is in, without reading the chunked
  // body's last bytes (`0\r\n\r\n`, the server's last write): the server is not traced, so
  // those bytes are not recorded and the exchange is said to be cut short (its call is whole)
  const cut = /^cleartext tcp pid \d+ conn \d+: POST \/v1\/responses: the response is cut short/;
  assert.deepEqual(
    run.problems.filter((p) =>
      !(agent === "codex" && cut.test(p)) && !(agent === "opencode" && OPENCODE_EARLY_EXIT.test(p))
    ),
    [],
  );
  // nothing of it went through TLS: the calls come from the TCP socket's bytes (opencode's only
  // TLS: GETs of its plugin packages' metadata from registry.npmjs.org at start, when online)
  const tls = await run.q("tls_connection_hosts");
  assert.deepEqual(
    tls.filter((t) => !(agent === "opencode" && t.host === "registry.npmjs.org")),
    [],
  );
  const { calls, main, tools } = await assertToolMarkerCalls(run, agent, model, agent);
  assert.ok(
    calls.every((c) => c.transport === "cleartext-http" && c.provider === provider),
  );
  // the agent's own process made them (it wrote the requests), not the model server
  const writers = await run.q("http_request_writers");
  assert.deepEqual(
    [...new Set(calls.map((c) => c.pid))],
    writers.map((w) => w.pid),
  );
  // where they went: the server's address, in the rows and as the exchanges' host
  const sent = await run.q("ipc_write_peers");
  assert.deepEqual(sent.map((r) => r.remote_addr), [hostname]);
  const hosts = await run.q("llm_call_hosts");
  assert.deepEqual(hosts.map((h) => h.host), [
    `${hostname}:${sent[0].remote_port}`,
  ]);
  const token = (await Deno.readTextFile(`${result.workdir}/marker.txt`))
    .trim();
  main.forEach((c) => {
    assert.equal(c.incomplete, false);
    assert.ok(
      Number(c.ttft_ms) >= 0 && Number(c.duration_ms) >= Number(c.ttft_ms),
    );
  });
  assert.equal(main[1].assistant_text, `The command printed: ${token}`);
  assert.equal(tools[0].llm_call_id, main[0].llm_call_id);
  assert.ok(String(tools[0].result_text).includes(token));
  // the stages of the command the tool call ran are linked to it
  const linked = await run.q("tool_call_actions", {
    tool_call_id: tools[0].tool_call_id as bigint,
  });
  const argv0 = linked.filter((a) => a.op === "exec").map((a) => (a.argv as string[])[0]);
  for (const stage of ["od", "tr", "sed", "tee"]) {
    assert.ok(argv0.includes(stage), `${stage} is linked to the tool call`);
  }
  const sessions = await run.q("session_counts");
  assert.equal(sessions.length, 1);
  assert.equal(Number(sessions[0].llm_calls), calls.length);
  assert.equal(Number(sessions[0].tool_calls), 1);
  const mcp = await run.q("mcp_message_count");
  assert.equal(Number(mcp[0].n), 0, "the LLM connection is not read as MCP");
  await Deno.remove(run.dir, { recursive: true });
}
