/**
 * Tests of websocket_start.ts: a joined direction's first calls judged WebSocket frames (whose
 * side) or not, fed whole, byte by byte and split at every byte, both sides; frames across
 * calls; a loss; and text that starts like a frame header (`AIzaSy...`, `Authorization:`,
 * JSON, random text) never taken for frames however it is cut into calls.
 */
import assert from "node:assert/strict";
import {
  encodeWebSocketFrame,
  webSocketFrameHeader,
  type WebSocketFrameSpec,
} from "./websocket_frame.ts";
import { type WebSocketSide, WebSocketStart } from "./websocket_start.ts";
import { concatBytes } from "../kit/bytes.ts";
import { StreamStartJudge } from "./stream_start.ts";
import { encodeFrame, FrameType } from "./http2_frame.ts";

const enc = new TextEncoder();
const MASK = Uint8Array.from([0x37, 0xfa, 0x21, 0x3d]);

/** Frames as `side` sends them (a client masks every frame). */
function frames(side: WebSocketSide, specs: WebSocketFrameSpec[]): Uint8Array[] {
  return specs.map((f) =>
    encodeWebSocketFrame({ ...f, mask: side === "client" ? MASK : undefined })
  );
}

const text = (s: string, more: Partial<WebSocketFrameSpec> = {}) => ({
  opcode: 1,
  payload: enc.encode(s),
  ...more,
});

/** The verdict on `calls` fed in order (after each, not ended), and at their end. */
function judge(calls: Uint8Array[], peer?: WebSocketSide) {
  const w = new WebSocketStart();
  const seen = calls.map((c) => {
    w.push(c);
    return w.verdict(false, peer);
  });
  return { seen, ended: w.verdict(true, peer) };
}

/** Ways to call `bytes`: whole, byte by byte, and split at every byte into two calls. */
function callings(bytes: Uint8Array): [string, Uint8Array[]][] {
  const out: [string, Uint8Array[]][] = [
    ["whole", [bytes]],
    ["byte by byte", Array.from(bytes, (_, i) => bytes.subarray(i, i + 1))],
  ];
  for (let at = 1; at < bytes.length; at++) {
    out.push([`split at ${at}`, [bytes.subarray(0, at), bytes.subarray(at)]]);
  }
  return out;
}

/** A message begun before the join (its last fragment), a fragmented one with a ping inside, a close. */
const SPECS: WebSocketFrameSpec[] = [
  { opcode: 0, payload: enc.encode('tail"}') },
  text('{"type":"response.create","instructions":"', { fin: false }),
  { opcode: 9, payload: enc.encode("p") },
  { opcode: 0, payload: enc.encode("x".repeat(300)), fin: false },
  { opcode: 0, payload: enc.encode('"}') },
  { opcode: 2, rsv1: true, payload: Uint8Array.from([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]) },
  { opcode: 8, payload: Uint8Array.from([0x03, 0xe8]) },
];

Deno.test("frames from the first byte, both sides: judged that side's whole, byte by byte and at every split, once a frame ends where a call does", () => {
  for (const side of ["client", "server"] as const) {
    const bytes = concatBytes(frames(side, SPECS));
    for (const [way, calls] of callings(bytes)) {
      const { seen, ended } = judge(calls);
      assert.equal(ended, side, `${side} ${way}`);
      // known at the first call end where two whole frames (or a FIN frame, the first call) end
      const first = seen.findIndex((v) => v !== undefined);
      assert.ok(first >= 0, `${side} ${way}: known before the end`);
      assert.ok(seen.slice(first).every((v) => v === side), `${side} ${way}: ${seen}`);
      if (way === "byte by byte") {
        // the first frame ends at byte 8, a continuation (no message begun in the run); the
        // second at 8 + its header + payload: two whole frames, one a message's start
        const two = frames(side, SPECS.slice(0, 2)).reduce((n, f) => n + f.length, 0);
        assert.equal(first, two - 1, side);
      }
    }
    // the connection's other direction was judged this side: this one cannot be
    assert.equal(judge([bytes], side).ended, null);
    assert.equal(judge([bytes], side === "client" ? "server" : "client").ended, side);
  }
});

Deno.test("a frame across calls: known where a later frame ends at a call's end, or at the end", () => {
  const [big, small] = frames("server", [text("y".repeat(70000)), text("z")]);
  const calls = [big.subarray(0, 5), big.subarray(5, 40000), big.subarray(40000), small];
  const { seen, ended } = judge(calls);
  // the big frame ends at a call's end, but is not the first call: one more frame needed
  assert.deepEqual(seen, [undefined, undefined, undefined, "server"]);
  assert.equal(ended, "server");
  // a FIN frame alone, cut in two calls: undecided until no more bytes come, then that side
  const one = judge([big.subarray(0, 10), big.subarray(10)]);
  assert.deepEqual(one.seen, [undefined, undefined]);
  assert.equal(one.ended, "server");
  // as the whole first call: known at once
  assert.equal(judge([big]).seen[0], "server");
  // a client's masked FIN frame, the first call
  assert.equal(judge(frames("client", [text("{}")])).seen[0], "client");
});

Deno.test("a loss: a frame cut short by it, or a frame begun before it, is no proof", () => {
  const [a, b] = frames("client", [text("abc", { fin: false }), {
    opcode: 0,
    payload: enc.encode("de"),
  }]);
  // bytes up to the loss end inside the second frame
  assert.equal(judge([a, b.subarray(0, 3)]).ended, null);
  // a lone non-FIN frame, all that came: not enough
  assert.equal(judge([a]).ended, null);
  assert.equal(judge([concatBytes([a, b])]).ended, "client");
  // nothing at all
  assert.equal(new WebSocketStart().verdict(true), null);
});

Deno.test("bad frames: mixed masking, a continuation with no message, a new message inside one, a bad control frame, RSV2: not frames", () => {
  const [c] = frames("client", [text("a")]);
  const [s] = frames("server", [text("b")]);
  const cases: [string, Uint8Array][] = [
    ["masked then not", concatBytes([c, s])],
    [
      "a continuation after a whole message",
      concatBytes(frames("server", [text("a"), { opcode: 0, payload: enc.encode("b") }])),
    ],
    [
      "a new message inside a fragmented one",
      concatBytes(frames("server", [text("a", { fin: false }), text("b")])),
    ],
    ["a fragmented ping", concatBytes([s, Uint8Array.from([0x09, 0x00])])],
    ["a compressed continuation", concatBytes([s, Uint8Array.from([0xc0, 0x00])])],
    ["RSV2", concatBytes([s, Uint8Array.from([0xa1, 0x00])])],
  ];
  for (const [label, bytes] of cases) {
    for (const [way, calls] of callings(bytes)) {
      const { seen, ended } = judge(calls);
      const h = webSocketFrameHeader(bytes);
      const first = h && h !== "short" ? h.headerLength + h.payloadLength : 0;
      if (way === `split at ${first}` && h && h !== "short" && h.fin) {
        // a first call that is one whole FIN frame is proof at once, before the bad frame
        assert.equal(seen[0], label === "masked then not" ? "client" : "server", label);
        continue;
      }
      assert.equal(ended, null, `${label} ${way}`);
      // known to be none at the byte that breaks the run, never taken for frames before it
      assert.ok(!seen.some((v) => v === "client" || v === "server"), `${label} ${way}: ${seen}`);
    }
  }
});

/** Text a joined direction might start with, a secret in it. */
const LOOKALIKES = [
  "AIzaSyQp4Wk8Nz2Xr7Mv5Jc9Hb3TdAIzaSyQp4Wk8Nz2Xr7Mv5Jc9Hb3TdAIzaSyQp4Wk8Nz2Xr7Mv5Jc9Hb3Td0\r\n",
  "Authorization: Bearer sk-proj-Vm5Gc8Yx2Nq7Rw4Kz9Lt3Fb6\r\nContent-Length: 2\r\n\r\n{}",
  '{"api_key":"sk-Rf6Tg9Yh2Uj5Ik8Ol3Pz1","jsonrpc":"2.0"}',
  'Bearer sk-ant-api03-Qw7Zr2Lk9Xv4Tn8Pb3Hs6Jd1"}\n\nAB',
  'data: {"token":"ghp_Tz8Kq3Wm6Yx1Vr5Nb9Lc2Hj7"}\n\n',
];

Deno.test("text never passes: lookalikes (A and B begin frame headers) and seeded random text, at every length, whole, byte by byte and at every split", () => {
  // `A` + `I` is a compressed, unfinished text frame of 73 bytes: the first lookalike is cut
  // so that such a frame ends exactly at its first call's end
  assert.equal(LOOKALIKES[0].length >= 75, true);
  const inputs = LOOKALIKES.map((t) => enc.encode(t));
  inputs.push(enc.encode(LOOKALIKES[0].slice(0, 75)));
  // text of printable ASCII, tabs and line ends, with runs of A and B
  let seed = 0x2545f491;
  const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const alphabet = 'AB\t\r\n ABabz{}":,0123456789-_AIzaSyQ~\x7f';
  for (let k = 0; k < 300; k++) {
    const n = 2 + Math.floor(rand() * 300);
    inputs.push(
      enc.encode(
        Array.from({ length: n }, () => alphabet[Math.floor(rand() * alphabet.length)]).join(""),
      ),
    );
  }
  for (const bytes of inputs) {
    for (let n = 1; n <= bytes.length; n++) {
      const head = bytes.subarray(0, n);
      for (const [way, calls] of callings(head)) {
        if (n < bytes.length && way !== "whole") continue; // every split of the whole text
        const { seen, ended } = judge(calls);
        const label = `${JSON.stringify(new TextDecoder().decode(head).slice(0, 40))} ${way}`;
        assert.ok(!seen.some((v) => v === "client" || v === "server"), label);
        assert.equal(ended, null, label);
      }
    }
  }
});

Deno.test("the stream's start: frames judged ws-client / ws-server; HTTP/2 frames that chain to a call's end withheld; a lookalike a gap", () => {
  const verdict = (calls: Uint8Array[], ended = true) => {
    const j = new StreamStartJudge("h1");
    for (const c of calls) j.push(c);
    return j.verdict(ended);
  };
  assert.equal(verdict(frames("client", SPECS)), "ws-client");
  assert.equal(verdict(frames("server", SPECS), false), "ws-server");
  const settings = encodeFrame(FrameType.SETTINGS, 0, 0, []);
  const data = encodeFrame(FrameType.DATA, 1, 5, enc.encode('{"a":1}'));
  assert.equal(verdict([settings, data]), "frames");
  assert.equal(verdict([enc.encode(LOOKALIKES[0])]), "gap");
  assert.equal(verdict([enc.encode(LOOKALIKES[1])]), "gap");
});

Deno.test("random text with non-ASCII UTF-8 (°, é, —, emoji) may read as frames at first (`°` is a masked binary frame of 48 bytes), but never past a start line: the check breaks there; a lone control frame proves nothing", () => {
  let seed = 0x1b873593;
  const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const alphabet = ["A", "B", " ", "\n", "a", "{", '"', "0", "°", "é", "—", "😀", "ü", "ß"];
  const post = enc.encode('POST /mcp HTTP/1.1\r\nContent-Length: 20\r\n\r\n{"api_key":"abcdef"}');
  let judged = 0;
  const inputs = [concatBytes([enc.encode("°"), new Uint8Array(52).fill(0x41)])];
  for (let k = 0; k < 400; k++) {
    const n = 1 + Math.floor(rand() * 80);
    inputs.push(
      enc.encode(
        Array.from({ length: n }, () => alphabet[Math.floor(rand() * alphabet.length)]).join(""),
      ),
    );
  }
  for (const bytes of inputs) {
    for (const [way, calls] of callings(bytes)) {
      const w = new WebSocketStart();
      for (const c of calls) w.push(c);
      const v = w.verdict(false);
      if (v !== "client" && v !== "server") continue;
      judged++;
      w.push(post);
      assert.ok(w.broken, `${JSON.stringify(new TextDecoder().decode(bytes))} ${way}: not broken`);
    }
  }
  assert.ok(judged > 0, "the `°` text is judged frames at first");
  // a lone ping, pong or close (masked or not), whole, ended: no proof
  for (const op of [0x89, 0x8a, 0x88]) {
    for (const b of [[op, 0x80, 1, 2, 3, 4], [op, 0]]) {
      assert.equal(judge([Uint8Array.from(b)]).ended, null, `${b}`);
      assert.equal(judge([Uint8Array.from(b), Uint8Array.from(b)]).ended, null, `${b} twice`);
    }
  }
});
