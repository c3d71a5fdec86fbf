/**
 * The ipc redactor on calls with holes inside them (a chunk lost or unreadable: the assembler
 * zero-fills it and says where, ipc_streams.ts): each hole is a gap where it is, so the line a
 * hole lands in is masked, not read as the value of whatever header the lost bytes named.
 */
import assert from "node:assert/strict";
import { IpcRedactor, type RedactableCall } from "./ipc_redact.ts";
import {
  h2HeadersWithHole,
  HEAD_HOLES,
  REFRAME_FIRST,
  REFRAME_HOLES,
  TEST_DIGEST,
  utf8,
} from "../protocols/testing.ts";
import { h2RedactorFactory, loadH2Redactor } from "./h2_glue.ts";

const dec = new TextDecoder();
const SECRET = "SECRET-abcdef-123";
const HEAD = "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nAccept-Encoding: identity\r\n" +
  `Content-Length: 2\r\nContent-Type: application/json\r\nAuthorization: Bearer ${SECRET}\r\n` +
  "User-Agent: python-requests/2.32.3\r\n\r\n{}";

/** One call of `text` on a TCP socket with the bytes [a, b) a hole; the call's bytes out. */
function withHole(text: string | Uint8Array, a: number, b: number): Uint8Array {
  const data = typeof text === "string" ? utf8(text) : text.slice();
  data.fill(0, a, b);
  const out: RedactableCall[] = [];
  const r = new IpcRedactor({ h2Redactor: h2RedactorFactory, digest: TEST_DIGEST }, (c) => {
    out.push(c);
  });
  r.push({
    inode: 5n,
    dir: 0,
    kind: "tcp",
    streamOff: 0n,
    total: data.length,
    data,
    truncated: false,
    lost: b - a,
    holes: [a, b],
  });
  r.finish();
  assert.equal(out.length, 1);
  // written whole, or (a hole before the first bytes have decided the protocol) empty
  if (out[0].data.length) assert.equal(out[0].data.length, data.length, "same length");
  else assert.equal(out[0].lost, data.length, "written empty: all lost");
  return out[0].data;
}

Deno.test("HTTP/1: a hole over a header's name masks the line it lands in", () => {
  const a = HEAD.indexOf("\r\nAuthorization: Bear");
  const b = a + "\r\nAuthorization: Bear".length;
  const got = dec.decode(withHole(HEAD, a, b));
  assert.ok(!got.includes(SECRET.slice(1)) && !got.includes("abcdef"), got);
  assert.equal(got.slice(0, a), HEAD.slice(0, a), "before the hole: as it was");
  assert.equal(got.slice(a, b), "\0".repeat(b - a), "the hole: its zeros");
  const next = HEAD.indexOf("\r\nUser-Agent");
  assert.equal(got.slice(b, next), "*".repeat(next - b), "the rest of its line masked");
  // then the framing is lost: blind JSON masking (all but punctuation) to the next message
  assert.equal(got.slice(next), HEAD.slice(next).replace(/[^"{}:,\[\]\r\n]/g, "*"));
});

Deno.test("HTTP/1: a hole at every place in the head leaves no byte of the secret", () => {
  const at = HEAD.indexOf(SECRET);
  for (let a = 0; a < at; a++) {
    for (const len of [1, 3, 21]) {
      const got = dec.decode(withHole(HEAD, a, Math.min(a + len, at)));
      assert.ok(!got.includes(SECRET.slice(-6)), `hole [${a}, ${a + len}): ${got}`);
    }
  }
});

Deno.test("h2c: a hole in a call stops the direction there; its header block is never decoded across it", async () => {
  await loadH2Redactor();
  const { data, holes } = h2HeadersWithHole("SECRET-h2-hole");
  const got = withHole(data, holes[0], holes[1]);
  assert.equal(got.length, 0, "written empty");
});

/** A whole call at `off` of a TCP socket's direction 0. */
const tcpCall = (off: number, data: Uint8Array): RedactableCall => ({
  inode: 6n,
  dir: 0,
  kind: "tcp",
  streamOff: BigInt(off),
  total: data.length,
  data,
  truncated: false,
  lost: 0,
});

Deno.test("HTTP/1 on TCP: a lost call, then a whole request (its start line provably one): its head goes through, its secret masked, at every split of the calls after the gap", () => {
  // a keep-alive connection: the first request, then a lost call (its length unknown to the
  // framing: Content-Length of a body not seen), then the next request; the first body is an
  // MCP call's, held, so the bytes after the gap go through the blind JSON masker
  const first = `POST /mcp HTTP/1.1\r\nHost: h\r\nContent-Length: 9999\r\n\r\n` +
    `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"arguments":{"api_key":"`;
  const next = utf8(HEAD);
  for (let cut = 1; cut < next.length; cut++) {
    const out: RedactableCall[] = [];
    const r = new IpcRedactor({ digest: TEST_DIGEST }, (c) => out.push(c));
    r.push(tcpCall(0, utf8(first)));
    // 20,000 bytes lost: past the body's end, so the framing cannot place the gap
    const at = first.length + 20_000;
    r.push(tcpCall(at, next.subarray(0, cut)));
    r.push(tcpCall(at + cut, next.subarray(cut)));
    r.finish();
    const got = out.slice(1).map((c) => dec.decode(c.data)).join("");
    assert.equal(
      got,
      HEAD.replace(`Bearer ${SECRET}`, "*".repeat(7 + SECRET.length)),
      `cut ${cut}`,
    );
  }
});

Deno.test("HTTP/1 on TCP: after a lost call, a line the body masker does not frame on (or loses framing after): the JSON-RPC secret before the next start line masked, at every split", () => {
  for (const text of [...REFRAME_HOLES, ...HEAD_HOLES]) {
    const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0));
    for (let cut = 0; cut <= bytes.length; cut++) {
      const out: RedactableCall[] = [];
      const r = new IpcRedactor({ digest: TEST_DIGEST }, (c) => out.push(c));
      r.push(tcpCall(0, utf8(REFRAME_FIRST)));
      const at = REFRAME_FIRST.length + 20_000;
      if (cut > 0) r.push(tcpCall(at, bytes.slice(0, cut)));
      if (cut < bytes.length) r.push(tcpCall(at + cut, bytes.slice(cut)));
      r.finish();
      const got = out.map((c) => dec.decode(c.data)).join("");
      assert.ok(
        !got.includes("LEAK") && !got.includes("sk-"),
        `cut ${cut}: ${JSON.stringify(got)}`,
      );
    }
  }
});
