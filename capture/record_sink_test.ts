/**
 * The record sink without root: a loader stream recorded from a real capture
 * (tests/fixtures/capture/record_stream.ts) replayed into it gives the recording the live
 * capture wrote (the same rows per table, TLS bytes, drops and exit code as its manifest) and
 * what the traced command did: its execs, the file it wrote, its HTTPS request with the
 * Authorization value masked and the server's answer, its JSON-RPC over a pipe.
 */
import assert from "node:assert/strict";
import { endManifest, refreshManifest } from "./manifest_builder.ts";
import { writeManifest } from "../recording/manifest.ts";
import { UNKNOWN_HOOKS } from "../recording/blind_spots.ts";
import { UNUSED_PROCESS_COLUMNS } from "../recording/schema.ts";
import { Kind } from "./events.ts";
import { MAX_DECODED_BODY } from "../protocols/http1_body_secrets.ts";
import { readRecording, tlsStreams } from "../recording/recording.ts";
import {
  fixtureSink,
  fixtureStream,
  liveManifest,
  sinkFeeder,
  STREAM_FIXTURE,
} from "../tests/support/loader_stream.ts";

const dec = new TextDecoder();
/** what the traced command did (record_stream.ts ran it) */
const INPUTS: { script: string; secret: string; response_body: string } = JSON.parse(
  Deno.readTextFileSync(`${STREAM_FIXTURE}stream_inputs.json`),
);

/** Replays `bytes` (fed in pieces of `step`) into a sink as the session would, to its end. */
async function replay(bytes: Uint8Array, step: number) {
  const live = liveManifest();
  const dir = await Deno.makeTempDir({ prefix: "sl-sink-" });
  const { manifest, sink } = fixtureSink(dir, live);
  const parser = sinkFeeder(sink);
  for (let off = 0; off < bytes.length; off += step) {
    parser.feed(bytes.subarray(off, off + step));
    if (off % (step * 64) === 0) sink.tick();
  }
  assert.equal(parser.end(), 0, "the fixture ends on a whole frame");
  await sink.settled();
  sink.finish();
  const exitCode = endManifest(manifest, {
    execErrno: sink.execErrno,
    childStatus: sink.childStatus,
    writeError: sink.writeError,
  }, BigInt(live.ended_ns!));
  refreshManifest(manifest, sink.state(), UNKNOWN_HOOKS);
  writeManifest(dir, manifest);
  return { live, exitCode, rec: readRecording(dir) };
}

for (const [name, step] of [["whole", Infinity], ["in 1000-byte pieces", 1000]] as const) {
  Deno.test(`record sink: the recorded stream, fed ${name}, gives the live recording`, async () => {
    const bytes = await fixtureStream();
    const { live, exitCode, rec } = await replay(bytes, Math.min(step, bytes.length));
    const m = rec.manifest;
    assert.equal(exitCode, live.exit_code);
    assert.equal(m.exit_code, 0);
    assert.equal(m.complete, true);
    for (const [table, t] of Object.entries(live.tables)) {
      assert.equal(m.tables[table]?.rows, t.rows, `${table} rows`);
    }
    assert.equal(m.tls_bytes, live.tls_bytes);
    assert.deepEqual(m.drops, live.drops);
    assert.equal(m.root_pid, live.root_pid);
    assert.deepEqual(m.io_uring, live.io_uring);

    // the command and its child, as run
    const execs = rec.process.filter((p) => p.kind === "exec");
    assert.deepEqual(execs[0].argv?.slice(0, 3), ["/usr/bin/python3", "-c", INPUTS.script]);
    assert.equal(execs.length, 2, "python3 and its JSON-RPC child");
    assert.ok(rec.process.some((p) => p.kind === "exit" && p.pid === live.root_pid));
    // the file it wrote
    const written = rec.file.filter((f) => f.path === `${live.cwd}/written.txt`);
    assert.equal(written.length, 1);
    assert.ok(Number(written[0].flags) & 0o1, "opened for writing");
    // its HTTPS request, secret masked, and the answer
    const streams = tlsStreams(rec.tls).filter((s) => s.write.length);
    assert.equal(streams.length, 1, "one TLS connection");
    const request = dec.decode(streams[0].write);
    assert.match(request, /^POST \/v1\/echo HTTP\/1\.1\r\n/);
    assert.ok(request.includes(`Authorization: ${"*".repeat(INPUTS.secret.length)}\r\n`), request);
    assert.ok(!request.includes("SECRET"));
    assert.ok(request.endsWith('{"hello": "fixture"}'));
    assert.ok(dec.decode(streams[0].read).endsWith(INPUTS.response_body));
    // the JSON-RPC on the pipe, from both ends
    const ipc = (dir: string) =>
      rec.ipc.filter((r) => r.direction === dir).map((r) => dec.decode(r.data)).join("");
    assert.ok(ipc("write").includes('"method":"tools/list"'));
    assert.ok(ipc("write").includes('"result":{"tools":[]}'));
    assert.ok(ipc("read").includes('"method":"tools/list"'));
  });
}

Deno.test("record sink: a joined pid already seen to fork gets no second, endless row; the joined still running are said at the end", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sl-sink-joined-" });
  try {
    const { manifest, sink } = fixtureSink(dir);
    const ts = 1_000_000n;
    // pid 120 forks after the loader's start, before the capture lists the pids it joins
    sink.push({
      kind: Kind.FORK,
      hflags: 0,
      pid: 120,
      tid: 120,
      uid: 0,
      ts,
      ppid: 100,
      comm: "node",
      netNs: 0,
      mntNs: 0,
    });
    const joined = (pid: number, comm: string) => ({
      ...UNUSED_PROCESS_COLUMNS,
      ts_ns: 5n,
      pid,
      ppid: 1,
      tid: pid,
      uid: 0,
      kind: "joined",
      comm,
    });
    sink.joined([joined(100, "agent"), joined(120, "node")]);
    assert.deepEqual(sink.running().sort(), [100, 120]);
    await sink.settled();
    sink.finish();
    writeManifest(dir, manifest);
    const rec = readRecording(dir);
    assert.deepEqual(
      rec.process.map((p) => [p.pid, p.kind]).sort(),
      [[100, "joined"], [120, "fork"]],
    );
    assert.deepEqual(
      manifest.warnings.filter((w) => /had not exited/.test(w)),
      [
        "2 traced processes had not exited when the capture ended (pid 120 node, pid 100 agent): " +
        "what they did afterwards is not recorded",
      ],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("record sink: one session-id key a recording — the same Mcp-Session-Id reads the same in tls.arrow and ipc.arrow", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sl-sink-digest-" });
  try {
    const { manifest, sink } = fixtureSink(dir);
    const id = "4f7c2b9e-0a1d-4e3f-8b6c-5d2e1f0a9b8c";
    const answer = new TextEncoder().encode(
      `HTTP/1.1 200 OK\r\nMcp-Session-Id: ${id}\r\nContent-Length: 0\r\n\r\n`,
    );
    const head = { hflags: 0, pid: 300, tid: 300, uid: 0, ts: 2_000_000n };
    const tlsCall = (conn: bigint, seq: bigint) => ({
      ...head,
      kind: Kind.TLS,
      conn,
      seq,
      total: answer.length,
      offset: 0,
      target: 0,
      dir: 1 as const,
      data: answer,
    });
    // the answer read over TLS (an MCP server behind HTTPS), the first call of its connection
    sink.push(tlsCall(0x51n, 0n));
    // ... and on a connection whose call 0 was lost (a gap, where it ended unknown): the
    // answer's status line is provably one (RFC 9112), so its head is kept and redacted alike
    sink.push(tlsCall(0x52n, 1n));
    // ... and the same over loopback TCP (one behind plain HTTP)
    sink.push({
      ...head,
      kind: Kind.IPC,
      inode: 0x61n,
      peerInode: 0n,
      streamOff: 0n,
      total: answer.length,
      offset: 0,
      len: answer.length,
      fd: 7,
      dir: 1,
      fdkind: 3,
      lport: 50000,
      rport: 8080,
      laddr: "127.0.0.1",
      raddr: "127.0.0.1",
      data: answer,
    });
    await sink.settled();
    sink.finish();
    writeManifest(dir, manifest);
    const rec = readRecording(dir);
    const idOf = (row: { data: Uint8Array }) =>
      dec.decode(row.data).match(/Mcp-Session-Id: (\S+)\r\n/)?.[1];
    assert.equal(rec.tls.length, 2);
    const [tls, afterGap, ipc] = [idOf(rec.tls[0]), idOf(rec.tls[1]), idOf(rec.ipc[0])];
    assert.notEqual(tls, id);
    assert.ok(tls && !tls.includes("*"), tls);
    assert.equal(afterGap, tls);
    assert.equal(ipc, tls);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("record sink: an encoded request past the redactor's caps (a gzip bomb) over TLS and over TCP is written masked, and each is said in a manifest warning", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sl-sink-bomb-" });
  try {
    const { manifest, sink } = fixtureSink(dir);
    const { gzipSync } = await import("node:zlib");
    const key = "ghp_Sink8Kq3Wm6Yx1Vr5Nb9Lc";
    const json = new Uint8Array(MAX_DECODED_BODY + (1 << 20)).fill(0x20);
    json.set(new TextEncoder().encode(`{"model":"m","api_key":"${key}","pad":"`));
    json.set(new TextEncoder().encode('"}'), json.length - 2);
    const bomb = new Uint8Array(gzipSync(json));
    const head = new TextEncoder().encode(
      `POST /v1/x HTTP/1.1\r\nHost: h\r\nContent-Encoding: gzip\r\nContent-Length: ${bomb.length}\r\n\r\n`,
    );
    const req = new Uint8Array(head.length + bomb.length);
    req.set(head);
    req.set(bomb, head.length);
    const ev = { hflags: 0, pid: 300, tid: 300, uid: 0, ts: 2_000_000n };
    sink.push({
      ...ev,
      kind: Kind.TLS,
      conn: 0x51n,
      seq: 0n,
      total: req.length,
      offset: 0,
      target: 0,
      dir: 0 as const,
      data: req,
    });
    sink.push({
      ...ev,
      kind: Kind.IPC,
      inode: 0x61n,
      peerInode: 0n,
      streamOff: 0n,
      total: req.length,
      offset: 0,
      len: req.length,
      fd: 7,
      dir: 0,
      fdkind: 3,
      lport: 50000,
      rport: 8080,
      laddr: "127.0.0.1",
      raddr: "127.0.0.1",
      data: req,
    });
    await sink.settled();
    sink.finish();
    writeManifest(dir, manifest);
    const rec = readRecording(dir);
    for (const row of [rec.tls[0], rec.ipc[0]]) {
      assert.equal(row.data.length, req.length);
      assert.ok(row.data.subarray(head.length).every((c: number) => c === 0x2a));
    }
    for (const where of ["TLS plaintext", "cleartext HTTP over TCP"]) {
      const said = manifest.warnings.filter((w) =>
        w.startsWith(`1 encoded request body`) && w.includes(` in ${where},`)
      );
      assert.equal(said.length, 1, `${where}: ${manifest.warnings.join(" | ")}`);
      assert.match(said[0], /masked whole .* past 16 MiB encoded or decoded/);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
