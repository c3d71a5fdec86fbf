/**
 * JSON-RPC over stdio that is not MCP, on real bytes: `acpx` 0.19.1 driving Zed's `codex-acp`
 * 0.16.0 over the Agent Client Protocol (tests/fixtures/mcp/acpx_codex_acp_stdio.jsonl: the
 * writes of both ends as a capture recorded them, 2026-12-06). Its messages are JSON-RPC and
 * stay in `mcp_messages`; but its `initialize` (a numeric `protocolVersion`) opens no MCP
 * session: no `mcp_calls`, and the agent is no MCP server of its client. The same client and
 * server with an MCP `initialize` (a date string) are: the rule tells them apart by that alone.
 */
import assert from "node:assert/strict";
import { all, stdioSession, syntheticDb, type SyntheticRecording } from "../correlate/testing.ts";
import { buildLinksAndFindings } from "../detect/insights.ts";

const FIXTURE = new URL("../../tests/fixtures/mcp/acpx_codex_acp_stdio.jsonl", import.meta.url);
const CLIENT = 100;
const SERVER = 200;

/** The fixture's traffic between CLIENT and SERVER; `edit` may rewrite each message's text. */
function recording(edit?: (text: string) => string): SyntheticRecording {
  return stdioSession(
    FIXTURE,
    { pid: CLIENT, comm: "node", argv: ["node", "/opt/acpx/dist/cli.js", "exec", "prompt"] },
    { pid: SERVER, comm: "node", argv: ["/opt/codex-acp/bin/codex-acp"] },
    edit,
  );
}

async function tables(rec: SyntheticRecording) {
  const { c, close } = await syntheticDb(rec);
  try {
    await buildLinksAndFindings(c);
    return {
      messages: await all(c, "SELECT method FROM mcp_messages WHERE kind = 'request'"),
      calls: await all(c, "SELECT method FROM mcp_calls ORDER BY start_ns"),
      servers: await all(c, "SELECT server_pid, client_pid FROM mcp_servers"),
    };
  } finally {
    await close();
  }
}

Deno.test("the Agent Client Protocol over stdio: JSON-RPC kept, no MCP call, no MCP server", async () => {
  const t = await tables(recording());
  assert.deepEqual(t.messages.map((m) => m.method), [
    "initialize",
    "session/new",
    "session/prompt",
    "session/request_permission",
  ]);
  assert.deepEqual(t.calls, []);
  assert.deepEqual(t.servers, []);
});

Deno.test("the same exchange opened by an MCP initialize is MCP", async () => {
  // the one difference: the version MCP names by date
  const t = await tables(
    recording((text) => text.replace('"protocolVersion":1,', '"protocolVersion":"2025-06-18",')),
  );
  assert.equal(t.calls[0].method, "initialize");
  assert.equal(t.calls.length, 4);
  assert.deepEqual(t.servers, [{ server_pid: SERVER, client_pid: CLIENT }]);
});
