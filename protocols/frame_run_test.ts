/** Tests of frame_run.ts: frames found alike whole, byte by byte and at every split; call ends told. */
import assert from "node:assert/strict";
import { FrameRun } from "./frame_run.ts";

/** A toy format: a 3-byte header (0xF0, a tag, the payload's length), then the payload. */
function run(calls: Uint8Array[]) {
  const ends: { tag: number; endsCall: boolean }[] = [];
  const heads: number[] = [];
  const r = new FrameRun<number>(
    (b) => {
      if (b[0] !== 0xf0) return null;
      return b.length < 3 ? "short" : { header: b[1], size: 3 + b[2] };
    },
    3,
    (tag) => (heads.push(tag), tag !== 0xee),
    (tag, endsCall) => (ends.push({ tag, endsCall }), true),
  );
  for (const c of calls) r.push(c);
  return { ends, heads, broken: r.broken, atFrameEnd: r.atFrameEnd, fed: r.fed };
}

const frames = Uint8Array.from([0xf0, 1, 2, 9, 9, 0xf0, 2, 0, 0xf0, 3, 1, 7]);

Deno.test("the same frames whole, byte by byte and at every split; a frame's end at a call's end told", () => {
  const whole = run([frames]);
  assert.deepEqual(whole.ends.map((e) => e.tag), [1, 2, 3]);
  assert.deepEqual(whole.ends.map((e) => e.endsCall), [false, false, true]);
  assert.equal(whole.atFrameEnd, true);
  const bytes = run(Array.from(frames, (_, i) => frames.subarray(i, i + 1)));
  assert.deepEqual(bytes.ends, [1, 2, 3].map((tag) => ({ tag, endsCall: true })));
  for (let at = 0; at <= frames.length; at++) {
    const r = run([frames.subarray(0, at), frames.subarray(at)]);
    assert.deepEqual(r.ends.map((e) => e.tag), [1, 2, 3], `split at ${at}`);
    // the first call ends with a frame at 5 and 8
    assert.deepEqual(
      r.ends.map((e) => e.endsCall),
      [at === 5, at === 8, true],
      `split at ${at}`,
    );
  }
  // cut short: not at a frame's end
  assert.equal(run([frames.subarray(0, 7)]).atFrameEnd, false);
  assert.equal(run([frames.subarray(0, 6)]).atFrameEnd, false);
});

Deno.test("a byte that begins no frame, or a header refused, breaks the run where it is", () => {
  const bad = Uint8Array.from([0xf0, 1, 0, 0x41, 0xf0, 2, 0]);
  for (let at = 0; at <= bad.length; at++) {
    const r = run([bad.subarray(0, at), bad.subarray(at)]);
    assert.equal(r.broken, true);
    assert.deepEqual(r.ends.map((e) => e.tag), [1]);
  }
  const refused = run([Uint8Array.from([0xf0, 0xee, 0, 0xf0, 1, 0])]);
  assert.equal(refused.broken, true);
  assert.deepEqual(refused.heads, [0xee]);
});
