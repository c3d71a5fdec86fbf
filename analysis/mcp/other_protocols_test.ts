/**
 * JSON-RPC over stdio that is not MCP, on real bytes: `acpx` 0.19.1 driving Zed's `codex-acp`
 * 0.16.0 over the Agent Client Protocol (tests/fixtures/mcp/acpx_codex_acp_stdio.jsonl: the
 * writes of both ends as a capture recorded them, 2026-12-06). Its messages are JSON-RPC and
 * stay in `mcp_messages`; but its `initialize` (a numeric `protocolVersion`) opens no MCP
 * session: no `mcp_calls`, and the agent is no MCP server of its client. The same client and
 * server with an MCP `initialize` (a date string) are: the rule tells them apart by that alone.
 */
import assert from "node:assert/strict";
import { all, rows as r, syntheticDb, type SyntheticRecording } from "../correlate/testing.ts";
import { buildLinksAndFindings } from "../detect/insights.ts";

const FIXTURE = new URL("../../tests/fixtures/mcp/acpx_codex_acp_stdio.jsonl", import.meta.url);
const CLIENT = 100;
const SERVER = 200;

/** The fixture's traffic between CLIENT and SERVER; `edit` may rewrite each message's text. */
function recording(edit: (text: string) => string = (t) => t): SyntheticRecording {
  const lines = Deno.readTextFileSync(FIXTURE).split("\n").filter(Boolean).map((l) =>
    JSON.parse(l) as { ts_ns: string; direction: string; data: string }
  );
  const t0 = BigInt(lines[0].ts_ns) - 1_000_000n;
  const seq = new Map<number, number>();
  const enc = new TextEncoder(), dec = new TextDecoder();
  const ipc = lines.map((l) => {
    const toServer = l.direction === "to_server";
    const pid = toServer ? CLIENT : SERVER;
    const raw = Uint8Array.from(atob(l.data), (ch) => ch.charCodeAt(0));
    const data = enc.encode(edit(dec.decode(raw)));
    const s = seq.get(pid) ?? 0;
    seq.set(pid, s + 1);
    return {
      ...r.ipcWrite(Number(BigInt(l.ts_ns) - t0), pid, toServer ? 1 : 2, 0, s, {}),
      peer_pid: toServer ? SERVER : CLIENT,
      data,
      len: BigInt(data.length),
    };
  });
  const end = Number(BigInt(lines.at(-1)!.ts_ns) - t0) + 1_000_000;
  return {
    process: [
      r.fork(0, CLIENT, 1, "node"),
      r.exec(1, CLIENT, 1, ["node", "/opt/acpx/dist/cli.js", "exec", "prompt"]),
      r.fork(10, SERVER, CLIENT, "node"),
      r.exec(11, SERVER, CLIENT, ["/opt/codex-acp/bin/codex-acp"]),
      r.exit(end, SERVER, CLIENT),
      r.exit(end + 1, CLIENT, 1),
    ],
    ipc,
  };
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
