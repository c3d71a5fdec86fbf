/**
 * The evasion findings on real captures of a real agent (Claude Code against the scripted
 * model server): a tool command that runs programs of the evasion suite raises
 * `listening_port`, `io_uring_action`, `process_tampering` and `memory_exec`, each tied to the
 * tool call that ran it; the README's demo, recorded the same way, raises none of them.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { underCapture } from "../agents/under_capture.ts";
import { runAgent } from "../agents/mod.ts";
import { analyseStudy, scenarioPath } from "../case_studies/case_studies.ts";
import { withDb } from "../../analysis/analysed_db.ts";
import { queryRows } from "../../kit/sql_runner.ts";
import { skipWithoutRoot } from "../../tests/support/ebpf.ts";
import { buildPrograms } from "./suite.ts";

const NEW_KINDS = ["listening_port", "io_uring_action", "process_tampering", "memory_exec"];

type Row = Record<string, unknown>;

/** Runs `scenario` with Claude Code under capture in `root`; the analysed findings and links. */
async function recordAndAnalyse(
  scenario: string,
  root: string,
  prepare?: (w: string) => Promise<void>,
) {
  const workdir = join(root, "work");
  await Deno.mkdir(workdir, { recursive: true });
  await prepare?.(workdir);
  const rec = join(root, "rec");
  const r = await runAgent({
    agent: "claude",
    scenario: scenarioPath(scenario),
    workdir,
    wrap: underCapture(rec),
    timeoutMs: 180_000,
  });
  assert.deepEqual([r.exitCode, r.serverErrors], [0, []], "the agent ran its script");
  const db = await analyseStudy(rec);
  return await withDb(db, async (c) => ({
    findings: await queryRows(c, "SELECT * FROM findings ORDER BY finding_id"),
    tools: await queryRows(c, "SELECT tool_call_id, name FROM tool_calls ORDER BY 1"),
    links: await queryRows(
      c,
      `SELECT a.event_table, a.op, a.via, a.from_memory, a.summary, l.attribution, l.tool_call_id
       FROM actions a JOIN links l USING (recording, event_table, event_id)
       WHERE a.role = 'descendant'`,
    ),
  }), { readOnly: true });
}

Deno.test({
  name: "evasion findings: a real agent's tool that listens, uses io_uring, pokes and runs a memfd",
  ignore: skipWithoutRoot(),
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "sl-evasive-tool-" });
    const { findings, tools, links } = await recordAndAnalyse("evasive_tool", root, async (w) => {
      await Deno.mkdir(join(w, "bin"));
      await buildPrograms(join(w, "bin"));
    });
    const bash = tools.find((t) => t.name === "Bash");
    assert.ok(bash, "the model's Bash call was read");
    const found = findings.filter((f) => NEW_KINDS.includes(String(f.kind)));
    const byKind = new Map(found.map((f) => [String(f.kind), f]));
    assert.deepEqual([...byKind.keys()].sort(), [...NEW_KINDS].sort());
    const details = (k: string) => JSON.parse(String(byKind.get(k)!.details));
    // 127.0.0.1:47191, so reachable from this machine only
    assert.deepEqual(details("listening_port").ports, [47191]);
    // each names the program that did it, below the shell the tool call started
    assert.deepEqual(details("listening_port").commands, ["./bin/bind_shell w/listen"]);
    assert.deepEqual(details("process_tampering").commands, ["./bin/ptrace_poke w/poke"]);
    assert.equal(byKind.get("listening_port")!.severity, "medium");
    assert.match(String(byKind.get("io_uring_action")!.explanation), /uring_written\.txt/);
    assert.equal(byKind.get("process_tampering")!.severity, "high");
    assert.equal(details("process_tampering").writes_process, true);
    assert.match(String(byKind.get("memory_exec")!.explanation), /memfd:payload/);
    // what they rest on was done by the processes of the Bash call
    const evasive = links.filter((l) =>
      l.via === "io_uring" || l.from_memory === true || l.event_table === "privilege" ||
      ["listen", "accept"].includes(String(l.op))
    );
    assert.ok(evasive.length >= 4, evasive.map((l) => String(l.summary)).join("; "));
    for (const l of evasive) {
      assert.equal(l.attribution, "tool", String(l.summary));
      assert.equal(Number(l.tool_call_id), Number(bash.tool_call_id), String(l.summary));
    }
    await Deno.remove(root, { recursive: true });
  },
});

Deno.test({
  name: "evasion findings: the README's demo, recorded with the real agent, raises none of them",
  ignore: skipWithoutRoot(),
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "sl-demo-benign-" });
    const { findings, links } = await recordAndAnalyse("demo", root);
    // the demo's tool command was recorded, so the detectors had something to look at
    assert.ok(links.some((l) => l.op === "exec" && String(l.summary).includes("sales.csv")));
    const found = findings.filter((f) => NEW_KINDS.includes(String(f.kind)));
    assert.deepEqual(found.map((f) => f.explanation), []);
    await Deno.remove(root, { recursive: true });
  },
});
