/** IPC chunks to calls and calls to rows: holes, faults, gaps, sequence numbers and peers. */
import assert from "node:assert/strict";
import { Flag } from "./events.ts";
import { IpcAssembler, type IpcCall, type IpcChunk, IpcRows } from "./ipc_streams.ts";
import { damageWarnings, noDamage } from "./stream_damage.ts";
import { h2RedactorFactory, loadH2Redactor } from "./h2_glue.ts";
import { HTTP2_PREFACE } from "../protocols/http2_frame.ts";

const enc = new TextEncoder();

function chunk(over: Partial<IpcChunk> & { data: Uint8Array }): IpcChunk {
  return {
    pid: 10,
    tid: 10,
    ts: 1000n,
    hflags: Flag.LAST,
    inode: 77n,
    peerInode: 0n,
    streamOff: 0n,
    total: over.data.length,
    offset: 0,
    len: over.data.length,
    fd: 5,
    dir: 0,
    fdkind: 1,
    lport: 0,
    rport: 0,
    laddr: "",
    raddr: "",
    ...over,
  };
}

Deno.test("assembler: a call in chunks, a lost chunk, an unreadable chunk, a lost last chunk", () => {
  const calls: IpcCall[] = [];
  const a = new IpcAssembler(1 << 20, (c) => calls.push(c));
  const body = enc.encode("abcdefghij");
  // whole, in three chunks of 4, 4, 2 (chunks of an iovec array may be any size)
  a.chunk(chunk({ data: body.subarray(0, 4), total: 10, hflags: 0 }));
  a.chunk(chunk({ data: body.subarray(4, 8), total: 10, offset: 4, hflags: 0 }));
  a.chunk(chunk({ data: body.subarray(8), total: 10, offset: 8 }));
  // the middle chunk lost; the next call finishes nothing early
  a.chunk(chunk({ data: body.subarray(0, 4), total: 10, streamOff: 10n, hflags: 0 }));
  a.chunk(chunk({ data: body.subarray(8), total: 10, streamOff: 10n, offset: 8 }));
  // a fault: the chunk stands for 4 bytes that could not be read
  a.chunk(chunk({
    data: new Uint8Array(0),
    len: 4,
    total: 4,
    streamOff: 20n,
    hflags: Flag.FAULT | Flag.LAST,
  }));
  // the last chunk lost: finished by the next call of the thread on the inode
  a.chunk(chunk({ data: body.subarray(0, 4), total: 10, streamOff: 24n, hflags: 0 }));
  a.chunk(chunk({ data: body.subarray(0, 2), total: 2, streamOff: 34n }));
  a.finishAll();
  assert.deepEqual(
    calls.map((c) => [new TextDecoder().decode(c.data), c.lost, c.streamOff, c.holes]),
    [
      ["abcdefghij", 0, 0n, undefined],
      ["abcd\0\0\0\0ij", 4, 10n, [4, 8]],
      ["\0\0\0\0", 4, 20n, [0, 4]],
      ["abcd\0\0\0\0\0\0", 6, 24n, [4, 10]],
      ["ab", 0, 34n, undefined],
    ],
  );
});

Deno.test("assembler: cut calls keep max bytes; two threads' chunks interleave", () => {
  const calls: IpcCall[] = [];
  const a = new IpcAssembler(6, (c) => calls.push(c));
  const body = enc.encode("0123456789");
  a.chunk(chunk({ data: body.subarray(0, 3), total: 10, hflags: Flag.TRUNC }));
  a.chunk(chunk({ tid: 11, data: enc.encode("xy"), total: 2, dir: 1 }));
  a.chunk(
    chunk({ data: body.subarray(3, 6), total: 10, offset: 3, hflags: Flag.TRUNC | Flag.LAST }),
  );
  assert.deepEqual(
    calls.map((c) => [c.tid, new TextDecoder().decode(c.data), c.truncated, c.total, c.lost]),
    [[11, "xy", false, 2, 0], [10, "012345", true, 10, 0]],
  );
});

function call(over: Partial<IpcCall>): IpcCall {
  return {
    pid: 10,
    tid: 10,
    ts: 5n,
    inode: 77n,
    peerInode: 0n,
    streamOff: 0n,
    fd: 5,
    dir: 0,
    kind: "pipe",
    lport: 0,
    rport: 0,
    laddr: "",
    raddr: "",
    total: 3,
    data: enc.encode("abc"),
    truncated: false,
    lost: 0,
    ...over,
  };
}

Deno.test("rows: sequence per (pid, inode, direction), a whole call lost shows as a gap", () => {
  const r = new IpcRows((t) => t + 1_000n);
  r.push(call({}));
  r.push(call({ streamOff: 3n }));
  r.push(call({ streamOff: 10n })); // 4 bytes (a call) missing before it
  r.push(call({ pid: 11, tid: 11, dir: 1 })); // the reader
  r.push(call({ streamOff: 0n, inode: 78n })); // another pipe
  const rows = r.take(true);
  assert.deepEqual(
    rows.map((x) => [x.pid, x.inode, x.direction, x.seq, x.lost, x.ts_ns]),
    [
      [10, 77n, "write", 0n, 0n, 1005n],
      [10, 77n, "write", 1n, 0n, 1005n],
      [10, 77n, "write", 2n, 4n, 1005n],
      [11, 77n, "read", 0n, 0n, 1005n],
      [10, 78n, "write", 0n, 0n, 1005n],
    ],
  );
});

Deno.test("rows: peers of pipes and socket pairs; rows wait one take for theirs", () => {
  const r = new IpcRows((t) => t);
  // the agent (10) writes the request on pipe 77, the server (20) has not read it yet
  r.push(call({}));
  assert.deepEqual(r.take(), [], "waits for its peer");
  // the server reads it, and answers on socket 91 whose other end is 90 (the agent's)
  r.push(call({ pid: 20, tid: 20, dir: 1 }));
  r.push(call({ pid: 20, tid: 20, inode: 91n, peerInode: 90n, kind: "unix" }));
  let rows = r.take();
  assert.deepEqual(rows.map((x) => [x.pid, x.inode, x.peer_pid]), [[10, 77n, 20], [20, 77n, 10]]);
  // the answer's row waits until the agent reads on its end (90)
  r.push(call({ pid: 10, inode: 90n, peerInode: 91n, kind: "unix", dir: 1 }));
  rows = r.take();
  assert.deepEqual(
    rows.map((x) => [x.pid, x.inode, x.peer_inode, x.peer_pid]),
    [[20, 91n, 90n, 10], [10, 90n, 91n, 20]],
  );
  // a writer whose reader is never traced: written without a peer after one more take
  r.push(call({ pid: 30, tid: 30, inode: 5n }));
  assert.deepEqual(r.take(), []);
  assert.deepEqual(r.take().map((x) => [x.pid, x.peer_pid]), [[30, null]]);
});

Deno.test("rows: a loopback TCP connection's two ends pair by their ports", () => {
  const r = new IpcRows((t) => t);
  const req = enc.encode("POST /mcp HTTP/1.1\r\n\r\n");
  // the agent (10) on socket 100, port 40000 -> 3001; the server (20) on socket 200
  r.push(
    call({ kind: "tcp", inode: 100n, lport: 40000, rport: 3001, data: req, total: req.length }),
  );
  assert.deepEqual(r.take(), [], "waits for its peer");
  r.push(
    call({
      pid: 20,
      tid: 20,
      kind: "tcp",
      inode: 200n,
      lport: 3001,
      rport: 40000,
      dir: 1,
      data: req,
      total: req.length,
    }),
  );
  // another connection to the same server, whose other end is not traced
  r.push(
    call({
      pid: 10,
      kind: "tcp",
      inode: 300n,
      lport: 40002,
      rport: 3001,
      data: req,
      total: req.length,
    }),
  );
  const rows = [...r.take(), ...r.take(true)];
  assert.deepEqual(
    rows.map((
      x,
    ) => [x.pid, x.kind, x.inode, x.peer_inode, x.peer_pid, x.local_port, x.remote_port]),
    [
      [10, "tcp", 100n, 200n, 20, 40000, 3001],
      [20, "tcp", 200n, 100n, 10, 3001, 40000],
      [10, "tcp", 300n, null, null, 40002, 3001],
    ],
  );
});

Deno.test("rows: TCP ends pair by addresses and ports: the same ports to other hosts do not", () => {
  const r = new IpcRows((t) => t);
  const req = enc.encode("POST /v1/chat/completions HTTP/1.1\r\n\r\n");
  const tcp = { kind: "tcp", data: req, total: req.length };
  // the agent (10) to a model server on this machine's LAN address, which is traced too (20)
  r.push(
    call({ ...tcp, inode: 100n, laddr: "10.1.1.1", lport: 40000, raddr: "10.1.1.1", rport: 80 }),
  );
  r.push(
    call({
      ...tcp,
      pid: 20,
      tid: 20,
      dir: 1,
      inode: 200n,
      laddr: "10.1.1.1",
      lport: 80,
      raddr: "10.1.1.1",
      rport: 40000,
    }),
  );
  // a traced server (30) answering a client elsewhere that happens to use the same ports, and
  // an agent (40) whose connection to another host does
  r.push(
    call({
      ...tcp,
      pid: 30,
      tid: 30,
      dir: 1,
      inode: 300n,
      laddr: "10.1.1.2",
      lport: 80,
      raddr: "10.9.9.9",
      rport: 40000,
    }),
  );
  r.push(
    call({
      ...tcp,
      pid: 40,
      tid: 40,
      inode: 400n,
      laddr: "10.1.1.1",
      lport: 40000,
      raddr: "192.168.1.10",
      rport: 80,
    }),
  );
  const rows = [...r.take(), ...r.take(true)];
  assert.deepEqual(
    rows.map((x) => [x.pid, x.peer_inode, x.peer_pid, x.local_addr, x.remote_addr]),
    [
      [10, 200n, 20, "10.1.1.1", "10.1.1.1"],
      [20, 100n, 10, "10.1.1.1", "10.1.1.1"],
      [30, null, null, "10.1.1.2", "10.9.9.9"],
      [40, null, null, "10.1.1.1", "192.168.1.10"],
    ],
  );
});

/** A sandbox's client on 127.0.0.1:45000 sending a proxy request to 127.0.0.1:3128, and the
 * proxy's end reading it: the four-tuple two sandboxes share. */
const PROXY_REQ = enc.encode("GET http://docs.example.test/ HTTP/1.1\r\n\r\n");
const LOOPBACK = {
  kind: "tcp",
  data: PROXY_REQ,
  total: PROXY_REQ.length,
  laddr: "127.0.0.1",
  raddr: "127.0.0.1",
};
const client = (pid: number, inode: bigint) =>
  call({ ...LOOPBACK, pid, tid: pid, inode, lport: 45000, rport: 3128 });
const proxy = (pid: number, inode: bigint) =>
  call({ ...LOOPBACK, pid, tid: pid, inode, lport: 3128, rport: 45000, dir: 1 });

Deno.test("rows: loopback TCP ends pair within their network namespace; other addresses across", () => {
  // two sandboxes (network namespaces 4001 and 4002), each with a client (10, 30) talking to
  // its own proxy (20, 40) on 127.0.0.1:3128 from the same port; the proxies' ends are seen
  // after both clients', so a pairing by four-tuple alone gives both clients the last one
  const netNs = new Map([[10, 4001], [20, 4001], [30, 4002], [40, 4002], [50, 0], [60, 4001]]);
  const r = new IpcRows((t) => t, { netNsOf: (pid) => netNs.get(pid) });
  r.push(client(10, 100n));
  r.push(client(30, 300n));
  r.push(proxy(20, 200n));
  r.push(proxy(40, 400n));
  // a client whose namespace was never recorded (0), with both namespaces' proxies on the
  // other side: neither pairs back with it, so it pairs with none (not one-sided)
  r.push(client(50, 500n));
  // a container's client reaching the host's server by its bridge address: across namespaces
  const bridge = { kind: "tcp", data: PROXY_REQ, total: PROXY_REQ.length };
  r.push(call({
    ...bridge,
    pid: 30,
    tid: 30,
    inode: 600n,
    laddr: "172.17.0.2",
    lport: 41000,
    raddr: "172.17.0.1",
    rport: 80,
  }));
  r.push(call({
    ...bridge,
    pid: 60,
    tid: 60,
    inode: 700n,
    laddr: "172.17.0.1",
    lport: 80,
    raddr: "172.17.0.2",
    rport: 41000,
    dir: 1,
  }));
  const rows = [...r.take(), ...r.take(true)];
  assert.deepEqual(
    rows.map((x) => [x.pid, x.inode, x.peer_inode, x.peer_pid]),
    [
      [10, 100n, 200n, 20],
      [30, 300n, 400n, 40],
      [20, 200n, 100n, 10],
      [40, 400n, 300n, 30],
      [50, 500n, null, null],
      [30, 600n, 700n, 60],
      [60, 700n, 600n, 30],
    ],
  );
});

Deno.test("rows: loopback TCP pairs stay mutual when one end's namespace is unknown", () => {
  // sandbox 4001's client (10) talks to a proxy (20) whose namespace was never recorded;
  // sandbox 4002's client (30) to its proxy (40): each end's peer names it back
  const netNs = new Map([[10, 4001], [30, 4002], [40, 4002]]);
  const pairs = (rows: ReturnType<IpcRows["take"]>) =>
    rows.map((x) => [x.pid, x.inode, x.peer_inode, x.peer_pid]).sort((a, b) =>
      Number(a[0]) - Number(b[0])
    );
  const mutual = [
    [10, 100n, 200n, 20],
    [20, 200n, 100n, 10],
    [30, 300n, 400n, 40],
    [40, 400n, 300n, 30],
  ];
  // in either order of the namespaces' ends
  for (const order of [[10, 20, 30, 40], [30, 40, 10, 20], [10, 30, 20, 40], [40, 20, 30, 10]]) {
    const r = new IpcRows((t) => t, { netNsOf: (pid) => netNs.get(pid) });
    for (const pid of order) {
      r.push(
        pid === 10 || pid === 30 ? client(pid, BigInt(pid * 10)) : proxy(pid, BigInt(pid * 10)),
      );
    }
    assert.deepEqual(pairs([...r.take(), ...r.take(true)]), mutual, `order ${order}`);
  }
  // a recording with no namespaces at all pairs as before: with the latest end seen
  const r = new IpcRows((t) => t);
  for (const [pid, inode] of [[10, 100n], [30, 300n]] as const) r.push(client(pid, inode));
  for (const [pid, inode] of [[20, 200n], [40, 400n]] as const) r.push(proxy(pid, inode));
  assert.deepEqual(pairs([...r.take(), ...r.take(true)]), [
    [10, 100n, 400n, 40],
    [20, 200n, 300n, 30],
    [30, 300n, 400n, 40],
    [40, 400n, 300n, 30],
  ]);
});

Deno.test("rows: secrets masked before they are written, same length; --keep-secrets keeps them", () => {
  const dec = new TextDecoder();
  const post = "POST /mcp HTTP/1.1\r\nHost: [::1]:5\r\nAuthorization: Bearer s3cr3t\r\n" +
    "Mcp-Session-Id: 9f8e\r\n" +
    "Content-Length: 77\r\n\r\n" +
    '{"method":"initialize","params":{"env":{"API_TOKEN":"tk-1"}},"jsonrpc":"2.0"}';
  const bytes = enc.encode(post);
  for (const keepSecrets of [false, true]) {
    const r = new IpcRows((t) => t, { keepSecrets });
    // the request in two calls, split inside the header and inside the JSON
    const at = [30, 150];
    const parts = [bytes.subarray(0, at[0]), bytes.subarray(at[0], at[1]), bytes.subarray(at[1])];
    let off = 0;
    for (const d of parts) {
      r.push(
        call({
          kind: "tcp",
          inode: 100n,
          lport: 4,
          rport: 5,
          data: d.slice(),
          total: d.length,
          streamOff: BigInt(off),
        }),
      );
      off += d.length;
    }
    // a stdio stream: every message is masked
    const stdio =
      '{"jsonrpc":"2.0","id":0,"result":{"token":"tk-2"}}\n{"id":1,"params":{"token":"t3"}}\n';
    r.push(call({ inode: 7n, data: enc.encode(stdio), total: stdio.length }));
    const rows = r.take(true);
    const http = dec.decode(new Uint8Array(rows.slice(0, 3).flatMap((x) => [...x.data])));
    const pipe = dec.decode(rows[3].data);
    assert.equal(http.length, post.length);
    assert.equal(pipe.length, stdio.length);
    if (keepSecrets) {
      assert.equal(http, post);
      assert.equal(pipe, stdio);
    } else {
      for (const secret of ["s3cr3t", "9f8e", "tk-1"]) assert.ok(!http.includes(secret), secret);
      assert.ok(http.includes("Authorization: *************\r\n"));
      assert.ok(!pipe.includes("tk-2") && pipe.includes('"token":"**"'), pipe);
    }
  }
});

Deno.test("rows: damage counted by cause and kind, and worded by what it is", async () => {
  await loadH2Redactor();
  const r = new IpcRows((t) => t, { h2Redactor: h2RedactorFactory });
  // JSON-RPC on a pipe: 3 bytes of holes in a call, then a whole 4-byte call missing
  r.push(call({ data: enc.encode("{\0\0\0}"), total: 5, lost: 3 }));
  r.push(call({ streamOff: 9n }));
  // h2c on loopback: its preface, then a gap of 10 bytes: the next 9-byte call is withheld
  const settings = new Uint8Array([0, 0, 0, 4, 0, 0, 0, 0, 0]);
  const tcp = { kind: "tcp", inode: 100n, lport: 4, rport: 5 };
  r.push(call({ ...tcp, data: HTTP2_PREFACE.slice(), total: 24 }));
  r.push(call({ ...tcp, data: settings.slice(), total: 9, streamOff: 34n }));
  // HTTP/1 on loopback: a call cut at the limit
  r.push(
    call({
      ...tcp,
      inode: 101n,
      data: enc.encode("GET / HTTP/1.1\r\n"),
      total: 99,
      truncated: true,
    }),
  );
  const rows = r.take(true);
  assert.deepEqual(rows.map((x) => [x.kind, x.data.length, x.lost]), [
    ["pipe", 5, 3n],
    ["pipe", 3, 4n],
    ["tcp", 24, 0n],
    ["tcp", 0, 19n], // written empty: 9 withheld, after 10 lost
    ["tcp", 16, 0n],
  ]);
  assert.deepEqual(r.damage, {
    jsonrpc: { cut: 0, lost: 7n, withheld: 0n },
    http: { cut: 1, lost: 10n, withheld: 9n },
  });
  assert.deepEqual(
    [
      ...damageWarnings("ipc", "JSON-RPC on pipes and unix sockets", r.damage.jsonrpc, 64),
      ...damageWarnings("ipc", "cleartext HTTP over TCP", r.damage.http, 64),
    ],
    [
      "ipc: 7 bytes of JSON-RPC on pipes and unix sockets lost (ring buffer full, or unreadable memory)",
      "ipc: 1 calls of cleartext HTTP over TCP cut at --max-tls-bytes 64",
      "ipc: 10 bytes of cleartext HTTP over TCP lost (ring buffer full, or unreadable memory)",
      "ipc: 9 bytes of cleartext HTTP over TCP withheld, written empty so no secret leaks unmasked " +
      "(HTTP/2 after a gap: its header compression state cannot be resumed)",
    ],
  );
  assert.deepEqual(damageWarnings("ipc", "x", noDamage(), 64), []);
});
