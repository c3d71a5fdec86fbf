/**
 * readMcpMessages on `ipc` rows of kind `tcp` shaped as the kernel and capture write them, from
 * the real traffic of the MCP SDK client with server-everything over streamable HTTP and over
 * HTTP+SSE (protocols/testdata/mcp_http/): each connection recorded from both ends,
 * from the client's only (the server not traced) or from the server's only gives the same
 * messages, with their transport, the server's port, and the processes at both ends; then
 * mcp_calls pairs each request with its answer, across connections.
 */
import assert from "node:assert/strict";
import { DuckDBInstance } from "@duckdb/node-api";
import { appendRows, createTables } from "../duckdb_tables.ts";
import { rawIpcTable } from "../schema.ts";
import { readMcpMessages } from "./build.ts";
import { readSql } from "../../kit/sql_runner.ts";
import { MCP_TABLES, mcpCallsTable, mcpMessagesTable } from "./schema.ts";
import { SQL_DIR } from "./build.ts";

const CLIENT = 100, SERVER = 200, PORT = 3001;

async function fixture(name: string) {
  const url = new URL(`../../protocols/testdata/mcp_http/${name}.json`, import.meta.url);
  const raw = JSON.parse(await Deno.readTextFile(url)) as { client: string; server: string }[];
  const bytes = (b: string) => Uint8Array.from(atob(b), (c) => c.charCodeAt(0));
  return raw.map((c) => ({ client: bytes(c.client), server: bytes(c.server) }));
}

type End = "client" | "server";

/**
 * The rows for the fixture's connections: connection i has the client's socket inode 1000+2i
 * (port 40000+i) and the server's 1001+2i; each side's bytes in calls of 700 bytes, written by
 * the sender and read by the receiver, for the traced `ends`. Connection i's requests start at
 * i ms, its answers at 100 + i ms (the fixture has no times: answers come after every request,
 * also those on the HTTP+SSE transport's long-lived event stream).
 */
function kernelRows(conns: { client: Uint8Array; server: Uint8Array }[], ends: End[]) {
  const rows: Record<string, unknown>[] = [];
  conns.forEach((c, i) => {
    const inode = { client: BigInt(1000 + 2 * i), server: BigInt(1001 + 2 * i) };
    const port = { client: 40000 + i, server: PORT };
    const pid = { client: CLIENT, server: SERVER };
    const both = ends.length === 2;
    for (
      const [sender, data, t0] of [["client", c.client, 0], [
        "server",
        c.server,
        100_000_000,
      ]] as const
    ) {
      const receiver: End = sender === "client" ? "server" : "client";
      for (const side of ends) {
        const writing = side === sender;
        const other: End = side === "client" ? "server" : "client";
        let seq = 0;
        for (let off = 0; off < data.length; off += 700) {
          const d = data.subarray(off, off + 700);
          rows.push({
            recording: "r",
            ts_ns: BigInt(i * 1_000_000 + t0 + off) + (writing ? 0n : 10n),
            pid: pid[side],
            tid: pid[side],
            fd: 7,
            kind: "tcp",
            inode: inode[side],
            peer_inode: both ? inode[other] : null,
            peer_pid: both ? pid[other] : null,
            direction: writing ? "write" : "read",
            seq: BigInt(seq++),
            len: BigInt(d.length),
            data: d,
            truncated: false,
            lost: 0n,
            local_port: port[side],
            remote_port: port[other],
          });
        }
        void receiver;
      }
    }
  });
  return rows;
}

async function analyse(rows: Record<string, unknown>[]) {
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  try {
    await createTables(c, [rawIpcTable]);
    await appendRows(c, rawIpcTable, rows);
    const got = await readMcpMessages(c);
    await createTables(c, [...MCP_TABLES]);
    await c.run("CREATE TABLE lineage (recording VARCHAR, pid INTEGER, session_id INTEGER)");
    await appendRows(c, mcpMessagesTable, got.rows as unknown as Record<string, unknown>[]);
    await c.run(readSql(SQL_DIR, mcpCallsTable.name));
    const calls = (await c.runAndReadAll(
      "SELECT method, tool, transport, server_port, client_pid, server_pid, server_name, " +
        "arguments::VARCHAR AS args, result::VARCHAR AS result FROM mcp_calls ORDER BY start_ns",
    )).getRowObjects();
    return { ...got, calls };
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

const summary = (rows: Awaited<ReturnType<typeof analyse>>["rows"]) =>
  rows.map((m) =>
    `${m.from_pid}>${m.to_pid} ${m.transport} ${m.framing} ${m.kind} ${
      m.method ?? ""
    } ${m.jsonrpc_id} ${m.server_port}`
  ).sort();

for (const [name, transport] of [["streamable", "http"], ["sse", "sse"]] as const) {
  Deno.test(`MCP over ${transport}: messages and calls, from both ends or either`, async () => {
    const conns = await fixture(name);
    const both = await analyse(kernelRows(conns, ["client", "server"]));
    assert.deepEqual(both.problems, []);
    const want = summary(both.rows);
    assert.ok(
      want.includes(`100>200 ${transport} http request initialize 0 ${PORT}`),
      want.join("\n"),
    );
    assert.ok(want.includes(`200>100 ${transport} sse response  2 ${PORT}`), want.join("\n"));
    assert.ok(both.rows.every((m) => m.transport === transport));
    const call = both.calls.find((c) => c.method === "tools/call")!;
    assert.equal(call.tool, "echo");
    assert.equal(call.transport, transport);
    assert.equal(call.server_pid, SERVER);
    assert.equal(call.client_pid, CLIENT);
    assert.equal(call.server_name, "mcp-servers/everything");
    assert.equal(call.args, '{"message":"hello over http"}');
    assert.match(String(call.result), /Echo: hello over http/);
    assert.deepEqual(
      both.calls.map((c) => c.method).sort(),
      ["initialize", "tools/call", "tools/list"],
    );
    // the client's end only: the server is not traced
    const client = await analyse(kernelRows(conns, ["client"]));
    assert.deepEqual(client.problems, []);
    assert.deepEqual(
      summary(client.rows),
      want.map((w) =>
        w.replaceAll("200", "null").replace(`null ${transport}`, `null ${transport}`)
      ),
    );
    assert.equal(client.calls.find((c) => c.method === "tools/call")?.server_pid, null);
    assert.match(String(client.calls.find((c) => c.method === "tools/call")?.result), /Echo/);
    // the server's end only
    const server = await analyse(kernelRows(conns, ["server"]));
    assert.equal(server.rows.length, both.rows.length);
    assert.ok(server.rows.every((m) => m.from_pid === SERVER || m.to_pid === SERVER));
    const served = server.calls.find((c) => c.method === "tools/call")!;
    assert.equal(served.client_pid, null);
    assert.match(String(served.result), /Echo: hello over http/, "paired without a client pid");
  });
}
