/**
 * readMcpMessages on `ipc` rows shaped as the kernel writes them, from the real stdio traffic
 * of the Gemini CLI with the real filesystem server (tests/fixtures/mcp/): each stream recorded
 * from both ends is parsed once (over pipes, whose ends share an inode, and over a socketpair,
 * whose reader knows the writer's end as `peer_inode`); a stream seen only from its reader's
 * side is parsed from there; a call cut at the capture's limit costs its own message and a
 * `problems` row, and the parser restarts at the next call.
 */
import assert from "node:assert/strict";
import { appendRows, createTables } from "../duckdb_tables.ts";
import { httpExchangesTable, rawIpcTable, sseEventsTable } from "../schema.ts";
import { readMcpMessages } from "./build.ts";
import { withDb } from "../analysed_db.ts";
import { sqlText } from "../sql_files.ts";

const FIXTURE = new URL("../../tests/fixtures/mcp/gemini_fs_ev.jsonl", import.meta.url);
const AGENT = 100;

interface TapLine {
  ts_ns: string;
  pid: number;
  direction: "to_server" | "from_server";
  data: string;
}

const lines: TapLine[] = Deno.readTextFileSync(FIXTURE).split("\n").filter(Boolean).map((l) =>
  JSON.parse(l)
);
const bytes = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

type Shape = "pipe" | "unix";

/**
 * The rows the kernel writes for the fixture's traffic: each chunk written by one end and read
 * by the other. Pipes: one per direction and server, both ends on its inode. Socketpair: one per
 * server, the agent's end `inode` 2N, the server's 2N+1, each knowing the other as peer.
 * `ends`: which sides were traced. `cut`: the index of a chunk cut at 20 bytes.
 */
function kernelRows(shape: Shape, ends: ("writer" | "reader")[], cut = -1) {
  const rows: Record<string, unknown>[] = [];
  const seq = new Map<string, number>();
  lines.forEach((l, n) => {
    const server = l.pid;
    const toServer = l.direction === "to_server";
    let data = bytes(l.data);
    const len = BigInt(data.length);
    const truncated = n === cut;
    if (truncated) data = data.subarray(0, 20);
    const agentEnd = BigInt(server * 2), serverEnd = BigInt(server * 2 + 1);
    const pipe = BigInt(server * 2 + (toServer ? 0 : 1));
    for (const side of ends) {
      const writing = side === "writer";
      const pid = writing === toServer ? AGENT : server;
      const own = pid === AGENT ? agentEnd : serverEnd;
      const inode = shape === "pipe" ? pipe : own;
      const key = `${pid} ${inode} ${side}`;
      const s = seq.get(key) ?? 0;
      seq.set(key, s + 1);
      rows.push({
        recording: "r",
        ts_ns: BigInt(l.ts_ns) + (writing ? 0n : 1000n),
        pid,
        tid: pid,
        fd: 5,
        kind: shape,
        inode,
        peer_inode: shape === "unix" ? (own === agentEnd ? serverEnd : agentEnd) : null,
        peer_pid: pid === AGENT ? server : AGENT,
        direction: writing ? "write" : "read",
        seq: BigInt(s),
        len,
        data,
        truncated,
        lost: 0n,
      });
    }
  });
  return rows;
}

function messages(rows: Record<string, unknown>[]) {
  return withDb(":memory:", async (c) => {
    await createTables(c, [rawIpcTable, httpExchangesTable, sseEventsTable]);
    await c.run(sqlText("macros"));
    await appendRows(c, rawIpcTable, rows);
    return await readMcpMessages(c);
  });
}

const summary = (ms: Awaited<ReturnType<typeof messages>>["rows"]) =>
  ms.map((m) => `${m.from_pid}>${m.to_pid} ${m.kind} ${m.method ?? ""} ${m.jsonrpc_id}`).sort();

Deno.test("each stream is parsed once, from pipes or a socketpair, from one or both ends", async () => {
  const expected = await messages(kernelRows("pipe", ["writer"]));
  assert.equal(expected.problems.length, 0);
  const methods = new Set(expected.rows.map((m) => m.method));
  for (const m of ["initialize", "tools/list", "tools/call"]) assert.ok(methods.has(m), m);
  assert.ok(expected.rows.some((m) => m.from_pid === AGENT && m.to_pid !== AGENT));
  assert.ok(expected.rows.some((m) => m.to_pid === AGENT && m.kind === "response"));
  const want = summary(expected.rows);
  for (const shape of ["pipe", "unix"] as Shape[]) {
    for (const ends of [["writer", "reader"], ["reader"], ["reader", "writer"]] as const) {
      const got = await messages(kernelRows(shape, [...ends]));
      assert.deepEqual(summary(got.rows), want, `${shape} ${ends}`);
      assert.deepEqual(got.problems, []);
    }
  }
});

Deno.test("a cut call costs its message and a problem; the stream parses on after it", async () => {
  const whole = await messages(kernelRows("unix", ["writer", "reader"]));
  // the first tools/call the agent sent, cut at 20 bytes
  const at = lines.findIndex((l) => atob(l.data).includes('"tools/call"'));
  const cut = await messages(kernelRows("unix", ["writer", "reader"], at));
  const lost = summary(whole.rows).filter((m) => !summary(cut.rows).includes(m));
  assert.equal(lost.length, 1, lost.join("\n"));
  assert.match(lost[0], /request tools\/call/);
  assert.equal(cut.rows.length, whole.rows.length - 1);
  assert.ok(
    cut.problems.some((p) => /1 calls cut at the capture's --max-tls-bytes/.test(p.message)),
  );
});

Deno.test("every message's secret values are masked, not only initialize's (--keep-secrets, older recordings)", async () => {
  const stream = (pid: number, inode: bigint, msgs: unknown[]) => ({
    recording: "r",
    ts_ns: BigInt(pid),
    pid,
    tid: pid,
    fd: 5,
    kind: "pipe",
    inode,
    peer_inode: null,
    peer_pid: pid === AGENT ? 7 : AGENT,
    direction: "write",
    seq: 0n,
    len: 0n,
    data: new TextEncoder().encode(msgs.map((m) => JSON.stringify(m) + "\n").join("")),
    truncated: false,
    lost: 0n,
  });
  const rows = [
    stream(AGENT, 20n, [
      { jsonrpc: "2.0", id: 0, method: "initialize", params: { env: { A_TOKEN: "t0" } } },
      {
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: "fetch", arguments: { url: "u", api_key: "AK-later" } },
      },
    ]),
    stream(7, 21n, [
      { jsonrpc: "2.0", id: 0, result: { serverInfo: { name: "s" } } },
      { jsonrpc: "2.0", id: 1, result: { content: [], token: "TK-later" } },
    ]),
  ];
  for (const r of rows) r.len = BigInt(r.data.length);
  const got = await messages(rows);
  const text = JSON.stringify(got.rows.map((m) => [m.params, m.result]));
  for (const s of ["t0", "AK-later", "TK-later"]) assert.ok(!text.includes(s), s);
  const call = got.rows.find((m) => m.method === "tools/call")!;
  assert.deepEqual(JSON.parse(call.params!), {
    name: "fetch",
    arguments: { url: "u", api_key: "********" },
  });
  const answer = got.rows.find((m) => m.kind === "response" && m.jsonrpc_id === "1")!;
  assert.deepEqual(JSON.parse(answer.result!), { content: [], token: "********" });
});
