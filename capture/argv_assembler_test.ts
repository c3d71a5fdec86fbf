/**
 * The argv assembler: an exec whose argv block goes on in SL_K_ARGV chunks comes out whole;
 * one cut at ARGV_KEEP, or short by a chunk that never came, comes out flagged and counted.
 */
import assert from "node:assert/strict";
import { ArgvAssembler, argvWarnings } from "./argv_assembler.ts";
import { ARGV_KEEP, Flag, type SlEvent } from "./events.ts";

type Exec = SlEvent & { kind: 2 };
const enc = new TextEncoder();

/** An exec record of `pid` whose argv block is `block`, of which it carried `carried` bytes. */
function exec(pid: number, block: Uint8Array, carried: number, total = block.length): Exec {
  const head = block.slice(0, carried);
  return {
    kind: 2,
    hflags: total > ARGV_KEEP ? Flag.TRUNC : 0,
    pid,
    tid: pid,
    uid: 0,
    ts: 1n,
    ppid: 1,
    comm: "sh",
    dev: 0n,
    ino: 0n,
    netNs: 0,
    mntNs: 0,
    cwd: [],
    exe: [],
    exeUnlinked: false,
    filename: "/bin/sh",
    argv: ["(head only)"],
    argvTotal: total,
    ...(total > carried ? { argvHead: head } : {}),
  };
}

function chunk(pid: number, block: Uint8Array, offset: number, len: number, last: boolean) {
  return {
    kind: 15 as const,
    hflags: last ? Flag.LAST : 0,
    pid,
    tid: pid,
    uid: 0,
    ts: 2n,
    total: block.length,
    offset,
    len,
    data: block.subarray(offset, offset + len),
  };
}

const blockOf = (args: string[]) => enc.encode(args.map((a) => a + "\0").join(""));
const ARGS = ["/bin/sh", "-c", "x".repeat(40000) + " END"];

Deno.test("argv assembler: a short exec goes straight through; a long one comes out whole", () => {
  const out: Exec[] = [];
  const a = new ArgvAssembler((ev) => out.push(ev));
  const short = blockOf(["/bin/true"]);
  a.exec(exec(7, short, short.length));
  assert.equal(out.length, 1, "no wait for a block the exec carried whole");
  const block = blockOf(ARGS);
  a.exec(exec(8, block, 16383));
  assert.equal(a.waiting, 1);
  a.chunk(chunk(8, block, 16383, 16384, false));
  a.chunk(chunk(8, block, 32767, block.length - 32767, true));
  assert.equal(a.waiting, 0);
  assert.deepEqual(out[1].argv, ARGS);
  assert.equal(out[1].hflags & Flag.TRUNC, 0);
  assert.equal("argvHead" in out[1], false);
  assert.deepEqual(a.damage, { cut: 0, lost: 0, lostBytes: 0 });
  assert.deepEqual(argvWarnings(a.damage), []);
});

Deno.test("argv assembler: a chunk that never came makes the command line flagged and counted", () => {
  const out: Exec[] = [];
  const a = new ArgvAssembler((ev) => out.push(ev));
  const block = blockOf(ARGS);
  a.exec(exec(8, block, 16383));
  // the middle chunk was dropped (ring buffer full); the last one came
  a.chunk(chunk(8, block, 32767, block.length - 32767, true));
  assert.equal(out.length, 1);
  assert.equal(out[0].hflags & Flag.TRUNC, Flag.TRUNC);
  assert.equal(out[0].argv.join("\0"), new TextDecoder().decode(block.subarray(0, 16383)));
  assert.deepEqual(a.damage, { cut: 0, lost: 1, lostBytes: block.length - 16383 });
  assert.match(argvWarnings(a.damage)[0], /^exec: \d+ bytes of 1 command line lost/);
});

Deno.test("argv assembler: chunks are over at the pid's next record, a tick, or the end", () => {
  const out: Exec[] = [];
  const a = new ArgvAssembler((ev) => out.push(ev));
  const block = blockOf(ARGS);
  a.exec(exec(8, block, 16383)); // every chunk dropped
  a.settle(9);
  assert.equal(out.length, 0, "another pid's record says nothing of pid 8's chunks");
  a.settle(8);
  assert.equal(out.length, 1);
  a.exec(exec(10, block, 16383));
  a.tick();
  assert.equal(out.length, 1, "waits one whole tick");
  a.tick();
  assert.equal(out.length, 2);
  a.exec(exec(11, block, 16383));
  a.finish();
  assert.equal(out.length, 3);
  assert.equal(a.damage.lost, 3);
  assert.ok(out.every((e) => e.hflags & Flag.TRUNC));
});

Deno.test("argv assembler: a block longer than ARGV_KEEP is cut there, flagged and counted", () => {
  const out: Exec[] = [];
  const a = new ArgvAssembler((ev) => out.push(ev));
  const total = ARGV_KEEP + 5000;
  const block = new Uint8Array(ARGV_KEEP).fill(0x61);
  a.exec(exec(8, block, 16383, total));
  for (let off = 16383; off < ARGV_KEEP; off += 16384) {
    const len = Math.min(16384, ARGV_KEEP - off);
    const c = chunk(8, block, off, len, off + len >= ARGV_KEEP);
    a.chunk({ ...c, total, hflags: c.hflags | Flag.TRUNC });
  }
  assert.equal(out.length, 1);
  assert.equal(out[0].argv[0].length, ARGV_KEEP);
  assert.equal(out[0].hflags & Flag.TRUNC, Flag.TRUNC);
  assert.deepEqual(a.damage, { cut: 1, lost: 0, lostBytes: 0 });
  assert.deepEqual(argvWarnings(a.damage), [
    `exec: 1 command line longer than ${ARGV_KEEP} bytes cut there (argv_truncated)`,
  ]);
});

Deno.test("argv assembler: only a record of the pid from the chunks' ring buffer ends the wait", () => {
  const out: Exec[] = [];
  const a = new ArgvAssembler((ev) => out.push(ev));
  const block = blockOf(ARGS);
  a.exec(exec(8, block, 16383));
  const hdr = { hflags: 0, pid: 8, tid: 8, uid: 0, ts: 3n };
  // TLS comes through rb_tls, read in turn with rb_events: it may overtake the chunks
  a.after({ ...hdr, kind: 8, conn: 1n, target: 0 });
  assert.equal(out.length, 0);
  a.after({ ...hdr, kind: 3, ppid: 1, status: 0, comm: "sh" });
  assert.equal(out.length, 1);
});
