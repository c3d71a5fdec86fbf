/**
 * The datasets, analysed: real recordings of the real agents give what their scenarios
 * scripted (calls, tokens, tool calls) and the findings their case studies are about — and the
 * control run gives none. Needs no root (the recordings are already made).
 */
import { filePath } from "../kit/file_path.ts";
import assert from "node:assert/strict";
import { DB_FILE } from "../analysis/analyze.ts";
import { analysedCopy } from "../analysis/testing.ts";
import { openDuckDb } from "../analysis/duckdb_open.ts";

const HERE = filePath(".", import.meta.url);
const ROOT = filePath("..", import.meta.url);

/** Analyses a copy of dataset `name`; returns a query function over its database. */
async function analysed(name: string) {
  const summary = await analysedCopy(`${HERE}${name}`, { prefix: "sl-ds-" });
  const dir = summary.dir;
  const db = await openDuckDb(`${dir}/${DB_FILE}`, { readOnly: true });
  const q = async (sql: string, params: string[] = []) => {
    const r = await db.conn.runAndReadAll(sql, params);
    return r.getRowObjectsJS() as Record<string, unknown>[];
  };
  return { q, summary, close: db.close };
}

for (const agent of ["claude", "gemini", "codex"]) {
  Deno.test(`dataset demo-${agent}: the calls, tokens and tools the demo scenario scripted`, async () => {
    const scenario = JSON.parse(await Deno.readTextFile(`${ROOT}lab/scenarios/demo.json`));
    const turns = scenario.turns as { tool?: unknown; usage: { input: number; output: number } }[];
    const { q, summary, close } = await analysed(`demo-${agent}`);
    try {
      assert.deepEqual(summary.problems, []);
      const calls = await q(
        "SELECT input_tokens, output_tokens, tool_call_count FROM llm_calls WHERE kind = 'main' ORDER BY llm_call_id",
      );
      assert.deepEqual(
        calls.map((c) => [Number(c.input_tokens), Number(c.output_tokens), Number(c.tool_call_count)]),
        turns.map((t) => [t.usage.input, t.usage.output, t.tool ? 1 : 0]),
      );
      const tools = await q("SELECT result_text FROM tool_calls ORDER BY tool_call_id");
      assert.equal(tools.length, turns.filter((t) => t.tool).length);
      assert.ok(tools.every((t) => t.result_text !== null), "every tool result went back");
      const cmd = await q(
        "SELECT count(*) AS n FROM processes WHERE agent_role = 'descendant' AND list_contains(argv, 'sales.csv')",
      );
      assert.ok(Number(cmd[0].n) >= 1, "the scripted command ran below the agent");
      const report = await q(
        // written in place, or renamed into place (Claude Code writes a temp file and renames)
        "SELECT count(*) AS n FROM file_events WHERE written AND (path LIKE '%/report.md' OR path2 LIKE '%/report.md')",
      );
      assert.ok(Number(report[0].n) >= 1, "report.md was written");
    } finally {
      close();
    }
  });
}

async function findingKinds(name: string): Promise<string[]> {
  const { q, close } = await analysed(name);
  try {
    return (await q("SELECT DISTINCT kind FROM findings ORDER BY kind")).map((r) => String(r.kind));
  } finally {
    close();
  }
}

for (const name of ["injection-claude", "injection-codex"]) {
  Deno.test(`dataset ${name}: sensitive access, exfiltration and prompt injection found`, async () => {
    const kinds = await findingKinds(name);
    for (const k of ["sensitive_access", "exfiltration", "prompt_injection"]) {
      assert.ok(kinds.includes(k), `${k} in ${kinds}`);
    }
  });
}

Deno.test("dataset benign-claude: the same task with a clean page raises none of them", async () => {
  const kinds = await findingKinds("benign-claude");
  for (const k of ["sensitive_access", "exfiltration", "prompt_injection"]) {
    assert.ok(!kinds.includes(k), `no ${k}`);
  }
});

for (const name of ["loop-claude", "loop-gemini"]) {
  Deno.test(`dataset ${name}: the reasoning loop is found, with the tokens it wasted`, async () => {
    const { q, close } = await analysed(name);
    try {
      const f = await q("SELECT explanation FROM findings WHERE kind = 'reasoning_loop'");
      assert.equal(f.length, 1);
      assert.match(String(f[0].explanation), /after 3 cycles, with \d+ tokens spent/);
    } finally {
      close();
    }
  });
}

Deno.test("dataset team-claude-gemini-codex: blocked agents and a contended file", async () => {
  const kinds = await findingKinds("team-claude-gemini-codex");
  assert.ok(kinds.includes("agent_blocked"), String(kinds));
  assert.ok(kinds.includes("file_contention"), String(kinds));
});

Deno.test("dataset mcp-claude: the MCP calls, the LLM tool calls behind them, and who did what", async () => {
  const { q, close } = await analysed("mcp-claude");
  try {
    const calls = await q(
      `SELECT m.tool, m.server_name, t.name AS llm_tool, m.is_error
       FROM mcp_calls m JOIN mcp_tool_links k USING (recording, mcp_call_id)
       JOIN tool_calls t USING (recording, tool_call_id)
       WHERE m.method = 'tools/call' ORDER BY m.start_ns`,
    );
    assert.deepEqual(calls.map((c) => [c.tool, c.server_name, c.llm_tool, c.is_error]), [
      ["write_file", "secure-filesystem-server", "mcp__fs__write_file", false],
      ["echo", "mcp-servers/everything", "mcp__ev__echo", false],
      ["read_text_file", "secure-filesystem-server", "mcp__fs__read_text_file", false],
    ]);
    // the server's write of the file is the LLM write call's
    const writes = await q(
      `SELECT DISTINCT t.name, l.attribution, l.signals FROM links l
       JOIN actions a USING (recording, event_table, event_id)
       JOIN tool_calls t USING (recording, tool_call_id)
       WHERE a.event_table = 'file' AND a.written AND a.path LIKE '%/mcp_out.txt'`,
    );
    assert.deepEqual(writes.map((w) => [w.name, w.attribution]), [["mcp__fs__write_file", "tool"]]);
    assert.ok((writes[0].signals as string[]).includes("mcp"));
    // the servers (the processes that ran their commands, by the kernel's record): configured,
    // under the names the agent's configuration gives them, nothing of theirs unexplained
    const servers = await q(
      `SELECT server_name, server_alias, configured FROM mcp_servers ORDER BY server_alias`,
    );
    assert.deepEqual(servers.map((s) => [s.server_alias, s.server_name, s.configured]), [
      ["ev", "mcp-servers/everything", true],
      ["fs", "secure-filesystem-server", true],
    ]);
    const own = await q(
      `WITH p AS (SELECT DISTINCT pid, CASE WHEN contains(array_to_string(argv, ' '),
           'mcp-server-filesystem') THEN 'fs' ELSE 'ev' END AS alias
         FROM process WHERE kind = 'exec' AND regexp_matches(array_to_string(argv, ' '),
           'mcp-server-(filesystem|everything)'))
       SELECT p.alias, a.op, l.attribution, l.matched, l.signals
       FROM actions a JOIN p USING (pid) JOIN links l USING (recording, event_table, event_id)`,
    );
    assert.ok(own.length > 100, `${own.length} events of the servers`);
    assert.deepEqual(own.filter((o) => o.attribution === "unexplained"), []);
    for (const o of own.filter((o) => o.op === "exec")) {
      assert.deepEqual([o.attribution, o.matched, o.signals], [
        "mcp_server",
        o.alias,
        ["mcp_config", "mcp_server"],
      ]);
    }
    assert.deepEqual(await q("SELECT kind FROM findings WHERE kind LIKE 'mcp%'"), []);
  } finally {
    close();
  }
});
