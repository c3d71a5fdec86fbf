/** TLS chunks back into calls: holes, faults, truncation, lost last chunks, generations. */
import assert from "node:assert/strict";
import { Flag } from "./events.ts";
import { ownCall, TlsAssembler, type TlsCall, type TlsChunk } from "./tls_assembler.ts";

const C = 16384;
function chunk(over: Partial<TlsChunk>): TlsChunk {
  return {
    pid: 1,
    tid: 1,
    ts: 10n,
    hflags: 0,
    conn: 0xabcn,
    seq: 0n,
    total: 5,
    offset: 0,
    target: 1,
    dir: 0,
    data: new Uint8Array(0),
    ...over,
  };
}

function bytes(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);
}

Deno.test("a call in three chunks comes back whole", () => {
  const calls: TlsCall[] = [];
  const a = new TlsAssembler(1 << 20, (c) => calls.push(ownCall(c)));
  const payload = bytes(2 * C + 100, 3);
  a.chunk(chunk({ total: payload.length, offset: 0, data: payload.subarray(0, C) }));
  a.chunk(chunk({ total: payload.length, offset: C, data: payload.subarray(C, 2 * C) }));
  assert.equal(calls.length, 0);
  a.chunk(chunk({
    total: payload.length,
    offset: 2 * C,
    data: payload.subarray(2 * C),
    hflags: Flag.LAST,
  }));
  assert.equal(calls.length, 1);
  assert.deepEqual(calls[0].data, payload);
  assert.equal(calls[0].lost, 0);
  assert.equal(calls[0].truncated, false);
});

Deno.test("a lost middle chunk is a counted hole; a fault too", () => {
  const calls: TlsCall[] = [];
  const a = new TlsAssembler(1 << 20, (c) => calls.push(ownCall(c)));
  const p = bytes(3 * C, 1);
  a.chunk(chunk({ total: p.length, data: p.subarray(0, C) }));
  a.chunk(chunk({ total: p.length, offset: 2 * C, data: p.subarray(2 * C), hflags: Flag.LAST }));
  assert.equal(calls[0].lost, C);
  assert.deepEqual(calls[0].data.subarray(C, 2 * C), new Uint8Array(C));
  a.chunk(chunk({ seq: 1n, total: 10, hflags: Flag.LAST | Flag.FAULT }));
  assert.equal(calls[1].lost, 10);
});

Deno.test("truncated calls keep max bytes; a lost last chunk is finished by the next call", () => {
  const calls: TlsCall[] = [];
  const a = new TlsAssembler(C + 10, (c) => calls.push(ownCall(c)));
  const p = bytes(C + 10, 5);
  a.chunk(chunk({ total: 100000, data: p.subarray(0, C), hflags: Flag.TRUNC }));
  a.chunk(chunk({ seq: 1n, total: 3, data: bytes(3, 0), hflags: Flag.LAST }));
  assert.equal(calls.length, 2);
  assert.equal(calls[0].truncated, true);
  assert.equal(calls[0].data.length, C + 10);
  assert.equal(calls[0].lost, 10, "its last 10 kept bytes never arrived");
  assert.equal(calls[0].total, 100000);
  a.chunk(chunk({ seq: 2n, total: 3, data: bytes(3, 0) }));
  a.finishAll();
  assert.equal(calls.length, 3);
});

Deno.test("a freed connection's next calls are a new generation", () => {
  const calls: TlsCall[] = [];
  const a = new TlsAssembler(1 << 20, (c) => calls.push(ownCall(c)));
  a.chunk(chunk({ total: 1, data: bytes(1, 0), hflags: Flag.LAST }));
  a.free(1, 0xabcn);
  a.chunk(chunk({ total: 1, data: bytes(1, 0), hflags: Flag.LAST }));
  a.chunk(chunk({ pid: 2, total: 1, data: bytes(1, 0), hflags: Flag.LAST }));
  assert.deepEqual(calls.map((c) => [c.pid, c.gen]), [[1, 0], [1, 1], [2, 0]]);
});

Deno.test("a buffer used again for a later call leaves no old bytes in its holes", () => {
  const calls: TlsCall[] = [];
  const a = new TlsAssembler(1 << 20, (c) => calls.push(ownCall(c)));
  const first = bytes(3 * C, 9);
  for (let i = 0; i < 3; i++) {
    a.chunk(chunk({
      total: first.length,
      offset: i * C,
      data: first.subarray(i * C, (i + 1) * C),
      hflags: i === 2 ? Flag.LAST : 0,
    }));
  }
  // the next call loses its middle chunk, has an unreadable one, and never sends its last
  const p = bytes(4 * C, 4);
  a.chunk(chunk({ seq: 1n, total: p.length, data: p.subarray(0, C) }));
  a.chunk(chunk({ seq: 1n, total: p.length, offset: 2 * C, hflags: Flag.FAULT }));
  a.finishAll();
  assert.deepEqual(calls[0].data, first);
  assert.equal(calls[1].lost, 3 * C);
  assert.deepEqual(calls[1].data.subarray(0, C), p.subarray(0, C));
  assert.deepEqual(calls[1].data.subarray(C), new Uint8Array(3 * C));
});

Deno.test("a call in one chunk is that chunk's bytes; one cut at the limit keeps the limit", () => {
  const calls: TlsCall[] = [];
  const a = new TlsAssembler(8, (c) => calls.push(ownCall(c)));
  a.chunk(chunk({ total: 5, data: bytes(5, 1), hflags: Flag.LAST }));
  a.chunk(chunk({ seq: 1n, total: 20, data: bytes(20, 2), hflags: Flag.LAST | Flag.TRUNC }));
  a.chunk(chunk({ seq: 2n, total: 0, hflags: Flag.LAST }));
  assert.deepEqual(calls.map((c) => [c.data, c.lost, c.truncated]), [
    [bytes(5, 1), 0, false],
    [bytes(8, 2), 0, true],
    [new Uint8Array(0), 0, false],
  ]);
});
