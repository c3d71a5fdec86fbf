/**
 * Finding the first whole WebSocket frame in the middle of a stream (websocket_resync.ts):
 * the right offset on hostile and large inputs, each offset's header read about once (counted,
 * not timed), and a cut-short header at offset 0 not taken over a true start after it.
 */
import assert from "node:assert/strict";
import { findFrameStart } from "./websocket_resync.ts";

/** `n` bytes of empty pings (`89 00`, server frames) from `at` on. */
function pings(n: number, at = 0): Uint8Array {
  const d = new Uint8Array(at + n);
  for (let i = at; i + 1 < d.length; i += 2) (d[i] = 0x89, d[i + 1] = 0);
  return d;
}

Deno.test("1 MiB of pings ending in bytes no frame begins with: no start, each header read once", () => {
  const d = pings(1 << 20);
  d.set([0xff, 0xff], d.length - 2); // RSV2/RSV3 set: no header
  const stats = { headers: 0 };
  assert.equal(findFrameStart(d, "server", stats), null);
  assert.ok(stats.headers <= d.length, `${stats.headers} headers read for ${d.length} bytes`);
});

Deno.test("1 MiB of frames after the rest of a frame begun earlier: found past it, in linear reads", () => {
  const d = pings(1 << 20, 3);
  d.set([0xff, 0xfe, 0xfd]); // the rest of an earlier frame: no header begins in it
  const stats = { headers: 0 };
  assert.deepEqual(findFrameStart(d, "server", stats), { at: 3, skipped: 3, whole: 1 << 19 });
  assert.ok(stats.headers <= 2 * d.length, `${stats.headers} headers read for ${d.length} bytes`);
  // the same frames are not a client's (unmasked)
  assert.equal(findFrameStart(d, "client"), null);
});

Deno.test("runs that reach the end but break the continuation rules late: given up on, bounded", () => {
  const d = pings(64 * 1024);
  // two text frames that do not finish: a new message inside a fragmented one
  d.set([0x01, 0x00, 0x01, 0x00], d.length - 4);
  const stats = { headers: 0 };
  assert.equal(findFrameStart(d, "server", stats), null);
  // each offset once, and the continuation rules walked on a few candidates only
  assert.ok(stats.headers <= 20 * d.length / 2, `${stats.headers} headers read`);
});

Deno.test("a header at offset 0 whose length runs past the end does not win over frames after it", () => {
  const frames = [0x81, 0x02, 0x68, 0x69, 0x81, 0x02, 0x6f, 0x6b];
  // offset 0 reads as a 65535-byte binary frame, cut short: two whole frames begin at 4
  const d = new Uint8Array([0x82, 0x7e, 0xff, 0xff, ...frames]);
  assert.deepEqual(findFrameStart(d, "server"), { at: 4, skipped: 4, whole: 2 });
  // with nothing after it, the frame cut short at offset 0 is the start
  assert.deepEqual(findFrameStart(d.subarray(0, 6), "server"), { at: 0, skipped: 0, whole: 0 });
  // a single whole frame from offset 0 to the end is taken
  assert.deepEqual(findFrameStart(d.subarray(4, 8), "server"), { at: 0, skipped: 0, whole: 1 });
});

Deno.test("a true start after 128 KiB of runs that fail late (a hostile server's pings): found", () => {
  const half = 128 * 1024;
  const d = pings(2 * half + 2);
  d.set([0xff, 0xff], half); // no header: every run from before it fails there
  const stats = { headers: 0 };
  assert.deepEqual(findFrameStart(d, "server", stats), {
    at: half + 2,
    skipped: half + 2,
    whole: half / 2,
  });
  assert.ok(stats.headers <= 2 * d.length, `${stats.headers} headers read for ${d.length} bytes`);
});

Deno.test("one whole frame from the start to the very end is the start, not a chance run in its payload", () => {
  // a client's one masked frame (mask 0): 280 spaces, then bytes that chain as two pings and a
  // long frame running past the end
  const d = new Uint8Array(308);
  d.set([0x82, 0xfe, 0x01, 0x2c, 0, 0, 0, 0]);
  d.fill(0x20, 8, 288);
  d.set([0x89, 0x80, 0, 0, 0, 0, 0x89, 0x80, 0, 0, 0, 0, 0x82, 0xfe, 0xff, 0xff, 0, 0, 0, 0], 288);
  assert.deepEqual(findFrameStart(d, "client"), { at: 0, skipped: 0, whole: 1 });
});
