/**
 * As root: a tool command that leaves work running past its own end and outside its session
 * and namespaces, as a real agent's may — `setsid -f` (a new session, the shell's child gone
 * at once), `nohup … &` (a background job the shell does not wait for) and `unshare -r -n`
 * (a user namespace of its own, root inside it, and a network namespace with no way out).
 * Claude Code runs it, then a second command that waits for the three files they write.
 *
 * Asserted on the analysis of the real capture: each file's write is linked, by lineage, to
 * the first tool call, the one that started it — the daemons' writes though they come after
 * that call's result, the namespaced one though its process is in another network namespace
 * than the agent's; the connect made inside that namespace is the first call's too and reaches
 * no listener (the namespace has no network), and entering the namespaces is an action of that
 * call's, with the namespaces named; no problem is said.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { skipWithoutRoot } from "../../tests/support/ebpf.ts";
import { checkRows, show } from "./check_queries.ts";
import { captureAgent } from "./captured_agent.ts";

const SCENARIO = {
  name: "daemons",
  description: "A command that starts work outliving it and out of its namespaces; the next " +
    "command waits for the files that work writes.",
  prompt: "Start the background jobs, then check their files.",
  turns: [
    {
      tool: {
        run: "setsid -f sh -c 'sleep 2; echo daemon > daemon_marker.txt'; " +
          "nohup sh -c 'sleep 1; echo nohup > nohup_marker.txt' >/dev/null 2>&1 & " +
          "unshare -r -n sh -c 'id -u > ns_marker.txt; curl -s -m 2 http://127.0.0.1:9/; " +
          "echo curl=$?'",
        description: "Start the background jobs",
      },
    },
    {
      tool: {
        run: "sleep 3; cat daemon_marker.txt nohup_marker.txt ns_marker.txt",
        description: "Check their files",
      },
    },
    { text: "Files: {{tool_output}}" },
  ],
};

Deno.test({
  name: "setsid, nohup and unshare: work a tool command left running is still its own",
  ignore: skipWithoutRoot(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sl-daemons-" });
    try {
      const file = join(dir, "daemons.json");
      await Deno.writeTextFile(file, JSON.stringify(SCENARIO));
      const { result, analysis: s } = await captureAgent(
        { agent: "claude", scenario: file },
        "sl-daemons-rec-",
      );
      // the jobs did their work: root inside the user namespace, no network in it
      assert.match(result.stdout, /daemon\s+nohup\s+0/, result.stdout.slice(-500));
      assert.deepEqual(s.problems, []);
      const tools = await checkRows(s.db, "tool_calls_in_order");
      assert.equal(tools.length, 2, show(tools));
      const first = tools[0].tool_call_id;
      const writes = await checkRows(s.db, "tool_writes_after", { suffix: "_marker.txt" });
      const of = (name: string) =>
        writes.filter((w) => String(w.path).endsWith(`/${name}`)).map((w) => [
          w.tool_call_id,
          w.lineage,
          w.after_result,
          w.own_net_ns,
        ]);
      // written once each, by the work the first call started, however it got away
      assert.deepEqual(of("daemon_marker.txt"), [[first, true, true, false]], show(writes));
      assert.deepEqual(of("nohup_marker.txt"), [[first, true, true, false]], show(writes));
      assert.deepEqual(of("ns_marker.txt"), [[first, true, false, true]], show(writes));
      // curl's connect inside the namespace: the first call's, and it failed (no network)
      const connects = await checkRows(s.db, "comm_connect_links", { comm: "curl" });
      assert.deepEqual(
        connects.map((c) => [c.tool_call_id, c.addr, c.port, c.ok]),
        [[first, "127.0.0.1", 9, false]],
        show(connects),
      );
      // entering those namespaces is an action of its own, the first call's, flags named
      const entered = await checkRows(s.db, "namespace_actions");
      assert.deepEqual(
        entered.map((e) => [e.tool_call_id, e.op, e.summary, e.ok]),
        [[first, "unshare", "unshare CLONE_NEWUSER|CLONE_NEWNET", true]],
        show(entered),
      );
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
