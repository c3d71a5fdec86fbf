/**
 * Who started an MCP server (mcp_servers.sql `started_by_client`, and so `configured`) is found
 * by walking up the server's ancestors to its client however deep the server is below it, and
 * the walk ends on a cycle of ppids (pid reuse with equal start times can make one). Built in
 * the real schema (correlate/testing.ts) and analysed with the real SQL.
 */
import assert from "node:assert/strict";
import { all, mcpPipe, rows as r, syntheticDb } from "../correlate/testing.ts";
import { buildLinksAndFindings } from "../detect/insights.ts";
import { bindFor, readSql } from "../../kit/sql_runner.ts";
import { SQL_DIR } from "./build.ts";
import { MCP_SQL_VALUES } from "./methods.ts";

const ms = (x: number) => x * 1_000_000;
const AGENT = 100;
/** the server, `n` generations below the agent: forks of forks from pid 201, the last execs */
const deepServer = (n: number) => {
  const pids = Array.from({ length: n }, (_, k) => 201 + k);
  return {
    server: pids[n - 1],
    process: [
      r.fork(0, AGENT, 1, "claude"),
      r.exec(1, AGENT, 1, ["/opt/claude", "-p", "go"]),
      ...pids.map((pid, k) => r.fork(ms(10) + k, pid, k === 0 ? AGENT : pids[k - 1], "sh")),
      r.exec(ms(20), pids[n - 1], pids[n - 2], ["node", "/opt/srv/files.js"]),
    ],
  };
};

Deno.test("mcp_servers: a server 70 generations below its agent was started by it (configured); a cycle of ppids above a server ends the walk", async () => {
  const { server, process } = deepServer(70);
  const { initialize } = mcpPipe(AGENT, server);
  const { c, close } = await syntheticDb({
    process,
    ipc: initialize(100, "files"),
    llm: [r.llm(1, AGENT, ms(50))],
  });
  try {
    await buildLinksAndFindings(c);
    const row = "SELECT server_pid, started_by_client, configured FROM mcp_servers";
    assert.deepEqual(await all(c, row), [
      { server_pid: server, started_by_client: true, configured: true },
    ]);
    // the server's first ancestor below the agent now has the server's parent as its parent
    // (as equal start times can make it): the walk goes round and ends, the agent not found
    await c.run(
      "UPDATE lineage SET ppid = p.pid, parent_start_ns = p.start_ns FROM lineage p " +
        "WHERE lineage.pid = 201 AND p.pid = $parent",
      { parent: server - 1 },
    );
    await c.run("DELETE FROM mcp_servers");
    const sql = readSql(SQL_DIR, "mcp_servers");
    await c.run(sql, bindFor(sql, MCP_SQL_VALUES, "mcp_servers.sql") as never);
    assert.deepEqual(await all(c, row), [
      { server_pid: server, started_by_client: false, configured: false },
    ]);
  } finally {
    close();
  }
});
