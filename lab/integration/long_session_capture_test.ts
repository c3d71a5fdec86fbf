/**
 * As root: a long session under capture (`lab/scenarios/long_session.json`: 40 turns of one
 * step command each, every result 1.5 KB, then the answer), for Claude Code (HTTP/1.1, a new
 * request per turn on a kept-alive connection) and Codex (one WebSocket with permessage-deflate
 * and context takeover for all 41 turns). Asserted as a user reads the analysis: 41 main calls,
 * all complete; 40 tool calls, each with its result and its own step's exec linked to it;
 * nothing dropped, no problem.
 *
 * Codex once more with SIGCHLD sent to its tokio threads all along (signal_storm.ts): its
 * handler writes tokio's signal socketpair on the thread it interrupts, now and then between a
 * record's seal and the write of that record, as a tool command's exit may do once in a long
 * session (the CI flake of session 27: 0 calls). Each record must still be on the WebSocket's
 * connection: one stray record and the compressed stream after it is lost.
 */
import { filePath } from "../../kit/file_path.ts";
import assert from "node:assert/strict";
import { captureAgent } from "./captured_agent.ts";
import { signalStorm } from "./signal_storm.ts";
import { checkRows, show } from "./check_queries.ts";
import { skipWithoutRoot } from "../../tests/support/ebpf.ts";
import { readManifest } from "../../recording/manifest.ts";
import { dirname } from "node:path";

const SCENARIO = filePath("../scenarios/long_session.json", import.meta.url);

async function checkLongSession(agent: "claude" | "codex", storm = false): Promise<void> {
  const signals = storm
    ? signalStorm({ exe: "codex", threads: "tokio-rt-worker", signal: "SIGCHLD", periodUs: 20 })
    : undefined;
  let captured, sent;
  let capturedOk = false;
  try {
    captured = await captureAgent(
      { agent, scenario: SCENARIO, timeoutMs: 300_000 },
      `sl-long-${agent}-`,
    );
    capturedOk = true;
  } finally {
    // (a storm that fails to stop does not hide the capture's own failure)
    sent = await signals?.stop().catch((e) => {
      if (capturedOk) throw e;
      return undefined;
    });
  }
  // the fault was there: thousands of signals at the agent's threads
  if (sent) assert.ok(sent.sent > 1000 && sent.processes > 0, JSON.stringify(sent));
  const { result, analysis } = captured;
  assert.equal(result.requests.filter((r) => r.kind === "main").length, 41);
  const db = analysis.db;
  const calls = await checkRows(db, "llm_calls_in_order");
  const main = calls.filter((c) => c.kind === "main");
  if (main.length !== 41) {
    // say what the analysis found instead: its problems and the attach report's lines
    const exchanges = (await checkRows(db, "exchange_statuses")).map((x) => [
      x.path,
      x.status,
      x.ws_messages,
    ]);
    const attach = readManifest(dirname(db)).attach as {
      hooked?: { path: string; checks?: { fn: string; state: string; evidence: string }[] }[];
    } | undefined;
    const hooks = (attach?.hooked ?? []).flatMap((h) =>
      (h.checks ?? []).map((c) => `${h.path.split("/").pop()} ${c.fn}: ${c.state} (${c.evidence})`)
    );
    assert.fail(
      `${main.length} main calls, not 41: ${show(calls.map((c) => [c.kind, c.outcome]))}\n` +
        `problems: ${show(await checkRows(db, "problems"))}\n` +
        `exchanges: ${show(exchanges)}\nws messages: ${
          show(await checkRows(db, "ws_message_counts"))
        }\nhooks: ${show(hooks)}\nrecording: ${dirname(db)}`,
    );
  }
  assert.ok(main.every((c) => c.outcome === "complete"), show(main.map((c) => c.outcome)));
  assert.match(String(main.at(-1)!.assistant_text), /All 40 steps are done/);
  const tools = await checkRows(db, "tool_calls_in_order");
  assert.equal(tools.length, 40);
  tools.forEach((t, i) => {
    assert.notEqual(t.result_llm_call_id, null, `tool call ${i + 1} has its result`);
    assert.match(String(t.result_text), new RegExp(`step-${i + 1} done`));
  });
  const linked = await checkRows(db, "step_exec_links", { script: "step.sh" });
  assert.deepEqual(linked.map((l) => l.tool_call_id), tools.map((t) => t.tool_call_id));
  assert.deepEqual(await checkRows(db, "problems"), []);
  // each per-direction context (Codex: rustls) on one connection only
  assert.deepEqual(await checkRows(db, "tls_contexts_split"), []);
  // the kernel side refused no record (its drop counters, per kind)
  assert.deepEqual(readManifest(dirname(db)).drops, {});
}

for (const agent of ["claude", "codex"] as const) {
  Deno.test({
    name: `long session (${agent}, 41 turns, 40 tool calls): every call, result and link`,
    ignore: skipWithoutRoot(),
    sanitizeResources: false,
    fn: () => checkLongSession(agent),
  });
}

Deno.test({
  name:
    "long session (codex), SIGCHLD at its tokio threads all along: each record on its connection",
  ignore: skipWithoutRoot(),
  sanitizeResources: false,
  fn: () => checkLongSession("codex", true),
});
