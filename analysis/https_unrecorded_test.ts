/**
 * https_unrecorded.sql over small synthetic recordings: which connects to port 443 with no TLS
 * recorded make the `blind` problem, and which are left out (a datagram socket's, one refused at
 * once, one to a server a traced process listened on, a relay's for a client whose TLS was
 * recorded); and the problem's words: each process's executable and libraries with what
 * manifest.json's attach section says of them, a process a capture problem names left out.
 */
import assert from "node:assert/strict";
import { REC, rows, syntheticDb, type SyntheticRecording } from "./correlate/testing.ts";
import { sqlText } from "./sql_files.ts";
import { Build } from "./build_steps.ts";
import { httpsUnrecordedProblem } from "./https_unrecorded.ts";

/** The pids https_unrecorded.sql names for the net rows given. */
async function flagged(r: SyntheticRecording): Promise<number[]> {
  const { c, close } = await syntheticDb(r);
  try {
    const out = await c.runAndReadAll(sqlText("https_unrecorded"), [REC]);
    return out.getRows().map((x) => Number(x[0]));
  } finally {
    close();
  }
}

const tcp = (ts: number, pid: number, addr: string, ret = -115n) => ({
  ...rows.connect(ts, pid, addr, 443),
  socktype: "stream",
  ret,
});

Deno.test("https_unrecorded: a TCP connect to 443 with no TLS of its process is named", async () => {
  assert.deepEqual(await flagged({ net: [tcp(1, 10, "140.82.112.21")] }), [10]);
  assert.deepEqual(await flagged({ net: [tcp(1, 10, "140.82.112.21", 0n)] }), [10]);
});

Deno.test("https_unrecorded: a UDP connect to 443 (QUIC, getaddrinfo's sort) is not", async () => {
  const udp = { ...tcp(1, 10, "140.82.112.21", 0n), socktype: "dgram" };
  assert.deepEqual(await flagged({ net: [udp] }), []);
  // a recording without the socket type: not counted
  assert.deepEqual(await flagged({ net: [{ ...udp, socktype: null }] }), []);
});

Deno.test("https_unrecorded: a connect refused at once is not", async () => {
  assert.deepEqual(await flagged({ net: [tcp(1, 10, "127.0.0.3", -111n)] }), []);
});

Deno.test("https_unrecorded: a traced server on 443 silences connects to it, not to others", async () => {
  // pid 20 serves 127.0.0.3:443 (traced); pid 10 connects to it and to a remote server
  const listen = rows.sock(1, 20, "listen", "127.0.0.3", 443, { local_port: 443 });
  assert.deepEqual(await flagged({ net: [listen, tcp(2, 10, "127.0.0.3")] }), []);
  assert.deepEqual(await flagged({ net: [listen, tcp(2, 11, "140.82.112.21")] }), [11]);
  // a wildcard server answers on every local address: a loopback connect is to it, a remote
  // one is not
  const any = rows.sock(1, 20, "listen", "0.0.0.0", 443, { local_port: 443 });
  assert.deepEqual(await flagged({ net: [any, tcp(2, 10, "127.0.0.1")] }), []);
  assert.deepEqual(await flagged({ net: [any, tcp(2, 11, "140.82.112.21")] }), [11]);
  // an accept names the peer in addr, the server's address in local_addr
  const acc = rows.sock(1, 20, "accept", "127.0.0.9", 51000, {
    local_addr: "127.0.0.3",
    local_port: 443,
  });
  assert.deepEqual(await flagged({ net: [acc, tcp(2, 10, "127.0.0.3")] }), []);
  assert.deepEqual(await flagged({ net: [acc, tcp(2, 10, "127.0.0.9")] }), [10]);
});

/** One TLS write of `pid` (what a hooked library records). */
const tlsWrite = (ts: number, pid: number) => ({
  recording: REC,
  ts_ns: BigInt(ts),
  pid,
  tid: pid,
  conn_id: 1n,
  ctx_id: 1n,
  conn_gen: 0,
  direction: "write",
  seq: 0n,
  len: 3n,
  data: new TextEncoder().encode("GET"),
  truncated: false,
  lost: 0n,
  lib: "/usr/lib/x86_64-linux-gnu/libssl.so.3",
  fn: "SSL_write",
});

Deno.test("https_unrecorded: a relay of a traced client whose TLS was recorded is not named", async () => {
  // pid 10 connects to the relay's 127.0.0.1:8877 and its TLS is recorded; the relay (pid 30)
  // accepts and connects to 443: the TLS it carries is pid 10's
  const client = { ...rows.connect(1, 10, "127.0.0.1", 8877), socktype: "stream" };
  const accept = rows.sock(2, 30, "accept", "127.0.0.1", 51000, {
    local_addr: "127.0.0.1",
    local_port: 8877,
  });
  const out = tcp(3, 30, "140.82.112.21");
  assert.deepEqual(await flagged({ net: [client, accept, out], tls: [tlsWrite(4, 10)] }), []);
  // a dual-stack relay (listening on ::) names its IPv4 client's address with ::ffff:
  const dual = { ...accept, family: "inet6", local_addr: "::ffff:127.0.0.1" };
  assert.deepEqual(await flagged({ net: [client, dual, out], tls: [tlsWrite(4, 10)] }), []);
  // an accept from an untraced peer (an OAuth callback a browser opened): still named
  assert.deepEqual(await flagged({ net: [accept, out] }), [30]);
});

Deno.test("https_unrecorded: a back end whose traced front end has no TLS either is named", async () => {
  // a front end handing its prompts to a back end on loopback, the back end's TLS not hooked:
  // nobody's TLS recorded, so the back end's connects to 443 are not a relay's
  const front = { ...rows.connect(1, 10, "127.0.0.1", 8877), socktype: "stream" };
  const accept = rows.sock(2, 30, "accept", "127.0.0.1", 51000, {
    local_addr: "127.0.0.1",
    local_port: 8877,
  });
  assert.deepEqual(await flagged({ net: [front, accept, tcp(3, 30, "140.82.112.21")] }), [30]);
  // a connect to 443 before any client reached it is the process's own
  assert.deepEqual(
    await flagged({
      net: [tcp(1, 30, "140.82.112.21"), front, { ...accept, ts_ns: 5n }],
      tls: [tlsWrite(6, 10)],
    }),
    [30],
  );
});

/** The `blind` problems httpsUnrecordedProblem says for `r`, given the attach section and the
 * problems said before. */
async function said(
  r: SyntheticRecording,
  attach: unknown,
  before: { source: string; kind: string; message: string }[] = [],
): Promise<string[]> {
  const { c, close } = await syntheticDb(r);
  try {
    const b = new Build(c, REC);
    for (const p of before) b.problem(p.source, p.kind, p.message);
    await httpsUnrecordedProblem(c, b, REC, attach);
    return b.problems.filter((p) => p.source === "net").map((p) => p.message);
  } finally {
    close();
  }
}

/** A node process (pid 10) that opened the system's libc, NSS and an addon of its own, then
 * connected to 443; pid 11, a Go-like program with no library, connected too. */
const NODE_AND_GO: SyntheticRecording = {
  process: [
    { ...rows.exec(1, 10, 1, ["node", "/app/cli.js"]), filename: "/usr/bin/node" },
    rows.exec(1, 11, 1, ["/opt/tool/tool"]),
  ],
  file: [
    rows.open(2, 10, "/lib/x86_64-linux-gnu/libc.so.6"),
    rows.open(3, 10, "/app/node_modules/x/build/addon.node"),
    rows.open(4, 10, "/lib/x86_64-linux-gnu/libnss3.so"),
    rows.open(5, 10, "/app/missing.so", { ret: -2 }),
    rows.open(6, 10, "/app/data.json"),
  ],
  net: [tcp(7, 10, "140.82.112.21"), tcp(8, 11, "140.82.112.22")],
};
const NSS = {
  path: "/usr/lib/x86_64-linux-gnu/libnss3.so",
  status: "unsupported",
  reason: "NSS is not hooked (PR_Write/PR_Read have no probes yet)",
};

Deno.test("https_unrecorded: the problem names each process's executable and libraries, with their attach state, and what to do", async () => {
  const [message, ...rest] = await said(NODE_AND_GO, {
    hooked: [{ path: "/usr/bin/node", status: "hooked" }],
    not_hooked: [NSS],
  });
  assert.deepEqual(rest, []);
  assert.ok(
    message.startsWith(
      "no TLS was recorded from 2 traced processes that opened HTTPS connections (TCP port " +
        "443): pid 10 node (1× to 140.82.112.21:443; ran /usr/bin/node (hooked); loaded " +
        "/lib/x86_64-linux-gnu/libnss3.so (not hooked: NSS is not hooked (PR_Write/PR_Read " +
        "have no probes yet)), /app/node_modules/x/build/addon.node (no TLS stack found in " +
        "it)), pid 11 tool (1× to 140.82.112.22:443; ran /opt/tool/tool (no TLS stack found " +
        "in it); no library it opened is recorded). ",
    ),
    message,
  );
  assert.match(
    message,
    /If LLM calls they made are missing from llm_calls, the TLS stack is in one of the files named: report it, naming the file/,
  );
  assert.match(message, /not recorded and cannot be named\.$/);
});

Deno.test("https_unrecorded: a process whose file has a capture problem already is left out", async () => {
  const failed = { path: "/opt/tool/tool", status: "error", reason: "no probe attached" };
  const warning = {
    source: "capture",
    kind: "capture",
    message: "warning: TLS plaintext not recorded where probes failed to attach: " +
      "/opt/tool/tool: no probe attached (manifest.json attach.not_hooked)",
  };
  const [message] = await said(NODE_AND_GO, { hooked: [], not_hooked: [NSS, failed] }, [warning]);
  assert.match(
    message,
    /^no TLS was recorded from a traced process that opened HTTPS connections \(TCP port 443\): pid 10 node /,
  );
  assert.doesNotMatch(message, /pid 11/);
  // both said already: no problem
  assert.deepEqual(
    await said(
      { ...NODE_AND_GO, net: [tcp(8, 11, "140.82.112.22")] },
      { not_hooked: [failed] },
      [warning],
    ),
    [],
  );
});

/** OpenJDK 17's `java` (JSSE: its TLS is Java code) as recorded posting to a LAN server on 443
 * (reports/coverage/runtimes.md): its launcher opened libjli.so, then libjvm.so. */
const JAVA: SyntheticRecording = {
  process: [rows.exec(1, 20, 1, ["/usr/bin/java", "-cp", "jc", "Client"])],
  file: [
    rows.open(2, 20, "/usr/lib/jvm/java-17-openjdk-amd64/lib/libjli.so"),
    rows.open(3, 20, "/usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so"),
    rows.open(4, 20, "/usr/lib/jvm/java-17-openjdk-amd64/lib/libnet.so"),
  ],
  net: [tcp(7, 20, "10.213.31.1")],
};

Deno.test("https_unrecorded: a Java VM is said to be one whose TLS cannot be recorded, not a file to report", async () => {
  const [message, ...rest] = await said(JAVA, {
    hooked: [{ path: "/usr/lib/x86_64-linux-gnu/libssl.so.3", status: "hooked" }],
  });
  assert.deepEqual(rest, []);
  assert.match(
    message,
    /^no TLS was recorded from a traced process that opened HTTPS connections \(TCP port 443\): pid 20 java \(1× to 10\.213\.31\.1:443; a Java VM: its TLS is Java's own \(JSSE\), bytecode compiled at run time that the capture cannot hook, so its HTTPS cannot be recorded; ran \/usr\/bin\/java /,
  );
  assert.match(message, /went through Java's TLS, which the capture cannot record/);
  assert.doesNotMatch(message, /report it/);
  // with another process that is no JVM, the advice to report its files stays
  const [mixed] = await said(
    {
      process: [...JAVA.process!, ...NODE_AND_GO.process!],
      file: [...JAVA.file!, ...NODE_AND_GO.file!],
      net: [...JAVA.net!, ...NODE_AND_GO.net!],
    },
    { hooked: [{ path: "/usr/bin/node", status: "hooked" }], not_hooked: [NSS] },
  );
  assert.match(mixed, /pid 20 java \(1× to 10\.213\.31\.1:443; a Java VM: /);
  assert.match(mixed, /pid 10 node \(1× to 140\.82\.112\.21:443; ran \/usr\/bin\/node /);
  assert.match(mixed, /the TLS stack is in one of the files named: report it/);
});

Deno.test("https_unrecorded: the executable as the kernel found it (review31a S1), and only libraries opened read-only (S2)", async () => {
  const [message] = await said(
    {
      process: [
        // a `#!/usr/bin/env node` script in ~/.local/bin: the kernel ran /usr/bin/node
        {
          ...rows.exec(1, 10, 1, ["/home/u/.local/bin/agent"]),
          filename: "/home/u/.local/bin/agent",
          exe: "/usr/bin/node",
        },
      ],
      file: [
        // written, not loaded (a pip install, node-gyp's build)
        rows.open(2, 10, "/venv/lib/python3.11/site-packages/x/_x.so", { flags: 0o1101 }),
        rows.open(3, 10, "/w/build/Release/addon.node", { flags: 0o2 }),
        rows.open(4, 10, "/lib/x86_64-linux-gnu/libc.so.6", { flags: 0o2000000 }),
      ],
      net: [tcp(7, 10, "140.82.112.21")],
    },
    { hooked: [{ path: "/usr/bin/node", status: "hooked" }], not_hooked: [], unresolved: [] },
  );
  assert.match(
    message,
    /pid 10 agent \(1× to 140\.82\.112\.21:443; ran \/usr\/bin\/node \(hooked\); loaded only the system's libraries \(1\), none of them left unhooked\)/,
  );
});

Deno.test("https_unrecorded: its own query failing is said with what was not checked", async () => {
  const { c, close } = await syntheticDb(NODE_AND_GO);
  try {
    // the query's own input gone (processes is there: its failure would be said already)
    await c.run("DROP TABLE net");
    const b = new Build(c, REC);
    await httpsUnrecordedProblem(c, b, REC, { hooked: [], not_hooked: [] });
    const said = b.problems.map((p) => [p.source, p.kind, p.message]);
    assert.equal(said.length, 1, JSON.stringify(said));
    assert.deepEqual(said[0].slice(0, 2), ["https_unrecorded.sql", "sql"]);
    assert.match(
      said[0][2],
      /net.*; no process was checked for HTTPS connections without recorded TLS$/,
    );
  } finally {
    close();
  }
});
