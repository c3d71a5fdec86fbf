/** The TypeScript decoder's layout of events.h matches what the C compiler laid out. */
import assert from "node:assert/strict";
import { decode, Kind, LAYOUT, splitNul, waitStatus } from "./events.ts";
import { LOADER_PATH } from "./loader.ts";

Deno.test("LAYOUT mirrors bpf/events.h as compiled (sightline-loader --layout)", async () => {
  const out = await new Deno.Command(LOADER_PATH, { args: ["--layout"], stdout: "piped" }).output();
  assert.ok(out.success, "bpf/build/sightline-loader --layout runs (make -C bpf)");
  const c = JSON.parse(new TextDecoder().decode(out.stdout)) as Record<
    string,
    Record<string, number>
  >;
  for (const [struct, fields] of Object.entries(c)) {
    const mine = (LAYOUT as Record<string, Record<string, number>>)[struct];
    assert.ok(mine, `events.ts knows ${struct}`);
    for (const [f, v] of Object.entries(fields)) {
      if (f === "_") continue;
      assert.equal(mine[f], v, `${struct}.${f}`);
    }
  }
  assert.deepEqual(Object.keys(LAYOUT).sort(), Object.keys(c).sort());
});

Deno.test("decode: a fork record, and short records are errors not crashes", () => {
  const b = new Uint8Array(LAYOUT.sl_fork.size);
  const v = new DataView(b.buffer);
  v.setUint8(0, Kind.FORK);
  v.setUint32(4, 42, true);
  v.setUint32(8, 42, true);
  v.setBigUint64(16, 123n, true);
  v.setUint32(LAYOUT.sl_fork.ppid, 7, true);
  b.set(new TextEncoder().encode("bash"), LAYOUT.sl_fork.comm);
  const ev = decode(b);
  assert.equal(ev.kind, Kind.FORK);
  if (ev.kind !== Kind.FORK) return;
  assert.equal(ev.pid, 42);
  assert.equal(ev.ppid, 7);
  assert.equal(ev.comm, "bash");
  assert.equal(ev.ts, 123n);
  assert.throws(() => decode(b.subarray(0, 30)), /fork record of 30 bytes/);
  assert.throws(() => decode(new Uint8Array(3)), /shorter than a header/);
});

Deno.test("splitNul and waitStatus", () => {
  const enc = new TextEncoder();
  assert.deepEqual(splitNul(enc.encode("a\0bc\0"), 0, 5), ["a", "bc"]);
  assert.deepEqual(splitNul(enc.encode("a\0\0c"), 0, 4), ["a", "", "c"]);
  assert.deepEqual(waitStatus(0), { code: 0, signal: null });
  assert.deepEqual(waitStatus(3 << 8), { code: 3, signal: null });
  assert.deepEqual(waitStatus(9), { code: null, signal: 9 });
});
