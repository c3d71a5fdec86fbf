/**
 * readMcpMessages on `ipc` rows of kind `tcp` shaped as the kernel and capture write them, from
 * the real traffic of the MCP SDK client with server-everything over streamable HTTP and over
 * HTTP+SSE (protocols/testdata/mcp_http/): each connection recorded from both ends,
 * from the client's only (the server not traced) or from the server's only gives the same
 * messages, with their transport, the server's port, and the processes at both ends; then
 * mcp_calls pairs each request with its answer, across connections.
 */
import assert from "node:assert/strict";
import { appendRows, createTables } from "../duckdb_tables.ts";
import { httpExchangesTable, rawIpcTable, sseEventsTable } from "../schema.ts";
import { fillMcpCalls, readMcpMessages, unansweredRequests } from "./build.ts";
import { withDb } from "../analysed_db.ts";
import { MCP_TABLES, mcpMessagesTable } from "./schema.ts";
import { lineageTable } from "../correlate/schema.ts";
import { sqlText } from "../sql_files.ts";
import { readMcpHttpFixture } from "../../protocols/testdata/mcp_http_fixture.ts";
import { createParamRedactor, SECRET_PARAM } from "../../protocols/url_param_mask.ts";
import { TEST_DIGEST, testParamDigest } from "../../protocols/testing.ts";
import { concatBytes } from "../../kit/bytes.ts";

const CLIENT = 100, SERVER = 200, PORT = 3001;

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

function analyse(rows: Record<string, unknown>[]) {
  return withDb(":memory:", async (c) => {
    await createTables(c, [rawIpcTable, httpExchangesTable, sseEventsTable]);
    await c.run(sqlText("macros"));
    await appendRows(c, rawIpcTable, rows);
    const got = await readMcpMessages(c);
    await createTables(c, [lineageTable, ...MCP_TABLES]);
    await appendRows(c, mcpMessagesTable, got.rows as unknown as Record<string, unknown>[]);
    await fillMcpCalls(c);
    const calls = (await c.runAndReadAll(
      "SELECT method, tool, transport, server_port, client_pid, server_pid, server_name, " +
        "arguments::VARCHAR AS args, result::VARCHAR AS result FROM mcp_calls ORDER BY start_ns",
    )).getRowObjects();
    return { ...got, calls };
  });
}

const summary = (rows: Awaited<ReturnType<typeof analyse>>["rows"]) =>
  rows.map((m) =>
    `${m.from_pid}>${m.to_pid} ${m.transport} ${m.framing} ${m.kind} ${
      m.method ?? ""
    } ${m.jsonrpc_id} ${m.server_port}`
  ).sort();

for (const [name, transport] of [["streamable", "http"], ["sse", "sse"]] as const) {
  Deno.test(`MCP over ${transport}: messages and calls, from both ends or either`, async () => {
    const conns = await readMcpHttpFixture(name);
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

/**
 * The `tcp` rows of a real capture of Codex 0.169 with server-everything over loopback
 * streamable HTTP (tests/fixtures/mcp/codex_http_ipc.jsonl, secrets masked by the capture):
 * the server ends the session's event stream after Codex's DELETE with the chunked body's last
 * chunk, `0\r\n\r\n`, written to a socket Codex had closed; the reset that answered it closed
 * the server's socket inside that write, and the capture of the time wrote the row with local
 * port 0 and no peer.
 */
async function codexRows(file = "codex_http_ipc.jsonl") {
  const url = new URL(`../../tests/fixtures/mcp/${file}`, import.meta.url);
  const lines = (await Deno.readTextFile(url)).split("\n").filter(Boolean);
  return lines.map((l) => {
    const r = JSON.parse(l);
    return {
      ...r,
      recording: "r",
      ts_ns: BigInt(r.ts_ns),
      inode: BigInt(r.inode),
      peer_inode: r.peer_inode === null ? null : BigInt(r.peer_inode),
      seq: BigInt(r.seq),
      len: BigInt(r.len),
      lost: BigInt(r.lost),
      data: Uint8Array.from(atob(r.data), (c) => c.charCodeAt(0)),
    } as Record<string, unknown> & { inode: bigint; data: Uint8Array; local_port: number };
  });
}

const CODEX_CALLS = [
  "initialize",
  "tools/list",
  "tools/call echo",
  "tools/call gzip-file-as-resource",
];

const callNames = (calls: Record<string, unknown>[]) =>
  calls.map((c) => `${c.method}${c.tool ? ` ${c.tool}` : ""}`);

Deno.test("Codex over streamable HTTP: a last chunk the client's reset answered stays on its connection", async () => {
  const rows = await codexRows();
  const reset = rows.filter((r) => r.local_port === 0);
  assert.equal(reset.length, 1, "the fixture has the row the old capture wrote");
  assert.equal(new TextDecoder().decode(reset[0].data), "0\r\n\r\n");
  // as captured then, and as the capture writes it now (the socket's port, so its peer)
  const own = rows.find((r) => r.inode === reset[0].inode && r.local_port !== 0)!;
  const now = rows.map((r) =>
    r === reset[0] ? { ...r, local_port: own.local_port, peer_inode: own.peer_inode } : r
  );
  for (const input of [rows, now]) {
    const got = await analyse(input);
    assert.deepEqual(got.problems, []);
    assert.deepEqual(callNames(got.calls), CODEX_CALLS);
    assert.ok(got.calls.every((c) => c.transport === "http" && c.client_pid === 1615));
    assert.ok(got.calls.every((c) => c.server_pid === 1453 && c.server_port === 37955));
    const echo = got.calls.find((c) => c.tool === "echo")!;
    assert.match(String(echo.result), /Echo: hello over loopback http/);
    // every message of a connection is on it: two connections, each of both processes
    const conns = new Set(got.rows.map((m) => `${m.inode} ${m.from_pid}`));
    assert.equal(conns.size, 4, [...conns].join(", "));
  }
});

Deno.test("a loopback HTTP stream whose start was not recorded is a problems row, not a mis-parse", async () => {
  const rows = await codexRows();
  // the server's first three answers on the connection of the event stream were not recorded
  const server = 1453n, conn = 249210n;
  const missing = rows.filter((r) =>
    BigInt(r.pid as number) === server && r.inode === conn && r.direction === "write" &&
    (r.seq as bigint) < 3n
  );
  assert.equal(missing.length, 3);
  const got = await analyse(rows.filter((r) => !missing.includes(r)));
  assert.equal(got.problems.length, 1, JSON.stringify(got.problems));
  assert.match(
    got.problems[0].message,
    /connection 249206 \(client pid 1615, port 37955\): the \d+ bytes pid 1453 sent \(written\) are not read: it begins with "81\\r\\nevent: message/,
  );
  assert.match(got.problems[0].message, /its start was not recorded/);
  // what was recorded from their starts is read: the requests, and the other connection
  assert.deepEqual(callNames(got.calls), CODEX_CALLS);
  assert.equal(got.calls.find((c) => c.method === "initialize")!.result, null);
  assert.match(String(got.calls.find((c) => c.tool === "echo")!.result), /Echo/);
  // a client stream recorded from a chunk's end: the same
  const client = rows.filter((r) => !(r.pid === 1615 && r.inode === 248238n && r.seq === 0n));
  const cut = client.map((r) =>
    r.pid === 1615 && r.inode === 248238n && r.direction === "write" && r.seq === 1n
      ? { ...r, data: r.data.subarray(300) }
      : r
  );
  const got2 = await analyse(cut);
  assert.ok(!got2.problems.some((p) => /malformed/.test(p.message)), JSON.stringify(got2.problems));
  assert.ok(
    got2.problems.some((p) =>
      /pid 1615 sent \(written\) are not read: .*its start was not recorded/.test(p.message)
    ),
  );
});

Deno.test("a loopback connection of cleartext HTTP/2 is one problems row, not a mis-parse", async () => {
  // real node:http2 bytes (h2c, MCP's HTTP+SSE transport over HTTP/2)
  const dir = new URL("../../protocols/testdata/captures/h2_mcp_sse/", import.meta.url);
  const conn = {
    client: await Deno.readFile(new URL("client.bin", dir)),
    server: await Deno.readFile(new URL("server.bin", dir)),
  };
  for (const ends of [["client", "server"], ["client"], ["server"]] as End[][]) {
    const got = await analyse(kernelRows([conn], ends));
    assert.deepEqual(got.rows, [], ends.join());
    assert.equal(got.problems.length, 1, JSON.stringify(got.problems));
    const bytes = conn.client.length + conn.server.length; // each stream read once
    assert.match(
      got.problems[0].message,
      new RegExp(
        `ports 3001, 40000\\) is cleartext HTTP/2 \\(h2c\\): its ${bytes} bytes are not read`,
      ),
    );
  }
});

Deno.test("damage on loopback says what it is: cut, lost (ring buffer), withheld by the capture", async () => {
  // the server's answers on the first connection of the real streamable-HTTP traffic, from the
  // client's end only: its second read call damaged three ways
  const rows = kernelRows((await readMcpHttpFixture("streamable")).slice(0, 1), ["client"]);
  const second = rows.findIndex((r) => r.direction === "read" && r.seq === 1n);
  assert.ok(second > 0);
  const damaged = (over: Record<string, unknown>) =>
    rows.map((r, i) => i === second ? { ...r, ...over } : r);
  const d = rows[second].data as Uint8Array;
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ truncated: true, len: 5000n }, /a call cut at the capture's --max-tls-bytes: the rest/],
    [
      { lost: 12n, data: new Uint8Array(d.length) },
      /a call with 12 bytes lost \(ring buffer full, or unreadable memory\): the rest/,
    ],
    [
      { lost: BigInt(d.length), data: new Uint8Array(0) },
      /a call withheld by the capture after a gap \(written empty so no secret leaks unmasked\): the rest/,
    ],
  ];
  for (const [over, want] of cases) {
    const got = await analyse(damaged(over));
    // (the message the damaged call ends may also fail to parse: a row of its own)
    const rest = got.problems.filter((p) => /the rest of that stream is not read/.test(p.message));
    assert.equal(rest.length, 1, JSON.stringify(got.problems));
    assert.match(rest[0].message, want);
  }
});

Deno.test("h2c calls the capture withheld after a gap are counted in its problems row", async () => {
  const dir = new URL("../../protocols/testdata/captures/h2_mcp_sse/", import.meta.url);
  const conn = {
    client: await Deno.readFile(new URL("client.bin", dir)),
    server: await Deno.readFile(new URL("server.bin", dir)),
  };
  const rows = kernelRows([conn], ["client"]);
  // the server's direction after its first call: a gap of 40 bytes, then written empty
  const reads = rows.filter((r) => r.direction === "read" && (r.seq as bigint) >= 1n);
  assert.ok(reads.length >= 1);
  const withheld = reads.map((r, i) => ({
    ...r,
    data: new Uint8Array(0),
    lost: (r.len as bigint) + (i === 0 ? 40n : 0n),
  }));
  const got = await analyse(rows.map((r) => withheld[reads.indexOf(r)] ?? r));
  assert.equal(got.problems.length, 1, JSON.stringify(got.problems));
  const missing = withheld.reduce((n, r) => n + r.lost, 0n);
  assert.match(
    got.problems[0].message,
    new RegExp(
      `is cleartext HTTP/2 \\(h2c\\): .*; ${reads.length} call\\(s\\) withheld by the capture ` +
        `after a gap \\(written empty so no secret leaks unmasked; ${missing} bytes missing`,
    ),
  );
});

Deno.test("an HTTP proxy's CONNECT tunnel on loopback is neither MCP nor a problem", async () => {
  const text = (s: string) => new TextEncoder().encode(s);
  // a TLS 1.2-framed handshake record's start, as a ClientHello and a ServerHello begin
  const hello = Uint8Array.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03]);
  const tls = (n: number) => Uint8Array.from({ length: n }, (_, i) => i < 10 ? hello[i] : i % 251);
  const cat = (a: Uint8Array, b: Uint8Array) => Uint8Array.from([...a, ...b]);
  const answer = text(
    "HTTP/1.0 200 Connection established\r\nProxy-agent: tinyproxy/1.11.1\r\n\r\n",
  );
  // as recorded now: the CONNECT and the proxy's answer, the tunnel's TLS left to the TLS hooks
  const now = {
    client: text("CONNECT api.anthropic.com:443 HTTP/1.1\r\nHost: api.anthropic.com:443\r\n\r\n"),
    server: answer,
  };
  // as recorded before the kernel side knew CONNECT: from the proxy's answer on, TLS and all
  const before = { client: tls(1500), server: cat(answer, tls(2000)) };
  for (
    const [name, conn, ends] of [
      ["CONNECT recorded", now, [["client", "server"], ["client"], ["server"]]],
      ["CONNECT not recorded", before, [["client"]]],
    ] as const
  ) {
    for (const e of ends) {
      const got = await analyse(kernelRows([conn], [...e]));
      assert.deepEqual(got.rows, [], `${name} ${e}`);
      assert.deepEqual(got.problems, [], `${name} ${e}`);
    }
  }
  // TLS bytes after a refusal (407) are not a tunnel's, nor MCP's (no JSON-RPC sent): the HTTP
  // tables say they are not read (cleartext_http_test), MCP says nothing
  const refused = {
    client: tls(1500),
    server: text("HTTP/1.1 407 Proxy Authentication Required\r\n\r\n"),
  };
  const got = await analyse(kernelRows([refused], ["client"]));
  assert.deepEqual([got.rows, got.problems], [[], []]);
});

Deno.test("a loopback MCP request the recording never saw answered is an incomplete problem (the capture stopped mid-call)", async () => {
  const conns = await readMcpHttpFixture("streamable");
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  const i = conns.findIndex((c) => text(c.client).includes('"tools/call"'));
  assert.ok(i >= 0);
  // the server's stream ends before its answer to the connection's last request
  const server = conns[i].server;
  const cut = text(server).lastIndexOf("HTTP/1.1 ");
  const stopped = conns.map((c, j) => j === i ? { ...c, server: server.subarray(0, cut) } : c);
  const r = await analyse(kernelRows(stopped, ["client", "server"]));
  const incomplete = r.problems.filter((p) => p.kind === "incomplete").map((p) => p.message);
  assert.equal(incomplete.length, 1, JSON.stringify(r.problems));
  assert.match(
    incomplete[0],
    /: POST \/mcp \(tools\/call \(id \d+\)\) got no answer: the recording ends before the server answered it$/,
  );
  assert.equal(r.calls.find((c) => c.method === "tools/call")?.result, null);
  // recorded whole: nothing of the kind
  const whole = await analyse(kernelRows(conns, ["client", "server"]));
  assert.deepEqual(whole.problems, []);
});

Deno.test("capture --pid attached mid-session (real): the session is read from its requests and headers, and a gap row says initialize was not seen", async () => {
  // the MCP SDK client with server-everything over loopback streamable HTTP, joined by
  // capture --pid after initialize (tests/fixtures/mcp/make_midsession_fixture.ts)
  const r = await analyse(await codexRows("midsession_http_ipc.jsonl"));
  assert.deepEqual(callNames(r.calls), ["tools/list", "tools/call echo"]);
  const echo = r.calls.find((c) => c.tool === "echo")!;
  assert.match(String(echo.result), /Echo: hello mid-session/);
  assert.equal(echo.server_name, null, "no initialize: the server's name is unknown");
  assert.equal(echo.transport, "http");
  assert.deepEqual(r.problems.map((p) => [p.kind, p.source]), [["gap", "ipc.arrow"]]);
  assert.match(
    r.problems[0].message,
    /^MCP session over http between pid \d+ and a process not traced \(server port \d+\): initialize was not seen \(the capture attached mid-session, or the session's start was not recorded\): 4 messages read as they came; the server's name and capabilities are unknown$/,
  );
});

/**
 * The Agent2Agent protocol over loopback HTTP, real bytes (tests/fixtures/mcp/a2a_apteva_http.json:
 * curl posting `message/send` to the A2A endpoint of `@apteva/agent` 1.55.0, a Go agent, and
 * its answer, as a capture recorded them on 2026-12-06), once per method in `methods`: each
 * exchange's request renamed to it (the Content-Length set again), on its own connection of
 * the same two processes and port (one session). `meta`: its params carry MCP 2026-07-28's
 * `_meta` protocol version.
 */
async function a2aRows(methods = ["message/send"], meta = false, a2aHeader = true) {
  const [conn] = JSON.parse(
    await Deno.readTextFile(
      new URL("../../tests/fixtures/mcp/a2a_apteva_http.json", import.meta.url),
    ),
  ) as { client: string; server: string }[];
  const bytes = (b: string) => Uint8Array.from(atob(b), (ch) => ch.charCodeAt(0));
  const [head, body] = new TextDecoder().decode(bytes(conn.client)).split("\r\n\r\n");
  const conns = methods.map((method) => {
    let renamed = body.replace('"method":"message/send"', `"method":"${method}"`);
    if (meta) {
      renamed = renamed.replace(
        '"params":{',
        '"params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"},',
      );
    }
    const client = head.replace(/Content-Length: \d+/, `Content-Length: ${renamed.length}`) +
      "\r\n\r\n" + renamed;
    // without A2A's own header (its name changed, the same length): the methods alone decide
    const server = a2aHeader ? bytes(conn.server) : new TextEncoder().encode(
      new TextDecoder().decode(bytes(conn.server)).replace("A2a-Version:", "X2x-Version:"),
    );
    return { client: new TextEncoder().encode(client), server };
  });
  return kernelRows(conns, ["client", "server"]);
}

Deno.test("the Agent2Agent protocol over loopback HTTP (real): JSON-RPC kept, no MCP call, said once", async () => {
  const r = await analyse(await a2aRows());
  assert.deepEqual(
    r.rows.map((m) => [m.kind, m.method]),
    [["request", "message/send"], ["response", null]],
  );
  assert.deepEqual(r.calls, [], "message/send is no MCP call");
  assert.deepEqual(r.problems.map((p) => p.kind), ["protocol"], "no MCP gap; the drop is said");
  assert.match(
    r.problems[0].message,
    /^JSON-RPC over http between pid \d+ and pid \d+ \(server port \d+\) is not MCP \(the Agent2Agent protocol's methods: message\/send;.*2 messages kept in mcp_messages only/,
  );
});

Deno.test("A2A's message/send, then tasks/get and tasks/cancel (names MCP has too): not MCP", async () => {
  const r = await analyse(await a2aRows(["message/send", "tasks/get", "tasks/cancel"]));
  assert.deepEqual(r.calls, [], "no MCP call of an A2A task poll");
  assert.deepEqual(r.problems.map((p) => p.kind), ["protocol"]);
  assert.match(r.problems[0].message, /message\/send, tasks\/get, tasks\/cancel;.* 6 messages/);
});

Deno.test("MCP 2026-07-28 (no initialize): a server/discover-only or subscriptions/listen-only session is MCP", async () => {
  // a server/discover answered with a result is a stateless session, which has no initialize
  // to miss: no gap; subscriptions/listen without a _meta version may be a session joined
  // mid-way
  for (const [method, problems] of [["server/discover", []], ["subscriptions/listen", ["gap"]]]) {
    const r = await analyse(
      await a2aRows([method as string], false, method !== "subscriptions/listen"),
    );
    assert.deepEqual(r.calls.map((c) => c.method), [method], method as string);
    assert.deepEqual(r.problems.map((p) => p.kind), problems, method as string);
  }
});

Deno.test("MCP evidence decides: an io.modelcontextprotocol/ _meta key keeps a method no list names, and A2A's", async () => {
  for (const method of ["tools/describe", "message/send"]) {
    const r = await analyse(await a2aRows([method], true));
    assert.deepEqual(r.calls.map((c) => c.method), [method], method);
    // its _meta protocol version 2026-07-28 says stateless MCP: no initialize missed
    assert.deepEqual(r.problems.map((p) => p.kind), [], method);
  }
});

Deno.test("the same exchange with an MCP method is an MCP session joined mid-way, unless its A2A-Version header says A2A", async () => {
  const r = await analyse(await a2aRows(["tools/call"], false, false));
  assert.deepEqual(r.calls.map((c) => c.method), ["tools/call"]);
  assert.deepEqual(r.problems.map((p) => p.kind), ["gap"]);
  // as served: the server's A2a-Version header is A2A's evidence, whatever the method
  const a2a = await analyse(await a2aRows(["tools/call"]));
  assert.deepEqual(a2a.calls, []);
  assert.ok(a2a.rows.every((m) => m.a2a_version === "0.3"));
  assert.deepEqual(a2a.problems.map((p) => p.kind), ["protocol"]);
  assert.match(
    a2a.problems[0].message,
    /not MCP \(the Agent2Agent protocol's A2A-Version header: tools\/call;/,
  );
});

/**
 * The real streamable session's connection that carried notifications/initialized and then a
 * tools/call, its two requests in the other order: the tools/call answered, the recording
 * ending before the 202. `post` rewrites the notification's POST (its head and body).
 */
async function ackMissing(post: (head: string, body: string) => string = (h, b) => h + b) {
  const conns = await readMcpHttpFixture("streamable");
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  const j = conns.findIndex((c) => text(c.client).includes("notifications/initialized"));
  const client = text(conns[j].client);
  const second = client.indexOf("POST /mcp", 1);
  const first = client.slice(0, second);
  const split = first.indexOf("\r\n\r\n") + 4;
  assert.match(first.slice(split), /^\{[^]*"notifications\/initialized"[^]*\}$/);
  const swapped = client.slice(second) + post(first.slice(0, split), first.slice(split));
  assert.match(swapped, /^POST[^]*"tools\/call"[^]*POST[^]*notifications\/initialized/);
  const answers = conns[j].server;
  const toolsAnswer = answers.subarray(text(answers).indexOf("HTTP/1.1 ", 1));
  assert.match(text(toolsAnswer), /^HTTP\/1.1 200/);
  const enc = new TextEncoder().encode(swapped);
  const u = await analyse(
    kernelRows(conns.map((c, k) => k === j ? { client: enc, server: toolsAnswer } : c), [
      "client",
      "server",
    ]),
  );
  assert.ok(u.calls.find((c) => c.method === "tools/call")?.result !== null);
  return u;
}

Deno.test("a loopback MCP POST of a notification alone whose acknowledgement the recording never saw is no problem (nothing of JSON-RPC answers it)", async () => {
  const u = await ackMissing();
  assert.deepEqual(u.problems, []);
});

Deno.test("a loopback MCP POST never answered is said when its batch has a member that is not JSON-RPC, or its body is cut short (the same rule as over TLS)", async () => {
  const unanswered = (u: { problems: { kind?: string | null; message: string }[] }) =>
    u.problems.filter((p) => p.kind === "incomplete").map((p) =>
      p.message.replace(/^.*?: POST/, "POST")
    );
  const withBody = (body: string) => (head: string) =>
    head.replace(/content-length: \d+/i, `content-length: ${body.length}`) + body;
  const mixed = '[{"jsonrpc":"2.0","method":"notifications/initialized"},{"x":1}]';
  assert.deepEqual(unanswered(await ackMissing(withBody(mixed))), [
    "POST /mcp (notifications/initialized) got no answer: the recording ends before the " +
    "server answered it",
  ]);
  // a batch of JSON-RPC alone, no request: as the notification alone, no problem
  const batch = '[{"jsonrpc":"2.0","method":"notifications/initialized"},{"jsonrpc":"2.0",' +
    '"id":0,"result":{}}]';
  assert.deepEqual(unanswered(await ackMissing(withBody(batch))), []);
  // the notification's body whole, but its head promising 10 bytes more: the request is cut
  const cut = await ackMissing((head, body) =>
    head.replace(/content-length: \d+/i, `content-length: ${body.length + 10}`) + body
  );
  assert.deepEqual(unanswered(cut), [
    "POST /mcp (notifications/initialized) got no answer: the recording ends before the " +
    "server answered it",
  ]);
});

Deno.test("a session's GET event stream alone (no request body seen) is told MCP's by its session headers", async () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  const get = "GET /mcp HTTP/1.1\r\nhost: 127.0.0.1:3001\r\nmcp-session-id: ****\r\n" +
    "mcp-protocol-version: 2025-11-25\r\naccept: text/event-stream\r\n\r\n";
  const note = '{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info"}}';
  const answer = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n" +
    "transfer-encoding: chunked\r\n\r\n" +
    `${(note.length + 23).toString(16)}\r\nevent: message\ndata: ${note}\n\n\r\n`;
  const r = await analyse(kernelRows([{ client: enc(get), server: enc(answer) }], ["client"]));
  assert.deepEqual(r.rows.map((m) => [m.kind, m.method, m.framing]), [
    ["notification", "notifications/message", "sse"],
  ]);
  assert.deepEqual(r.problems.map((p) => p.kind), ["gap"]);
});

Deno.test("Gemini CLI on an HTTP+SSE server: its streamable-HTTP probe refused with 404 carries that status, and is no unanswered request", async () => {
  // the `tcp` writes of a real capture of Gemini CLI with server-everything 0.6.2's dist/sse.js
  // (the 2024-11-05 transport): Gemini first POSTs initialize to the URL (streamable HTTP),
  // gets 404, then opens the event stream and initializes again (MCP 2025-03-26, backwards
  // compatibility)
  const rows = await codexRows("gemini_sse_fallback_ipc.jsonl");
  const got = await analyse(rows);
  assert.deepEqual(got.problems, []);
  const inits = got.rows.filter((m) => m.method === "initialize")
    .map((m) => [m.jsonrpc_id, m.http_status]);
  assert.deepEqual(inits, [["0", 404], ["1", 202]]);
  // the server's answers came in the event stream's 200
  assert.ok(got.rows.filter((m) => m.kind === "response").every((m) => m.http_status === 200));
  const calls = got.calls.filter((c) => c.method === "tools/call");
  assert.deepEqual(calls.map((c) => [c.transport, c.tool]), [
    ["sse", "echo"],
    ["sse", "longRunningOperation"],
    ["sse", "getTinyImage"],
  ]);
  await withDb(":memory:", async (c) => {
    await createTables(c, [rawIpcTable, httpExchangesTable, sseEventsTable]);
    await c.run(sqlText("macros"));
    await appendRows(c, rawIpcTable, rows);
    const { rows: messages } = await readMcpMessages(c);
    await createTables(c, [lineageTable, ...MCP_TABLES]);
    await appendRows(c, mcpMessagesTable, messages as unknown as Record<string, unknown>[]);
    await fillMcpCalls(c);
    // the refused probe is answered at the HTTP level: no problem
    assert.deepEqual(await unansweredRequests(c), []);
    // without its status it would be one
    await c.run("UPDATE mcp_messages SET http_status = NULL");
    assert.equal((await unansweredRequests(c)).length, 1);
  });
});

/**
 * A second session beside the real Codex one on the same server port, interleaved with it (1 ms
 * later, each row): its connections are others (inodes and client ports moved), and `edit`
 * changes its bytes, each change the same length so that every framing (Content-Length, chunk
 * sizes) holds. Its echo says "HELLO OVER LOOPBACK HTTP", so whose answer a call got shows.
 */
async function twoSessions(edit: (data: Uint8Array, first: boolean) => Uint8Array) {
  const rows = await codexRows();
  const text = (from: string, to: string) => (d: Uint8Array) =>
    new TextEncoder().encode(new TextDecoder().decode(d).replaceAll(from, to));
  const loud = text("hello over loopback http", "HELLO OVER LOOPBACK HTTP");
  const moved = (p: unknown) => p === 37955 || p === 0 || p === null ? p : (p as number) + 1000;
  const second = rows.map((r) => ({
    ...r,
    inode: r.inode + 1_000_000n,
    peer_inode: r.peer_inode === null ? null : (r.peer_inode as bigint) + 1_000_000n,
    local_port: moved(r.local_port),
    remote_port: moved(r.remote_port),
    ts_ns: (r.ts_ns as bigint) + 1_000_000n,
    data: edit(loud(r.data), false),
  }));
  const first = rows.map((r) => ({ ...r, data: edit(r.data, true) }));
  return await analyse([...first, ...second]);
}

const echoes = (calls: Record<string, unknown>[]) =>
  calls.filter((c) => c.tool === "echo").map((c) => [
    JSON.parse(String(c.args)).message,
    String(c.result).match(/Echo: ([^"]*)/)?.[1],
    c.server_name,
  ]);

Deno.test("streamable HTTP: two servers behind one host:port on two paths are two sessions, each call answered in its own", async () => {
  const enc = (s: string) => (d: Uint8Array) =>
    new TextEncoder().encode(
      new TextDecoder().decode(d).replaceAll(" /mcp ", ` ${s} `)
        .replaceAll(
          '"mcp-servers/everything"',
          s === "/mcp" ? '"mcp-servers/everything"' : '"mcp-servers/everythin2"',
        ),
    );
  const got = await twoSessions((d, first) => enc(first ? "/mcp" : "/mc2")(d));
  assert.deepEqual(got.problems, []);
  assert.deepEqual(new Set(got.rows.map((m) => m.http_path)), new Set(["/mcp", "/mc2"]));
  // every message carries its exchange's MCP-Protocol-Version after initialize
  assert.ok(got.rows.some((m) => m.mcp_protocol_version === "2025-06-18"));
  assert.deepEqual(echoes(got.calls).sort(), [
    ["HELLO OVER LOOPBACK HTTP", "HELLO OVER LOOPBACK HTTP", "mcp-servers/everythin2"],
    ["hello over loopback http", "hello over loopback http", "mcp-servers/everything"],
  ]);
  const inits = got.calls.filter((c) => c.method === "initialize").map((c) => c.server_name);
  assert.deepEqual(inits.sort(), ["mcp-servers/everythin2", "mcp-servers/everything"]);
});

Deno.test("streamable HTTP: two sessions of one server on one path are two by their Mcp-Session-Id; masked ids tell none", async () => {
  const MASK = "*".repeat(36);
  const withId = (id: string) => (d: Uint8Array) =>
    new TextEncoder().encode(new TextDecoder().decode(d).replaceAll(MASK, id));
  const got = await twoSessions((d, first) => withId((first ? "a" : "b").repeat(36))(d));
  assert.deepEqual(got.problems, []);
  assert.deepEqual(
    new Set(got.rows.map((m) => m.mcp_session_id)),
    new Set(["a".repeat(36), "b".repeat(36)]),
  );
  // the initialize request is its answer's session (the id is assigned there)
  const inits = got.rows.filter((m) => m.method === "initialize");
  assert.deepEqual(inits.map((m) => m.mcp_session_id).sort(), ["a", "b"].map((x) => x.repeat(36)));
  const paired = echoes(got.calls).map(([asked, answered]) => [asked, answered]).sort();
  assert.deepEqual(paired, [
    ["HELLO OVER LOOPBACK HTTP", "HELLO OVER LOOPBACK HTTP"],
    ["hello over loopback http", "hello over loopback http"],
  ]);
  // as captured (ids masked), the session id says nothing: none is kept
  const masked = await twoSessions((d) => d);
  assert.ok(masked.rows.every((m) => m.mcp_session_id === null));
});

Deno.test("HTTP+SSE whose endpoint event was not recorded (capture --pid mid-session): read as http, its POSTed requests still paired with the answers on the GET stream", async () => {
  const conns = (await readMcpHttpFixture("sse")).map((c) => ({
    client: c.client,
    server: new TextEncoder().encode(
      new TextDecoder().decode(c.server).replaceAll("event: endpoint", "event: endpoinx"),
    ),
  }));
  assert.ok(
    conns.some((c) => new TextDecoder().decode(c.server).includes("event: endpoinx")),
    "the fixture has the endpoint event",
  );
  const got = await analyse(kernelRows(conns, ["client", "server"]));
  assert.ok(got.rows.every((m) => m.transport === "http"), "no endpoint event: read as http");
  assert.ok(new Set(got.rows.map((m) => m.http_path)).size > 1, "the GET stream and the POSTs");
  assert.deepEqual(got.calls.map((c) => c.method).sort(), [
    "initialize",
    "tools/call",
    "tools/list",
  ]);
  for (const c of got.calls) {
    assert.notEqual(c.result, null, `${c.method} answered`);
    assert.equal(c.server_name, "mcp-servers/everything");
  }
  assert.match(String(got.calls.find((c) => c.method === "tools/call")!.result), /Echo: hello/);
});

// Claude Code 2.1 over streamable HTTP (a capture of the lab's scenario, session 35; the
// session id as the capture writes it, a keyed digest): before `initialize` it POSTs a
// `server/discover` probe without an Mcp-Session-Id, which server-everything refuses with 400
// ("Servers that require a session ID SHOULD respond to requests without an Mcp-Session-Id
// header (other than initialization) with HTTP 400 Bad Request", MCP Session Management). With
// the ids no longer all masked alike, that probe is no session's: not a session whose
// initialize was missed. A sessionless request the server accepted still is one.
Deno.test("streamable HTTP: a sessionless probe refused with 400 beside a session with an id is no session missing its initialize", async () => {
  const rows = await codexRows("claude_http_discover_probe_ipc.jsonl");
  const got = await analyse(rows);
  assert.deepEqual(got.problems, []);
  const ids = new Set(got.rows.map((m) => m.mcp_session_id));
  assert.equal(ids.size, 2, "the session's digest, and none for the probe");
  const probe = got.rows.filter((m) => m.mcp_session_id === null);
  assert.deepEqual(probe.map((m) => [m.kind, m.method, m.http_status]), [
    ["request", "server/discover", 400],
    ["error", null, 400],
  ]);
  assert.ok(got.calls.some((c) => c.method === "server/discover"), "kept in mcp_calls");
  assert.deepEqual(echoes(got.calls).length, 1);
  // the same probe accepted (200): messages outside any session seen, said
  const accepted = await analyse(
    rows.map((r) => ({
      ...r,
      data: new TextEncoder().encode(
        new TextDecoder().decode(r.data).replace("HTTP/1.1 400 Bad Request", "HTTP/1.1 200 OK...."),
      ),
    })),
  );
  assert.deepEqual(accepted.problems.map((p) => p.kind), ["gap"]);
  assert.match(accepted.problems[0].message, /initialize was not seen/);
});

// MCP's HTTP+SSE transport names its session in URLs only (`/message?sessionId=...` in the
// `endpoint` event and every POST); the capture writes the value as its keyed digest
// (protocols/url_param_mask.ts with the recording's key), the same string in both places.
Deno.test("HTTP+SSE: two sessions of one server, interleaved, are two by their sessionId (or FastMCP's session_id) as the capture writes it; masked ids tell none", async () => {
  const ID = "334aa7a6-73ac-43e4-93c5-16a1a42f5d07";
  const base = await readMcpHttpFixture("sse");
  const dec = new TextDecoder(), enc = new TextEncoder();
  // the fixture's `sessionId=<uuid>` (TypeScript SDK), or the Python SDK's (FastMCP's) form,
  // `session_id=<hex>`, of the same length (so chunk sizes hold)
  for (
    const [param, first] of [["sessionId", ID], [
      "session_id",
      "334aa7a673ac43e493c516a1a42f5d07abc",
    ]]
  ) {
    /** one session: its id and echo text swapped (same lengths), its bytes as captured */
    const session = (id: string, text: string, digest: boolean) =>
      base.map((c) => {
        const captured = (b: Uint8Array) => {
          const raw = enc.encode(
            dec.decode(b).replaceAll(`sessionId=${ID}`, `${param}=${id}`)
              .replaceAll("hello over http", text),
          );
          const r = createParamRedactor(
            SECRET_PARAM,
            digest ? { digest: TEST_DIGEST, hold: true } : {},
          );
          return concatBytes([r.transform(raw), r.flush()]);
        };
        return { client: captured(c.client), server: captured(c.server) };
      });
    const two = async (digest: boolean) => {
      const a = session(first, "hello over http", digest);
      const b = session(first.replace("334aa7a6", "99999999"), "HELLO OVER HTTP", digest);
      // the second session's connections interleaved with the first's (0.5 ms after each)
      const rows = kernelRows([...a, ...b], ["client", "server"]).map((r) =>
        (r.inode as bigint) >= BigInt(1000 + 2 * a.length)
          ? { ...r, ts_ns: (r.ts_ns as bigint) - BigInt(a.length * 1_000_000) + 500_000n }
          : r
      );
      return await analyse(rows);
    };
    const got = await two(true);
    assert.deepEqual(got.problems, []);
    assert.ok(got.rows.every((m) => m.transport === "sse"));
    const ids = [first, first.replace("334aa7a6", "99999999")].map(testParamDigest);
    assert.deepEqual(new Set(got.rows.map((m) => m.mcp_session_id)), new Set(ids));
    // each session's initialize, and each call answered in its own session
    const inits = got.rows.filter((m) => m.method === "initialize").map((m) => m.mcp_session_id);
    assert.deepEqual(inits.sort(), [...ids].sort());
    const echoed = got.calls.filter((c) => c.tool === "echo").map((c) => [
      JSON.parse(String(c.args)).message,
      String(c.result).match(/Echo: ([^"]*)/)?.[1],
    ]).sort();
    assert.deepEqual(echoed, [
      ["HELLO OVER HTTP", "HELLO OVER HTTP"],
      ["hello over http", "hello over http"],
    ]);
    assert.equal(got.calls.filter((c) => c.method === "initialize").length, 2);
    // as captured before (ids `*`-masked): no id is kept, the pair is one group as it was
    const masked = await two(false);
    assert.ok(masked.rows.every((m) => m.mcp_session_id === null));
  }
});

Deno.test("Gemini CLI's HTTP+SSE fallback with its sessionId as the capture now writes it: one session by its id, the refused probe no session's", async () => {
  const rows = await codexRows("gemini_sse_fallback_ipc.jsonl");
  const dec = new TextDecoder("latin1");
  const masked = /sessionId=(\*+)/g;
  const lengths = new Set(
    rows.flatMap((r) => [...dec.decode(r.data).matchAll(masked)]).map((m) => m[1].length),
  );
  assert.equal(lengths.size, 1, "one session id, masked alike in every place");
  const [n] = lengths;
  const id = testParamDigest("0".repeat(n - 1) + "1");
  const keyed = rows.map((r) => ({
    ...r,
    data: Uint8Array.from(
      dec.decode(r.data).replace(masked, `sessionId=${id}`),
      (c) => c.charCodeAt(0),
    ),
  }));
  const got = await analyse(keyed);
  assert.deepEqual(got.problems, []);
  const byId = (want: string | null) => got.rows.filter((m) => m.mcp_session_id === want);
  // the probe (initialize POSTed to the URL, refused 404) has none; every other message the id
  assert.deepEqual(byId(null).map((m) => [m.method, m.http_status]), [["initialize", 404]]);
  assert.equal(byId(id).length, got.rows.length - 1);
  assert.deepEqual(got.calls.filter((c) => c.method === "tools/call").map((c) => c.tool), [
    "echo",
    "longRunningOperation",
    "getTinyImage",
  ]);
  assert.ok(got.calls.filter((c) => c.method === "tools/call").every((c) => c.result !== null));
});
