/**
 * Agents in their own sandboxes, as their users run them (lab/scenarios/sandboxed.json under
 * `--sandbox`: Codex's `--sandbox workspace-write` and Claude Code's `sandbox.enabled`, both
 * bubblewrap): each command's processes run in namespaces of their own, and the analysis must
 * still give each tool call its actions — entering the sandbox's namespaces, the write inside
 * the workspace and the write the sandbox refused outside it — while the sandbox's own
 * machinery is not taken for the agent's doing: its runtime preparing its file system is not
 * "files written", the proxy bridges Claude Code's sandbox listens with (inside the sandbox's
 * own network namespace) are neither an exposed port nor a destination, and a request through
 * its proxy is judged by the host it asked for.
 */
import { filePath } from "../../kit/file_path.ts";
import assert from "node:assert/strict";
import type { AgentName } from "../agents/mod.ts";
import { skipWithoutRoot } from "../../tests/support/ebpf.ts";
import { checkRows, show } from "./check_queries.ts";
import { captureAgent } from "./captured_agent.ts";

const SCENARIO = filePath("../scenarios/sandboxed.json", import.meta.url);

for (const agent of ["codex", "claude"] as AgentName[]) {
  Deno.test({
    name: `${agent} in its own sandbox: each tool call's actions, not the sandbox's machinery`,
    ignore: skipWithoutRoot(),
    async fn() {
      const { analysis: s } = await captureAgent(
        { agent, scenario: SCENARIO, sandbox: true },
        `sl-sandbox-${agent}-`,
      );
      assert.deepEqual(s.problems, []);
      const tools = await checkRows(s.db, "tool_calls_in_order");
      assert.equal(tools.length, 3, show(tools));
      // each tool call's command entered its sandbox: the namespaces bubblewrap made (clone with
      // CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWNET, ...) named, succeeded, and that call's
      const entered = await checkRows(s.db, "namespace_actions");
      for (const t of tools) {
        assert.ok(
          entered.some((e) =>
            e.tool_call_id === t.tool_call_id && e.op === "clone" && e.ok === true &&
            /^clone CLONE_NEWNS\|.*CLONE_NEWUSER\|.*CLONE_NEWNET pid \d+$/.test(String(e.summary))
          ),
          show(entered),
        );
      }

      // the write inside the workspace: by tool call 1's sandboxed command
      const stamp = await checkRows(s.db, "sandbox_file_actions", { suffix: "/stamp.txt" });
      const written = stamp.filter((r) => r.written);
      assert.equal(written.length, 1, show(stamp));
      assert.equal(written[0].tool_call_id, tools[0].tool_call_id, show(stamp));
      assert.equal(written[0].attribution, "tool");
      assert.equal(written[0].sandboxed, true, "its process ran in the sandbox");
      // the write the sandbox refused: tool call 2's, failed
      const probe = await checkRows(s.db, "sandbox_file_actions", {
        suffix: "/etc/sightline-sandbox-probe",
      });
      assert.ok(probe.length >= 1, show(probe));
      for (const r of probe) {
        assert.equal(r.tool_call_id, tools[1].tool_call_id, show(probe));
        assert.equal(r.ok, false, "refused");
        assert.equal(r.written, false);
      }

      // the sandbox runtime's own preparation is told apart, and not counted as written
      const [setup] = await checkRows(s.db, "sandbox_setup_counts", { suffix: "/stamp.txt" });
      assert.ok(Number(setup.setup) > 0, "bubblewrap's mount points are sandbox setup");
      assert.equal(Number(setup.taken), 0);

      // the only destination outside the allowlist is the page tool call 3 asked for: the
      // sandbox's bridges on its own loopback are not destinations, and a request through its
      // proxy is judged by the host it asked the proxy for
      const outside = await checkRows(s.db, "outside_destinations");
      for (const d of outside) assert.equal(d.name, "docs.example.test", show(outside));
      if (agent === "claude") {
        assert.ok(outside.some((d) => d.tool_call_id === tools[2].tool_call_id), show(outside));
        // named by the request on the connect's own connection to the proxy, not by a guess
        assert.ok(
          outside.some((d) => d.op === "connect" && d.name_source === "proxy_connection"),
          show(outside),
        );
      }
      // nor a port exposed beyond the host's loopback: its bridges listen inside the sandbox's
      // own network namespace, and are said to
      const findings = await checkRows(s.db, "findings_of_kind", { kind: "listening_port" });
      for (const f of findings) {
        assert.notEqual(f.severity, "high", show(f));
        assert.match(String(f.explanation), / network namespace of its own/);
      }
      if (agent === "claude") assert.ok(findings.length >= 1, "the sandbox's bridges listened");
    },
  });
}
