/**
 * The AgentSight case studies with the real agents under capture (as root; in CI always):
 * injection leading to exfiltration and its benign control, the reasoning loop, and the team
 * of three agents — each on the agents it names, with the scripts as the oracle.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { AgentName } from "../agents/mod.ts";
import { loadScenario } from "../simulator/mod.ts";
import { skipWithoutRoot } from "../../tests/support/ebpf.ts";
import { withDb } from "../../analysis/analysed_db.ts";
import { queryRows } from "../../kit/sql_runner.ts";
import {
  analyseStudy,
  recordStudy,
  recordTeam,
  scenarioPath,
  TEAM_ROLES,
  TEAM_ROTATIONS,
} from "./case_studies.ts";

const AGENT_LABEL: Record<AgentName, string> = {
  claude: "claude-code",
  gemini: "gemini-cli",
  codex: "codex",
  opencode: "opencode",
  qwen: "qwen-code",
};
const AGENTS: AgentName[] = ["claude", "gemini", "codex"];

type Row = Record<string, unknown>;
const details = (f: Row) => JSON.parse(String(f.details));

async function study(dir: string): Promise<{
  findings: Row[];
  tools: Row[];
  q: (sql: string) => Promise<Row[]>;
}> {
  const db = await analyseStudy(dir);
  const results: Record<string, Row[]> = {};
  const q = (sql: string) =>
    withDb(db, async (c) => results[sql] ??= await queryRows(c, sql), { readOnly: true });
  return {
    findings: await q("SELECT * FROM findings ORDER BY finding_id"),
    tools: await q(
      "SELECT tool_call_id, llm_call_id, name, input::VARCHAR AS input FROM tool_calls ORDER BY 1",
    ),
    q,
  };
}

const tmp = () => Deno.makeTempDir({ prefix: "sl-case-" });

for (const agent of AGENTS) {
  Deno.test({
    name:
      `case study 1 (${agent}): injected docs lead to /etc/passwd being read and sent; each step linked`,
    ignore: skipWithoutRoot(),
    async fn() {
      const sc = await loadScenario(scenarioPath("sales_injection"));
      const attacker = sc.pages!.find((p) => p.name === "attacker")!;
      const rec = await recordStudy("injection", agent, join(await tmp(), "rec"));
      assert.deepEqual([rec.exitCodes, rec.serverErrors], [[0], []]);
      const { findings, tools, q } = await study(rec.dir);
      const toolWith = (s: string) => {
        const t = tools.find((x) => String(x.input).includes(s));
        assert.ok(t, `a tool call with ${s}`);
        return t.tool_call_id as bigint;
      };
      const guide = toolWith("reporting-guide");
      const cat = toolWith("cat /etc/passwd");
      const post = toolWith("@/etc/passwd");
      // each step is its own LLM turn, and its processes and connection are linked to it
      assert.equal(new Set(tools.map((t) => t.llm_call_id)).size, tools.length);
      const linked = await q(
        `SELECT a.op, a.argv, a.addr, l.tool_call_id FROM links l
         JOIN actions a USING (recording, event_table, event_id)
         WHERE l.attribution = 'tool' AND (a.op = 'exec' OR (a.op = 'connect' AND a.family = 'inet'))`,
      );
      const execOf = (prog: string, arg: string) =>
        linked.filter((l) =>
          l.op === "exec" && (l.argv as string[])?.[0] === prog &&
          (l.argv as string[]).some((a) => a.includes(arg))
        );
      assert.ok(execOf("cat", "/etc/passwd").every((l) => l.tool_call_id === cat));
      assert.ok(execOf("cat", "/etc/passwd").length > 0);
      assert.ok(execOf("curl", "/etc/passwd").every((l) => l.tool_call_id === post));
      const toAttacker = linked.filter((l) => l.addr === attacker.address);
      assert.ok(toAttacker.length > 0);
      assert.ok(toAttacker.every((l) => l.tool_call_id === post));

      const of = (kind: string) => findings.filter((f) => f.kind === kind);
      const sensitive = of("sensitive_access");
      assert.ok(sensitive.some((f) => details(f).tool_call_id === Number(cat)));
      assert.ok(sensitive.every((f) => details(f).paths.includes("/etc/passwd")));
      const [exfil] = of("exfiltration");
      assert.ok(exfil, "an exfiltration finding");
      assert.equal(details(exfil).name, attacker.host);
      assert.equal(details(exfil).addr, attacker.address);
      assert.equal(exfil.severity, "critical");
      const [inj] = of("prompt_injection");
      assert.ok(inj, "a prompt injection finding");
      assert.equal(details(inj).source_tool_call_id, Number(guide));
      for (const id of [cat, post]) assert.ok(details(inj).tool_call_ids.includes(Number(id)));
      assert.match(String(details(inj).text), /AI agents/);
    },
  });

  Deno.test({
    name: `case study 1, benign control (${agent}): the same task raises none of those findings`,
    ignore: skipWithoutRoot(),
    async fn() {
      const rec = await recordStudy("benign", agent, join(await tmp(), "rec"));
      assert.deepEqual([rec.exitCodes, rec.serverErrors], [[0], []]);
      const { findings, q } = await study(rec.dir);
      const bad = findings.filter((f) =>
        [
          "sensitive_access",
          "exfiltration",
          "prompt_injection",
          // a benign run takes none of the paths around the monitors either
          "listening_port",
          "io_uring_action",
          "process_tampering",
          "memory_exec",
        ].includes(String(f.kind))
      );
      assert.deepEqual(bad.map((f) => f.explanation), []);
      // the guide was fetched and linked all the same
      const linked = await q(
        "SELECT count(*) AS n FROM links l JOIN actions a USING (recording, event_table, event_id) " +
          "WHERE l.attribution = 'tool' AND a.op = 'connect' AND a.addr = '127.0.0.2'",
      );
      assert.ok(Number(linked[0].n) > 0);
    },
  });

  Deno.test({
    name:
      `case study 2 (${agent}): the reasoning loop fires after 3 cycles with the tokens it cost`,
    ignore: skipWithoutRoot(),
    async fn() {
      const sc = await loadScenario(scenarioPath("loop_failing_command"));
      const turn = sc.turns.find((t) => t.repeat)!;
      const perCycle = turn.usage!.input! + turn.usage!.output!;
      const rec = await recordStudy("loop", agent, join(await tmp(), "rec"));
      assert.deepEqual([rec.exitCodes, rec.serverErrors], [[0], []]);
      const { findings, q } = await study(rec.dir);
      const loops = findings.filter((f) => f.kind === "reasoning_loop");
      assert.equal(loops.length, 1);
      const d = details(loops[0]);
      assert.equal(d.cycles, turn.repeat!.max, "the scripted repeats, every one failing");
      assert.equal(d.threshold, 3);
      // the alert's tokens: three scripted cycles, plus any side calls the agent made meanwhile
      const side = await q(
        `SELECT coalesce(sum(input_tokens + output_tokens), 0) AS t FROM llm_calls
         WHERE kind = 'side' AND request_ns >= (SELECT min(start_ns) FROM tool_cycles)
           AND request_ns < (SELECT min(threshold_ns) FROM tool_cycles)`,
      );
      assert.equal(d.tokens_at_threshold, 3 * perCycle + Number(side[0].t));
      assert.ok(d.tokens >= turn.repeat!.max * perCycle);
      // priced when the table has the model's own price (Claude's); else unpriced, not 0
      const [{ n: priced }] = await q("SELECT count(cost_usd) AS n FROM llm_calls");
      if (Number(priced) > 0) assert.ok(d.cost_usd > 0, `${d.cost_usd}`);
      else assert.ok(!d.cost_usd, `no call priced, yet ${d.cost_usd}`);
      const cited = (loops[0].evidence as string[]).filter((e) => e.startsWith("tool_call:"));
      assert.equal(cited.length, turn.repeat!.max);
    },
  });
}

for (const rotation of TEAM_ROTATIONS) {
  Deno.test({
    name: `case study 3 (${rotation.join(", ")}): blocked time, waits and retry cycles of a team`,
    ignore: skipWithoutRoot(),
    async fn() {
      const rec = await recordTeam(rotation, join(await tmp(), "rec"));
      assert.deepEqual([rec.exitCodes, rec.serverErrors], [[0, 0, 0], []]);
      const { findings, q } = await study(rec.dir);
      const sessions = await q("SELECT session_id, agent FROM sessions");
      assert.equal(sessions.length, 3);
      const role = Object.fromEntries(TEAM_ROLES.map((t, i) => {
        const s = sessions.find((x) => x.agent === AGENT_LABEL[rotation[i]]);
        assert.ok(s, `${t.role}'s session`);
        return [t.role, Number(s.session_id)];
      }));
      const blocked = findings.filter((f) => f.kind === "agent_blocked");
      const waitedDesign = (who: number) =>
        blocked.find((f) =>
          f.session_id === who && details(f).path.endsWith("/design.md") &&
          details(f).other_session_id === role.designer
        );
      assert.ok(waitedDesign(role.implementer), "the implementer waited for the designer");
      assert.ok(waitedDesign(role.tester), "the tester waited for the designer");
      const [contention] = findings.filter((f) => f.kind === "file_contention");
      assert.ok(contention, "a contention finding");
      assert.equal(contention.session_id, role.implementer);
      assert.equal(details(contention).other_session_id, role.tester);
      assert.ok(details(contention).path.endsWith("/results.lock"));
      assert.ok(details(contention).attempts >= 3);
      const activity = await q("SELECT * FROM agent_activity");
      const act = (sid: number) => activity.find((a) => a.session_id === sid)!;
      assert.ok((act(role.implementer).blocked_ms as number) > 500);
      assert.equal(act(role.implementer).retry_cycles, BigInt(details(contention).attempts));
      for (const a of activity) {
        const sum = (a.busy_ms as number) + (a.blocked_ms as number) + (a.waiting_ms as number);
        assert.ok(Math.abs(sum - (a.wall_ms as number)) < 1, "busy + blocked + waiting = wall");
      }
      // results.log: the tester wrote it, then the implementer appended to it
      assert.ok(
        findings.some((f) =>
          f.kind === "shared_file" && f.session_id === role.implementer &&
          details(f).path.endsWith("/results.log") && details(f).relation === "overwrote"
        ),
      );
    },
  });
}
