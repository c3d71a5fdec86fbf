/**
 * What a user checks of an MCP session beyond the agent's tool calls, on real bytes: the stdio
 * traffic of `lab/clients/mcp_raw_client.ts` with the published server-everything 2026.8.31
 * (tests/fixtures/mcp/raw_client_everything_stdio.jsonl: the writes of both ends as a capture
 * recorded them, but for the 300 KB echo and its answer; the `initialize` was written in two
 * halves 50 ms apart). The server's own requests (`roots/list`, `sampling/createMessage`,
 * `elicitation/create`) belong to the session, named and in the client's session, not to a
 * session of their own the other way round; `notifications/progress` is counted on its call and
 * `notifications/cancelled` marks its call; a batch the server dropped (MCP 2025-03-26 only)
 * is a `problems` row per request, while the cancelled call, which by the spec gets no answer,
 * is none (nor is any over streamable HTTP, where closing the request's stream cancels it). Built in the real schema (correlate/testing.ts) and analysed with the real SQL.
 */
import assert from "node:assert/strict";
import { all, stdioSession, syntheticDb, type SyntheticRecording } from "../correlate/testing.ts";
import { buildLinksAndFindings } from "../detect/insights.ts";
import { unansweredRequests } from "./build.ts";

const FIXTURE = new URL(
  "../../tests/fixtures/mcp/raw_client_everything_stdio.jsonl",
  import.meta.url,
);
const CLIENT = 100;
const SERVER = 8363;

function recording(): SyntheticRecording {
  return stdioSession(
    FIXTURE,
    { pid: CLIENT, comm: "deno", argv: ["/usr/bin/deno", "run", "mcp_raw_client.ts"] },
    { pid: SERVER, comm: "node", argv: ["node", "/opt/mcp-server-everything", "stdio"] },
  );
}

Deno.test("MCP: a server's own requests, progress, cancellation and a dropped batch", async () => {
  const { c, close } = await syntheticDb(recording());
  try {
    const problems = await buildLinksAndFindings(c);
    // the server's requests to its client: in its session, named, client and server kept
    assert.deepEqual(
      await all(
        c,
        "SELECT method, client_pid, server_pid, server_name, end_ns IS NOT NULL AS answered " +
          "FROM mcp_calls WHERE from_server ORDER BY start_ns",
      ),
      ["roots/list", "sampling/createMessage", "elicitation/create"].map((method) => ({
        method,
        client_pid: CLIENT,
        server_pid: SERVER,
        server_name: "mcp-servers/everything",
        answered: true,
      })),
    );
    assert.deepEqual(
      await all(c, "SELECT count(*) AS n FROM mcp_calls WHERE client_pid <> $c", { c: CLIENT }),
      [{ n: 0n }],
    );
    // the long-running calls: one ran to its end with 4 progress notifications, the other was
    // cancelled after some and got no answer
    const long = await all(
      c,
      "SELECT progress, cancelled, end_ns IS NOT NULL AS answered FROM mcp_calls " +
        "WHERE tool = 'trigger-long-running-operation' ORDER BY start_ns",
    );
    assert.deepEqual(long[0], { progress: 4n, cancelled: false, answered: true });
    assert.equal(long[1].cancelled, true);
    assert.equal(long[1].answered, false);
    assert.ok((long[1].progress as bigint) >= 1n, `progress ${long[1].progress}`);
    // nothing else is cancelled or told of progress
    assert.deepEqual(
      await all(
        c,
        "SELECT count(*) AS n FROM mcp_calls WHERE (progress > 0 OR cancelled) " +
          "AND tool IS DISTINCT FROM 'trigger-long-running-operation'",
      ),
      [{ n: 0n }],
    );
    // the batch: two elements, both dropped by this server; each a problem, saying so
    assert.deepEqual(
      await all(
        c,
        "SELECT method, batch_index FROM mcp_messages WHERE batch_index IS NOT NULL " +
          "ORDER BY batch_index",
      ),
      [{ method: "tools/list", batch_index: 0 }, { method: "ping", batch_index: 1 }],
    );
    const unanswered = problems.filter((p) => /got no answer/.test(p.message));
    assert.equal(unanswered.length, 2, JSON.stringify(problems));
    assert.match(unanswered[0].message, /tools\/list \(id 2\).*JSON-RPC batch \(element 0\)/);
    assert.match(unanswered[1].message, /ping \(id 3\).*2025-03-26 only/);
    assert.ok(unanswered.every((p) => p.kind === "protocol" && p.source === "ipc.arrow"));
    // and nothing else
    assert.deepEqual(problems.filter((p) => !unanswered.includes(p)), []);
    // over streamable HTTP a client cancels by closing the request's stream (MCP 2026-07-28):
    // the same unanswered requests there are no problem
    await c.run("UPDATE mcp_calls SET transport = 'http'");
    assert.deepEqual(await unansweredRequests(c), []);
    await c.run("UPDATE mcp_calls SET transport = 'stdio'");
    assert.equal((await unansweredRequests(c)).length, 2);
    // the unknown method's JSON-RPC error is the call's
    assert.deepEqual(
      await all(
        c,
        "SELECT error_code, error_message FROM mcp_calls WHERE method = 'no/such_method'",
      ),
      [{ error_code: -32601n, error_message: "Method not found" }],
    );
  } finally {
    close();
  }
});
