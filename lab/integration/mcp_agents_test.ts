/**
 * The five real agents, offline, each configured with two real MCP servers from npm
 * (`@modelcontextprotocol/server-filesystem` as `fs`, `server-everything` as `ev`): the scripted
 * model calls MCP tools by each agent's own names (Codex through its tool search, Qwen Code
 * through its `tool_call` bridge), the write
 * lands on disk through the filesystem server, and what the server read comes back into the
 * final answer.
 */

import { filePath } from "../../kit/file_path.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { runAgent } from "../agents/mod.ts";

const SCENARIO = filePath("../scenarios/mcp_write_read.json", import.meta.url);

/** The MCP tool names each agent offered the model, as the server saw them called. */
const CALLED: Record<"claude" | "gemini" | "codex" | "qwen" | "opencode", string[]> = {
  claude: ["mcp__fs__write_file", "mcp__ev__echo", "mcp__fs__read_text_file"],
  qwen: ["mcp__fs__write_file", "mcp__ev__echo", "mcp__fs__read_text_file"],
  opencode: ["fs_write_file", "ev_echo", "fs_read_text_file"],
  gemini: ["mcp_fs_write_file", "mcp_ev_echo", "mcp_fs_read_text_file"],
  // Codex defers MCP tools: each call is preceded by a tool search that loads it.
  codex: ["tool_search", "write_file", "tool_search", "echo", "tool_search", "read_text_file"],
};

for (const agent of ["claude", "gemini", "codex", "qwen", "opencode"] as const) {
  Deno.test(`${agent}: an MCP file write and an MCP read through real servers`, async () => {
    const workdir = await Deno.makeTempDir({ prefix: `sightline-mcp-${agent}-` });
    try {
      const r = await runAgent({ agent, scenario: SCENARIO, workdir, timeoutMs: 120_000 });
      const why = `exit ${r.exitCode}\nstdout: ${r.stdout}\nstderr: ${r.stderr.slice(-3000)}\n` +
        `server problems: ${r.serverErrors.join("; ")}`;
      assert.equal(r.exitCode, 0, why);
      assert.deepEqual(r.serverErrors, [], why);
      const called = r.requests.filter((q) => q.kind === "main").flatMap((q) => q.toolCalls ?? []);
      // Codex's tool search finds nothing until its MCP servers have started (slow on a loaded
      // machine), and the script searches again: repeated searches count once.
      const searches = called.filter((c, i) => c !== "tool_search" || called[i - 1] !== c);
      assert.deepEqual(searches, CALLED[agent], why);
      assert.equal(await Deno.readTextFile(join(workdir, "mcp_out.txt")), "written through MCP\n");
      assert.match(r.stdout, /I read: .*9 cherries/s, why);
    } finally {
      await Deno.remove(workdir, { recursive: true }).catch(() => {});
    }
  });
}
