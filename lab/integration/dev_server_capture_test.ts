/**
 * A dev server across tool calls, under capture (lab/scenarios/dev_server.json on Claude Code,
 * which leaves a command's background jobs running): one call starts a server and a sleeper in
 * the background, the next fetches a page from the server, the third stops both with signals.
 * The server's work belongs to the call that started it, also what it does in the next call's
 * time (the accept); the signals are actions of the third call, each naming its target, and
 * the targets ended by them, each saying who killed it (`processes.killed_by_pid`).
 */
import { filePath } from "../../kit/file_path.ts";
import assert from "node:assert/strict";
import { skipWithoutRoot } from "../../tests/support/ebpf.ts";
import { checkRows, show } from "./check_queries.ts";
import { captureAgent } from "./captured_agent.ts";

const SCENARIO = filePath("../scenarios/dev_server.json", import.meta.url);
const PORT = 48731;

Deno.test({
  name:
    "a background dev server: its work is its starting call's, its end the signals a later call sent",
  ignore: skipWithoutRoot(),
  async fn() {
    const { result, analysis: s } = await captureAgent(
      { agent: "claude", scenario: SCENARIO },
      "sl-devserver-",
    );
    assert.match(result.stdout, /dev server served: stopped/);
    const tools = await checkRows(s.db, "tool_calls_in_order");
    assert.equal(tools.length, 3, show(tools));
    const [start, fetch, stop] = tools.map((t) => t.tool_call_id as bigint);
    // the server listened and accepted the fetch's connection: the starting call's actions
    const started = await checkRows(s.db, "tool_call_actions", { tool_call_id: start });
    const server = started.find((a) => a.op === "listen" && a.port === PORT);
    assert.ok(server, show(started));
    assert.ok(
      started.some((a) => a.op === "accept" && a.pid === server.pid),
      `the server's accept is the starting call's: ${show(started)}`,
    );
    const fetched = await checkRows(s.db, "tool_call_actions", { tool_call_id: fetch });
    assert.ok(fetched.some((a) => a.op === "connect" && a.port === PORT), show(fetched));
    // the stop: SIGTERM to the server, SIGKILL to the sleeper, both the third call's
    const signals = await checkRows(s.db, "signal_actions");
    assert.deepEqual(
      signals.filter((x) => x.tool_call_id === stop).map((x) => [
        x.op,
        x.target_comm,
        x.ok,
        x.attribution,
        x.target_exit_signal,
      ]),
      [
        ["kill", "python3", true, "tool", 15],
        ["kill", "sleep", true, "tool", 9],
      ],
      show(signals),
    );
    assert.equal(signals[0].target_pid, server.pid);
    assert.match(String(signals[0].summary), /^kill SIGTERM pid \d+$/);
    // each target says who killed it: the `kill` process that sent the signal
    const killed = await checkRows(s.db, "killed_processes");
    for (const sig of signals.filter((x) => x.tool_call_id === stop)) {
      const target = killed.find((k) => k.pid === sig.target_pid);
      assert.ok(target, show(killed));
      assert.equal(target.killed_by_pid, sig.sender, show(killed));
      assert.equal(target.killed_by_signal, sig.target_exit_signal === 15 ? "SIGTERM" : "SIGKILL");
    }
  },
});
