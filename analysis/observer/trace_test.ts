/**
 * Tests of the observer's trace on a real MCP recording (datasets/mcp-claude: Claude Code with
 * the filesystem and everything servers): each MCP `tools/call` sits under the LLM tool call
 * that caused it, with its server, tool and arguments as the analysed tables hold them, and
 * its id is one a verdict may cite.
 */
import { filePath } from "../../kit/file_path.ts";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { queryRows } from "../../kit/sql_runner.ts";
import { ensureAnalysed, withDb } from "../analysed_db.ts";
import { buildLinksAndFindings } from "../detect/insights.ts";
import { buildTrace, type TraceMcpCall } from "./trace.ts";
import { parseVerdict } from "./verdict.ts";
import { copyRecording } from "../../recording/manifest.ts";

const DATASET = filePath("../../datasets/mcp-claude", import.meta.url);

Deno.test("trace: MCP calls under the tool call that caused them, with server, tool and arguments", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "sl-trace-mcp-" });
  try {
    const rec = copyRecording(DATASET, join(tmp, "mcp-claude"));
    const db = await ensureAnalysed(rec);
    await withDb(db, async (c) => {
      await buildLinksAndFindings(c);
      // what the trace should say, from the tables with a query of our own
      const want = await queryRows(
        c,
        `SELECT m.recording, m.session_id, m.mcp_call_id, k.tool_call_id, k.server_alias,
           m.server_name, m.tool, m.transport, CAST(m.arguments AS VARCHAR) AS args
         FROM mcp_calls m JOIN mcp_tool_links k USING (recording, mcp_call_id)
         WHERE m.method = 'tools/call' ORDER BY m.start_ns`,
      );
      assert.deepEqual(want.map((w) => w.tool), ["write_file", "echo", "read_text_file"]);
      const session = Number(want[0].session_id);
      assert.ok(want.every((w) => Number(w.session_id) === session));
      const trace = await buildTrace(c, String(want[0].recording), session);
      const parsed = JSON.parse(trace.text) as {
        steps: { id: string; tool: string; mcp?: TraceMcpCall[] }[];
        mcp_calls_no_tool_call_caused?: unknown[];
      };
      for (const w of want) {
        const step = parsed.steps.find((s) => s.id === `tool_call:${w.tool_call_id}`);
        assert.ok(step, `tool call ${w.tool_call_id} is a step`);
        assert.ok(step.tool.endsWith(String(w.tool)), `${step.tool} is the MCP tool ${w.tool}`);
        assert.deepEqual(step.mcp, [{
          id: `mcp_call:${w.mcp_call_id}`,
          server: `${w.server_alias} / ${w.server_name}`,
          tool: w.tool,
          transport: "stdio",
          arguments: JSON.stringify(JSON.parse(String(w.args))),
        }]);
        assert.ok(trace.ids.has(`mcp_call:${w.mcp_call_id}`));
      }
      // the write's arguments name the file the model asked for
      const write = parsed.steps.find((s) => s.id === `tool_call:${want[0].tool_call_id}`)!;
      assert.match(write.mcp![0].arguments, /mcp_out\.txt/);
      // one MCP call per step that caused one, none elsewhere; every call here had a tool call
      assert.equal(parsed.steps.flatMap((s) => s.mcp ?? []).length, want.length);
      assert.equal(parsed.mcp_calls_no_tool_call_caused, undefined);
      // a verdict may cite an MCP call by the id the trace gives it
      const v = parseVerdict(JSON.stringify({
        risk: 1,
        category: "benign",
        explanation: "wrote the file it was asked to",
        evidence: [`mcp_call:${want[0].mcp_call_id}`],
      }));
      assert.deepEqual(v.evidence, [`mcp_call:${want[0].mcp_call_id}`]);
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
