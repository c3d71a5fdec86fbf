/**
 * The JSON masker after a gap: start lines (and, the framing found, what follows) through, all
 * else blind; on the MCP fixtures' real bytes, whole, byte by byte and at every split.
 */
import assert from "node:assert/strict";
import { createGapJsonMasker } from "./gap_json_masker.ts";
import { createHttp1BodySecrets, type FramingLog } from "./http1_body_secrets.ts";
import { isStartLine } from "./start_line.ts";
import {
  assertSameForAllChunkings,
  concatBytes,
  HEAD_HOLES,
  REFRAME_FIRST,
  REFRAME_HOLES,
} from "./testing.ts";
import { readMcpHttpFixture, SECRET_PLANTS } from "./testdata/mcp_http_fixture.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
/** bytes as text, one character each (offsets in the text are offsets in the bytes) */
const latin1 = (b: Uint8Array) => Array.from(b, (c) => String.fromCharCode(c)).join("");

/** As the capture runs them after a gap whose landing is unknown: body masker, then this. */
function afterGap(chunks: Uint8Array[], follow = true): string {
  const body = createHttp1BodySecrets();
  body.gap();
  const gate = createGapJsonMasker(follow ? body.watchFraming() : undefined);
  const out = chunks.map((c) => gate.transform(body.transform(c)));
  out.push(gate.transform(body.flush()), gate.flush());
  return latin1(concatBytes(out));
}

/** The body masker alone, framing lost at the start (what follows a start line should be). */
function bodyAlone(input: Uint8Array): string {
  const body = createHttp1BodySecrets();
  return latin1(concatBytes([body.transform(input), body.flush()]));
}

/** Where the first line (at 0 or after an LF) that is a start line begins, or -1. */
function firstStartLine(text: string): number {
  for (let at = 0; at < text.length; at = text.indexOf("\n", at) + 1 || text.length) {
    const end = text.indexOf("\n", at);
    const line = text.slice(at, end < 0 ? text.length : end).replace(/\r$/, "");
    if (end >= 0 && isStartLine(line)) return at;
  }
  return -1;
}

/** Bytes the blind masker keeps: JSON punctuation and line ends. */
const allBlind = (s: string) => /^[*":,{}\[\]\r\n]*$/.test(s);

Deno.test("a gap that lands at a message's start (unknown to the framing): the whole message goes through, its secrets masked as without a gap", async () => {
  const conns = [...await readMcpHttpFixture("sse"), ...await readMcpHttpFixture("streamable")];
  let n = 0;
  for (const conn of conns) {
    for (const side of [conn.client, conn.server]) {
      const text = latin1(side);
      if (!isStartLine(text.slice(0, text.indexOf("\r\n")))) continue;
      n++;
      const out = assertSameForAllChunkings(side, (c) => afterGap(c), {
        splitPointLimit: 300,
        randomRuns: 3,
      });
      // the head-line rule masks a credential-shaped value too (the header redactor, before
      // this in the capture, masks these by name)
      const expected = bodyAlone(side).replace(
        /(\r\nauthorization: )([^\r]*)/gi,
        (_, name: string, value: string) => name + "*".repeat(value.length),
      );
      assert.equal(out, expected);
      assert.ok(out.startsWith(text.slice(0, text.indexOf("\r\n") + 2)), out.slice(0, 40));
    }
  }
  assert.ok(n >= 8, `${n} streams`);
});

Deno.test("a gap that lands inside an MCP request's body: its rest masked blind up to the next start line, which goes through with all after it", async () => {
  // a stream of the fixtures where a message follows, at a line's start, the body a secret
  // is planted in (an event-stream answer's chunked body ends with a line)
  const conns = [...await readMcpHttpFixture("sse"), ...await readMcpHttpFixture("streamable")];
  let found: { input: Uint8Array; k: number; value: string } | undefined;
  for (const conn of conns) {
    for (const side of [conn.client, conn.server]) {
      for (const [from, key, value] of SECRET_PLANTS) {
        const text = dec.decode(side);
        if (found || !text.includes(from)) continue;
        const planted = text.replace(from, key + value + '"');
        // lost: everything up to 3 bytes into the secret's value
        const input = enc.encode(planted.slice(planted.indexOf(key + value) + key.length + 3));
        const k = firstStartLine(latin1(input));
        if (k > 0) found = { input, k, value };
      }
    }
  }
  assert.ok(found, "a fixture stream with a start line after a planted secret");
  const { input, k, value } = found;
  const out = assertSameForAllChunkings(input, (c) => afterGap(c), {
    splitPointLimit: 400,
    randomRuns: 5,
  });
  assert.ok(!out.includes(value.slice(3)), out.slice(0, 80));
  assert.ok(allBlind(out.slice(0, k)), out.slice(0, k));
  assert.equal(out.slice(k), bodyAlone(input).slice(k));
});

Deno.test("lines that only begin like a start line are masked, held bytes and all", () => {
  for (
    const line of [
      "HTTP/1.1 20x OK",
      "HTTP/1.2 200 OK",
      "GET /x HTTP/1.2",
      "GET  /x HTTP/1.1",
      "get /x HTTP/1.1",
      "POST /x HTTP/1.1 sk-ant-secret",
      "Bearer sk-ant-secret",
    ]
  ) {
    const input = enc.encode(`${line}\r\ndata: sk-secret\r\n`);
    const out = assertSameForAllChunkings(input, (c) => afterGap(c));
    assert.ok(allBlind(out), `${line}: ${out}`);
  }
});

Deno.test("a start line the body masker does not follow: blind again at its end", () => {
  const input = enc.encode('HTTP/1.1 200 OK\r\nauth: "sk-secret"\r\n');
  const out = assertSameForAllChunkings(input, (c) => afterGap(c, false));
  assert.equal(out, 'HTTP/1.1 200 OK\r\n****:*"*********"\r\n'.replace(' "', '*"'));
});

Deno.test("a line held while it may be a start line, cut by another gap or the end, goes out masked", () => {
  // a body masker's log that took a start line ending at 36 (19 + 17)
  const log = (starts: number[]): FramingLog => ({
    from: 0,
    starts,
    losses: [],
    open: Infinity,
    stop() {},
  });
  const gate = createGapJsonMasker(log([36]));
  assert.equal(gate.transform(enc.encode("GET /sk-secret-path")).length, 0); // held
  assert.equal(dec.decode(gate.gap()), "*".repeat(19));
  // after the gap, a line's start again: a start line goes through, and with the framing
  // found, all after it (its head lines each held to its LF, by the head-line rule)
  assert.equal(
    dec.decode(gate.transform(enc.encode("HTTP/1.1 200 OK\r\nx"))),
    "HTTP/1.1 200 OK\r\n",
  );
  assert.ok(gate.following);
  assert.equal(dec.decode(gate.transform(enc.encode("-a: 1\r\n\r\n{"))), "x-a: 1\r\n\r\n{");
  assert.equal(dec.decode(gate.transform(enc.encode("}"))), "}");
  const end = createGapJsonMasker(log([]));
  end.transform(enc.encode("POST /mcp?key=sk-x"));
  assert.equal(dec.decode(end.flush()), "*".repeat(18));
});

Deno.test("a start line goes through to what follows only if the body masker took that very line and follows the framing still: a line it did not take, or one it loses the framing after, with a JSON-RPC secret and a start line it frames on later in the same bytes, all masked up to that one", () => {
  for (const text of REFRAME_HOLES) {
    const input = Uint8Array.from(text, (c) => c.charCodeAt(0));
    const out = assertSameForAllChunkings(input, (c) => afterGap(c));
    assert.ok(!out.includes("LEAK") && !out.includes("sk-"), out);
    // the start line the body masker frames on, and all after it, through
    assert.ok(out.endsWith("\r\nGET / HTTP/1.1\r\n\r\n"), JSON.stringify(out));
  }
  assert.ok(REFRAME_FIRST.includes("jsonrpc"));
});

Deno.test("after a gap, head lines after a start line the body masker took go by the head-line rule: a quoted or blank-led secret line, a credential-shaped value, obs-fold masked; well-formed lines through; the next message's start line through", () => {
  for (const text of HEAD_HOLES) {
    const input = Uint8Array.from(text, (c) => c.charCodeAt(0));
    const out = assertSameForAllChunkings(input, (c) => afterGap(c));
    assert.ok(!out.includes("LEAK") && !out.includes("sk-"), JSON.stringify(out));
    assert.equal(out.length, text.length);
    assert.ok(out.endsWith("GET / HTTP/1.1\r\n\r\n"), JSON.stringify(out));
  }
  // an ordinary response head keeps its lines
  const head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Request-Id: req_1\r\n" +
    "Via: 1.1 vegur\r\nContent-Length: 2\r\n\r\n{}";
  assert.equal(
    assertSameForAllChunkings(enc.encode(head), (c) => afterGap(c)),
    head,
  );
});
