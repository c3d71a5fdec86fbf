/** Stream rebuild: seq order, offsets, times per byte, breaks for missing and cut calls, lost bytes. */
import assert from "node:assert/strict";
import { damageIn, rebuildConnections, rowAt, type TlsView, tsAt } from "./byte_streams.ts";

const enc = new TextEncoder();

function view(
  rows: { dir: "write" | "read"; seq: number; data: string; truncated?: number; lost?: number }[],
): TlsView {
  return {
    length: rows.length,
    pid: rows.map(() => 5),
    connId: rows.map(() => 9n),
    connGen: rows.map(() => 0),
    direction: rows.map((r) => r.dir),
    seq: rows.map((r) => BigInt(r.seq)),
    len: rows.map((r) => BigInt(r.data.length + (r.truncated ?? 0))),
    data: rows.map((r) => enc.encode(r.data)),
    truncated: rows.map((r) => !!r.truncated),
    lost: rows.map((r) => BigInt(r.lost ?? 0)),
    ts: rows.map((r) => BigInt(100 + r.seq)),
    lib: rows.map(() => "l"),
  };
}

Deno.test("rows are ordered by seq and each byte maps to its call's time", () => {
  const [c] = rebuildConnections(view([
    { dir: "write", seq: 1, data: "def" },
    { dir: "read", seq: 0, data: "xy" },
    { dir: "write", seq: 0, data: "abc" },
  ]));
  assert.deepEqual(c.write.starts, [0, 3]);
  assert.equal(c.write.length, 6);
  assert.deepEqual([0, 2, 3, 5].map((o) => tsAt(c.write, o)), [100n, 100n, 101n, 101n]);
  assert.equal(rowAt(c.write, 99), 1);
  assert.deepEqual(c.write.breaks, []);
  assert.equal(c.firstTs, 100n);
});

Deno.test("a skipped seq and a truncated call are breaks; lost bytes are ranges", () => {
  const [c] = rebuildConnections(view([
    { dir: "read", seq: 0, data: "aaaa", lost: 2 },
    { dir: "read", seq: 2, data: "bbbb", truncated: 10 },
    { dir: "read", seq: 3, data: "cc" },
  ]));
  assert.deepEqual(c.read.breaks, [
    { offset: 4, at: 1, kind: "missing", amount: 1 },
    { offset: 8, at: 2, kind: "truncated", amount: 10 },
  ]);
  assert.deepEqual(c.read.lost, [[0, 4, 2]]);
  assert.deepEqual(damageIn(c.read, 0, 3), { gap: false, truncated: false, lost: 2 });
  assert.deepEqual(damageIn(c.read, 2, 6), { gap: true, truncated: true, lost: 2 });
  assert.deepEqual(damageIn(c.read, 8, 10), { gap: false, truncated: false, lost: 0 });
});

Deno.test("a connection's generations are separate connections", () => {
  const t = view([{ dir: "write", seq: 0, data: "a" }, { dir: "write", seq: 0, data: "b" }]);
  (t.connGen as number[])[1] = 1;
  assert.equal(rebuildConnections(t).length, 2);
});
