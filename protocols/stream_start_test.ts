/** Tests of stream_start.ts: what a direction's first bytes prove, fed whole and growing. */
import assert from "node:assert/strict";
import { MAX_START, type StreamStart, StreamStartJudge } from "./stream_start.ts";
import { encodeFrame, FrameType, HTTP2_PREFACE } from "./http2_frame.ts";
import { concatBytes } from "../kit/bytes.ts";

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** The verdict on `b` fed as one call. */
function judgeStreamStart(b: Uint8Array, proto: "h1" | "h2", ended: boolean) {
  const j = new StreamStartJudge(proto);
  j.push(b);
  return j.verdict(ended);
}

/**
 * The verdict after each byte of `b` fed byte by byte (the first: none fed), then at its whole
 * length ended; the same whole and at every split into two calls.
 */
function grow(b: Uint8Array, proto: "h1" | "h2") {
  const j = new StreamStartJudge(proto);
  const seen: (StreamStart | undefined)[] = [j.verdict(false)];
  for (let n = 0; n < b.length; n++) {
    j.push(b.subarray(n, n + 1));
    seen.push(j.verdict(false));
  }
  const ended = j.verdict(true);
  for (let at = 0; at <= b.length; at++) {
    const k = new StreamStartJudge(proto);
    k.push(b.subarray(0, at));
    k.push(b.subarray(at));
    assert.equal(k.verdict(true), ended, `split at ${at}`);
  }
  return { seen, ended };
}

Deno.test("a request or status line is a start, known at its LF or the status code", () => {
  const req = grow(bytes("POST /mcp HTTP/1.1\r\nHost: x\r\n"), "h1");
  assert.equal(req.seen.indexOf("start"), "POST /mcp HTTP/1.1\r\n".length);
  assert.ok(req.seen.slice(0, 20).every((v) => v === undefined));
  const ans = grow(bytes("HTTP/1.1 200 OK\r\n"), "h1");
  assert.equal(ans.seen.indexOf("start"), "HTTP/1.1 200".length);
});

Deno.test("anything else is a gap: a header value, a body's tail, an event; held no longer than MAX_START", () => {
  for (
    const t of ["sk-ant-api03-x\r\nCookie: a\r\n", '"api_key": "x"}', "data: {}\n\n", "ost: x\r\n"]
  ) {
    const g = grow(bytes(t), "h1");
    assert.equal(g.ended, "gap", t);
    assert.ok(g.seen.includes("gap"), `${t}: known before its end`);
  }
  // a line that might yet be a request line: held to MAX_START bytes, then a gap
  const long = bytes("GET /" + "a".repeat(MAX_START));
  assert.equal(judgeStreamStart(long.subarray(0, MAX_START - 1), "h1", false), undefined);
  assert.equal(judgeStreamStart(long, "h1", false), "gap");
  // ended before it proved a start: a gap
  assert.equal(judgeStreamStart(bytes("GET /x HTTP/1.1"), "h1", true), "gap");
});

Deno.test("HTTP/2 frames where HTTP/1 was taken, and HTTP/2 without its preface or SETTINGS first: frames (withheld)", () => {
  const headers = encodeFrame(FrameType.HEADERS, 4, 5, [0x82, 0x86]);
  const data = encodeFrame(FrameType.DATA, 1, 5, bytes('{"a":1}'));
  for (const f of [headers, data]) {
    assert.equal(grow(f, "h1").ended, "frames");
    assert.equal(grow(f, "h2").ended, "frames");
  }
  const settings = encodeFrame(FrameType.SETTINGS, 0, 0, []);
  assert.equal(judgeStreamStart(settings, "h2", false), "start");
  assert.equal(judgeStreamStart(settings.subarray(0, 5), "h2", false), undefined);
  const pre = grow(concatBytes([HTTP2_PREFACE, settings]), "h2");
  assert.equal(pre.seen.indexOf("start"), HTTP2_PREFACE.length);
  assert.equal(judgeStreamStart(HTTP2_PREFACE.subarray(0, 10), "h2", true), "frames");
});
