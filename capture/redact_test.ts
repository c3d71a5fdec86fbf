/** Header redaction: same length, across chunk boundaries, nothing else touched. */
import assert from "node:assert/strict";
import { afterGap, createHttp1Redactor, MAX_CUT_LINE, nextLf } from "./redact.ts";
import type { GapLanding } from "../protocols/http1_body_secrets.ts";
import { startsWithHttp2Preface } from "../protocols/http2_frame.ts";
import { h2RedactorFactory, loadH2Redactor } from "./h2_glue.ts";
import { createHttp2Parser } from "../protocols/mod.ts";
import { MAX_DIGEST_VALUE } from "../protocols/session_digest.ts";
import {
  assertSameForAllChunkings,
  concatBytes,
  TEST_DIGEST,
  testDigest,
} from "../protocols/testing.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const REQ = "POST /v1/messages HTTP/1.1\r\nHost: x\r\nAUTHORIZATION: Bearer sk-abc\r\n" +
  "x-api-key:sk-ant-123\r\nX-Goog-Api-Key: AIza\r\nCookie: a=b; c=d\r\nContent-Length: 27\r\n" +
  '\r\n{"authorization": "inbody"}';
const WANT = "POST /v1/messages HTTP/1.1\r\nHost: x\r\nAUTHORIZATION: *************\r\n" +
  "x-api-key:**********\r\nX-Goog-Api-Key: ****\r\nCookie: ********\r\nContent-Length: 27\r\n" +
  '\r\n{"authorization": "inbody"}';

/** The redactor under the test digest over `chunks`, flushed: the text out. */
function runDigest(chunks: Uint8Array[]): string {
  const r = createHttp1Redactor(undefined, TEST_DIGEST);
  const out = chunks.map((c) => r.transform(c));
  out.push(r.flush());
  return dec.decode(concatBytes(out));
}

function run(chunks: Uint8Array[]): string {
  const r = createHttp1Redactor();
  return chunks.map((c) => dec.decode(r.transform(c))).join("") + dec.decode(r.flush());
}

Deno.test("HTTP/1 redaction: whole, byte by byte, at every split point", () => {
  const b = enc.encode(REQ);
  assert.equal(run([b]), WANT);
  assert.equal(run([...b].map((x) => new Uint8Array([x]))), WANT);
  for (let i = 0; i <= b.length; i++) {
    assert.equal(run([b.slice(0, i), b.slice(i)]), WANT, `split at ${i}`);
  }
});

Deno.test("HTTP/1 redaction: gateways' own key headers too, and nothing an analysis reads", () => {
  const secrets = [
    "x-portkey-api-key",
    "Helicone-Auth",
    "cf-aig-authorization",
    "Ocp-Apim-Subscription-Key",
    "private-token",
    "X-Auth-Token",
    "x_litellm_api_key",
    "X-Custom-Key",
    "x-client_key",
  ];
  const kept = [
    "sec-websocket-key",
    "idempotency-key",
    "x-idempotency-key",
    "x-ratelimit-remaining-tokens",
    "anthropic-ratelimit-input-tokens-limit",
    "www-authenticate",
    "content-type",
    "data",
  ];
  const req = "GET / HTTP/1.1\r\n" + [...secrets, ...kept].map((h) => `${h}: v4lue\r\n`).join("") +
    "\r\n";
  const want = "GET / HTTP/1.1\r\n" +
    [...secrets.map((h) => `${h}: *****\r\n`), ...kept.map((h) => `${h}: v4lue\r\n`)].join("") +
    "\r\n";
  const b = enc.encode(req);
  assert.equal(run([b]), want);
  for (let i = 0; i <= b.length; i++) {
    assert.equal(run([b.slice(0, i), b.slice(i)]), want, `split at ${i}`);
  }
});

Deno.test("HTTP/1 redaction: a value that begins with a known key's prefix is masked whatever its name, whole, byte by byte and at every split", () => {
  // [name and separator, value, masked]
  const lines: [string, string, boolean][] = [
    ["X-Custom: ", "AIzaSyQp4Wk8Nz2Xr7Mv5Jc9Hb3Td", true],
    ["x-upstream:", "sk-ant-api03-Qw7Zr2Lk9Xv4", true],
    ["X-Forward: \t ", '"ghp_Tz8Kq3Wm6Yx1Vr5Nb9Lc2Hj7"', true],
    ["X-Token-Hint: ", "github_pat_11ABCDEFG0123", true],
    ["X-Slack: ", "xoxb-1234-5678-abcd", true],
    ["X-Jwt: ", "eyJhbGciOiJIUzI1NiJ9.e30.x", true],
    ["X-Aws: ", "AKIAIOSFODNN7EXAMPLE", true],
    // none begins a key: kept (`skip`, `sk` alone, `AIr`, a model name, an event's data)
    ["X-Note: ", "skipper", false],
    ["X-Short: ", "sk", false],
    ["X-Model: ", "gpt-4o", false],
    ["X-Air: ", "AIr-x", false],
    ["data: ", '{"a":1}', false],
    ["X-Empty:", "", false],
  ];
  const text = (masked: boolean) =>
    "GET / HTTP/1.1\r\n" +
    lines.map(([n, v, m]) => `${n}${masked && m ? "*".repeat(v.length) : v}\r\n`).join("") +
    "\r\n";
  const b = enc.encode(text(false));
  const want = text(true);
  assert.equal(run([b]), want);
  assert.equal(run([...b].map((x) => new Uint8Array([x]))), want);
  for (let i = 0; i <= b.length; i++) {
    assert.equal(run([b.slice(0, i), b.slice(i)]), want, `split at ${i}`);
  }
  // the stream ends, or a gap comes, while a value's start may still begin a key: masked
  assert.equal(run([enc.encode("X-Custom: AIz")]), "X-Custom: ***");
  const r = createHttp1Redactor();
  const before = dec.decode(r.transform(enc.encode("X-Custom: gh")));
  const held = dec.decode(afterGap(r));
  assert.equal(before + held, "X-Custom: **");
});

Deno.test("HTTP/1 redaction: keep-alive, and after a gap the next line is found again", () => {
  const two = REQ + "GET / HTTP/1.1\r\nCookie: z=1\r\n\r\n";
  assert.equal(run([enc.encode(two)]), WANT + "GET / HTTP/1.1\r\nCookie: ***\r\n\r\n");
  const r = createHttp1Redactor();
  r.transform(enc.encode("Authorization: Bea"));
  afterGap(r); // the rest of that line was lost
  assert.equal(dec.decode(r.transform(enc.encode("rer\r\nCookie: q\r\n"))), "***\r\nCookie: *\r\n");
  // a gap that lands mid-line where no framing says "body": the line's rest is masked, even
  // when it looks like a header (its start was lost with the gap)
  const s = createHttp1Redactor();
  s.transform(enc.encode("GET / HTTP/1.1\r\nHost: a"));
  afterGap(s);
  assert.equal(
    dec.decode(s.transform(enc.encode("Cookie: not-a-line-start\r\nCookie: q\r\n"))),
    "************************\r\nCookie: *\r\n",
  );
});

/** `before`, a gap that `land`s as told (none: unknown), then `chunks`: the text out after it. */
function afterGapRun(before: string, where?: GapLanding) {
  return (chunks: Uint8Array[]): string => {
    const r = createHttp1Redactor(undefined, TEST_DIGEST);
    r.transform(enc.encode(before));
    const out = [afterGap(r)];
    if (where) r.land(where);
    for (const c of chunks) out.push(r.transform(c));
    out.push(r.flush());
    return dec.decode(concatBytes(out));
  };
}

Deno.test("HTTP/1 redaction after a gap: a header line whose name was lost is masked, a start line goes through — at every split point", () => {
  const before = "GET / HTTP/1.1\r\nHost: a\r\nAuthor";
  const after = "ization: Bearer sk-lost-name\r\nAccept: */*\r\n\r\n" +
    "GET /next HTTP/1.1\r\nx-api-key: sk-2\r\n\r\n";
  const want = "*".repeat("ization: Bearer sk-lost-name".length) + "\r\nAccept: */*\r\n\r\n" +
    "GET /next HTTP/1.1\r\nx-api-key: ****\r\n\r\n";
  const got = assertSameForAllChunkings(enc.encode(after), afterGapRun(before));
  assert.equal(got, want);
  assert.ok(!got.includes("sk-"));
  // a message that begins right after the gap: its start line is not masked
  for (
    const start of [
      "POST /v1/messages?beta=true HTTP/1.1\r\n",
      "HTTP/1.1 200 OK\r\n",
      "GET * HTTP/1.0\n",
    ]
  ) {
    const text = `${start}Cookie: c=1\r\nHost: h\r\n\r\n`;
    const got = assertSameForAllChunkings(enc.encode(text), afterGapRun(before));
    assert.equal(got, `${start}Cookie: ***\r\nHost: h\r\n\r\n`);
  }
  // lines that only begin like one are masked whole
  for (
    const odd of [
      "GET /x HTTP/1.2\r\n",
      "HTTP/1.1 2x0\r\n",
      "get / HTTP/1.1\r\n",
      "GET  / HTTP/1.1\r\n",
    ]
  ) {
    const got = assertSameForAllChunkings(enc.encode(odd), afterGapRun(before));
    assert.equal(got, odd.replace(/[^\r\n]/g, "*"), odd);
  }
  // cut again inside the held start: masked, and the next line after that gap too
  const r = createHttp1Redactor();
  afterGap(r);
  r.transform(enc.encode("POST /v1"));
  assert.equal(dec.decode(afterGap(r)), "********");
  assert.equal(dec.decode(r.transform(enc.encode("key: k\r\nA: b\r\n"))), "******\r\nA: b\r\n");
});

Deno.test("HTTP/1 redaction after a gap: a body goes through, a message start is read as one — as the framing says", () => {
  const before = 'POST / HTTP/1.1\r\nContent-Length: 999\r\n\r\n{"a": "b';
  const body = 'ody text", "x-api-key": "in body"}\n{"one": "line"}';
  // landed in a body: the line goes through as body lines do
  assert.equal(assertSameForAllChunkings(enc.encode(body), afterGapRun(before, "body")), body);
  // landed where a message begins: the first line is a start (and secret headers are found)
  const next = "x-api-key: sk-3\r\nHost: h\r\n";
  assert.equal(
    assertSameForAllChunkings(enc.encode(next), afterGapRun(before, "start")),
    "x-api-key: ****\r\nHost: h\r\n",
  );
  // unknown: the line is masked to its LF however long (past the bytes held while it may be a
  // start line: a 16,400-byte cookie's tail), at every split
  const long = "z".repeat(MAX_CUT_LINE + 500) + "\nafter";
  const out = assertSameForAllChunkings(enc.encode(long), afterGapRun(before), {
    splitPointLimit: 40,
    randomRuns: 3,
  });
  assert.equal(out, "*".repeat(MAX_CUT_LINE + 500) + "\nafter");
  // `land` after bytes came since the gap changes nothing
  const r = createHttp1Redactor();
  afterGap(r);
  assert.equal(dec.decode(r.transform(enc.encode("AB"))), ""); // held: it may begin a request line
  r.land("body");
  assert.equal(dec.decode(r.transform(enc.encode("c\r\n"))), "***\r\n");
});

Deno.test("the h2 preface is recognised; the h2 redactor masks HPACK values", async () => {
  assert.ok(startsWithHttp2Preface(enc.encode("PRI * HTTP/2.0\r\n\r\nSM"), true));
  assert.ok(!startsWithHttp2Preface(enc.encode("PRI * HTTP/2.0\r\n\r\nSM")));
  assert.ok(!startsWithHttp2Preface(enc.encode("POST / HTTP/1.1"), true));
  // a real HTTP/2 client: node:http2 over a loopback TCP relay that records the bytes
  const { bytes, key } = await recordH2Request();
  await loadH2Redactor();
  const r = h2RedactorFactory()!;
  const out = new Uint8Array([...r.transform(bytes), ...r.flush()]);
  assert.equal(out.length, bytes.length);
  assert.equal(authorizationOf(bytes), `Bearer ${key}`);
  assert.match(authorizationOf(out), /^\*+$/);
  // everything but the header block is byte for byte the same
  const differ = [...bytes].filter((b, i) => b !== out[i]).length;
  assert.ok(differ > 0 && differ <= `Bearer ${key}`.length + 1);
});

function authorizationOf(bytes: Uint8Array): string {
  let value = "";
  const p = createHttp2Parser({
    onHeaders: (h) => value = h.lookup["authorization"]?.[0] ?? value,
  }, { direction: "client" });
  p.feed(bytes);
  p.end();
  return value;
}

async function recordH2Request(): Promise<{ bytes: Uint8Array; key: string }> {
  const http2 = await import("node:http2");
  const net = await import("node:net");
  const key = "sk-h2-secret-" + "x".repeat(40);
  const server = http2.createServer((_req, res) => res.end("ok"));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as { port: number }).port;
  const sent: Uint8Array[] = [];
  const relay = net.createServer((c) => {
    const up = net.connect(port, "127.0.0.1");
    c.on("data", (d: Uint8Array) => {
      sent.push(new Uint8Array(d));
      up.write(d);
    });
    up.on("data", (d: Uint8Array) => c.write(d));
    c.on("close", () => up.destroy());
    up.on("close", () => c.destroy());
  });
  await new Promise<void>((r) => relay.listen(0, "127.0.0.1", () => r()));
  const rport = (relay.address() as { port: number }).port;
  const client = http2.connect(`http://127.0.0.1:${rport}`);
  await new Promise<void>((resolve, reject) => {
    // sensitive: never indexed, so HPACK sends the value as a literal
    const req = client.request({
      ":path": "/v1/responses",
      ":method": "POST",
      authorization: `Bearer ${key}`,
      [http2.sensitiveHeaders]: [],
    });
    req.on("response", () => {});
    req.on("data", () => {});
    req.on("end", resolve);
    req.on("error", reject);
    req.end("{}");
  });
  client.close();
  await new Promise((r) => relay.close(r));
  await new Promise((r) => server.close(r));
  return { bytes: new Uint8Array(sent.flatMap((c) => [...c])), key };
}

Deno.test("the next line is found at every offset and alignment", () => {
  const b = new Uint8Array(1200).fill(0x61);
  for (const at of [0, 1, 2, 3, 4, 5, 7, 8, 9, 255, 256, 257, 600, 1195, 1199]) b[at] = 10;
  for (let start = 0; start < 4; start++) {
    const v = b.subarray(start);
    for (let from = 0; from <= v.length; from++) {
      assert.equal(nextLf(v, from), v.indexOf(10, from), `from ${from} of a view at ${start}`);
    }
  }
  assert.equal(nextLf(new Uint8Array(1000), 0), -1, "none at all");
});

Deno.test("HTTP/1 redaction: a Bedrock call's SigV4 authorization and AWS session token", () => {
  const req = "POST /model/anthropic.claude-x/invoke-with-response-stream HTTP/1.1\r\n" +
    "Host: bedrock-runtime.us-east-1.amazonaws.com\r\nX-Amz-Date: 20261203T101500Z\r\n" +
    "X-Amz-Security-Token: IQoJb3JpZ2luX2VjEXAMPLE\r\n" +
    "Authorization: AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20261203/us-east-1/bedrock/aws4_request, " +
    "SignedHeaders=host;x-amz-date, Signature=abc123\r\nContent-Length: 2\r\n\r\n{}";
  const out = run([enc.encode(req)]);
  assert.equal(out.length, req.length);
  assert.ok(!out.includes("IQoJb3JpZ2luX2VjEXAMPLE") && !out.includes("ASIAEXAMPLE"));
  assert.ok(out.includes("X-Amz-Date: 20261203T101500Z"), "other headers untouched");
});

Deno.test("HTTP/1 redaction: a kept verdict is for its own name, not another of the same hash", () => {
  // "lsexqzd" and "ztxtxde" have the same 32-bit FNV-1a hash, by which verdicts are kept
  const r = createHttp1Redactor((n) => n === "ztxtxde");
  const text = "lsexqzd: a\r\nZtxtxde: b\r\nlsexqzd: c\r\nztxtxde: d\r\n";
  const want = "lsexqzd: a\r\nZtxtxde: *\r\nlsexqzd: c\r\nztxtxde: *\r\n";
  assert.equal(dec.decode(r.transform(enc.encode(text))), want);
  // and many names (more than are kept) are each judged right
  const s = createHttp1Redactor((n) => n.endsWith("7"));
  const lines = Array.from({ length: 600 }, (_, i) => `h${i % 300}: v\r\n`).join("");
  const masked = lines.replace(/^(h\d*7): v/gm, "$1: *");
  assert.equal(dec.decode(s.transform(enc.encode(lines))), masked);
});

// MCP streamable HTTP, "Session Management": the server assigns the id in `Mcp-Session-Id` and
// the client sends it on every later request; it "MUST only contain visible ASCII characters
// (ranging from 0x21 to 0x7E)". The recording keeps sessions apart by a keyed digest of the id
// (the same id, the same digest; another id, another), never the id.
Deno.test("HTTP/1 redaction: Mcp-Session-Id becomes its keyed digest, same length, at every split point", () => {
  const ids = ["5e1f0c2a-7b3d-4e9a-8c6f-1a2b3c4d5e6f", "5e1f0c2a-7b3d-4e9a-8c6f-1a2b3c4d5e6e"];
  const req = (id: string, pad = "") =>
    `POST /mcp HTTP/1.1\r\nHost: x\r\nMcp-Session-Id: ${pad}${id}${pad}\r\nAuthorization: k\r\n` +
    `Content-Length: 2\r\n\r\n{}`;
  const text = req(ids[0]) + req(ids[1], " ") + req(ids[0]) + "HTTP/1.1 200 OK\r\n" +
    `mcp-session-id:${ids[1]}\r\n\r\n`;
  const want = req(testDigest(ids[0])) + req(testDigest(ids[1]), " ") + req(testDigest(ids[0])) +
    `HTTP/1.1 200 OK\r\nmcp-session-id:${testDigest(ids[1])}\r\n\r\n`;
  const got = assertSameForAllChunkings(enc.encode(text), runDigest);
  assert.equal(got, want.replaceAll("Authorization: k", "Authorization: *"));
  assert.equal(got.length, text.length);
  assert.notEqual(testDigest(ids[0]), testDigest(ids[1]), "two sessions stay two");
  for (const id of ids) assert.ok(!got.includes(id.slice(0, 8)), "no piece of the id");
  for (const d of ids.map((id) => testDigest(id))) assert.match(d, /^[\x21-\x7e]+$/);
  // without a digest (no recording key given): `*`s, as other secrets
  const r = createHttp1Redactor();
  assert.equal(
    dec.decode(r.transform(enc.encode("Mcp-Session-Id: ab\r\n"))),
    "Mcp-Session-Id: **\r\n",
  );
});

Deno.test("HTTP/1 redaction: a session id cut by a gap, by the end, or too long goes out as `*`s", () => {
  const r = createHttp1Redactor(undefined, TEST_DIGEST);
  assert.equal(
    dec.decode(r.transform(enc.encode("GET / HTTP/1.1\r\nMcp-Session-Id: abc"))),
    "GET / HTTP/1.1\r\nMcp-Session-Id:",
  );
  // the gap: what was held goes out masked, and the rest of the line after it too
  assert.equal(dec.decode(afterGap(r)), " ***");
  assert.equal(dec.decode(r.transform(enc.encode("def\r\nCookie: q\r\n"))), "***\r\nCookie: *\r\n");
  const e = createHttp1Redactor(undefined, TEST_DIGEST);
  assert.equal(dec.decode(e.transform(enc.encode("Mcp-Session-Id: abc"))), "Mcp-Session-Id:");
  assert.equal(dec.decode(e.flush()), " ***");
  const long = "x".repeat(MAX_DIGEST_VALUE + 10);
  const l = createHttp1Redactor(undefined, TEST_DIGEST);
  const out = dec.decode(l.transform(enc.encode(`Mcp-Session-Id: ${long}\r\nHost: h\r\n`)));
  assert.equal(out, `Mcp-Session-Id: ${"*".repeat(long.length)}\r\nHost: h\r\n`);
});

// Lenient readers take more than RFC 9112 allows; the redactor masks what they would read as a
// secret's value (over-redaction, never under-): an obs-fold continuation line (RFC 9112 5.2),
// text after a bare CR inside a value (5: a recipient may read a bare CR as SP), whitespace
// between a name and its colon (5.1: a server must reject it, a client may not).
Deno.test("HTTP/1 redaction: obs-fold lines, text after a bare CR, `Name :` — masked, at every split point", () => {
  const text = "GET / HTTP/1.1\r\nAuthorization: Bearer\r\n  sk-fold-1\r\n\tsk-fold-2\r\n" +
    "Cookie: a=1\rsk-bare-cr\r\nX-Api-Key : sk-space-1\r\nMcp-Session-Id \t: sid-9f8e7d\r\n" +
    "Mcp-Session-Id: sid-1\rsid-bare\r\nHost: x\r\n folded-host\r\nAccept: */*\r\n\r\n";
  const want = "GET / HTTP/1.1\r\nAuthorization: ******\r\n  *********\r\n\t*********\r\n" +
    "Cookie: ***\r**********\r\nX-Api-Key : **********\r\n" +
    `Mcp-Session-Id \t: ${testDigest("sid-9f8e7d")}\r\n` +
    "Mcp-Session-Id: *****\r********\r\nHost: x\r\n folded-host\r\nAccept: */*\r\n\r\n";
  const got = assertSameForAllChunkings(enc.encode(text), runDigest);
  assert.equal(got, want);
  for (const s of ["sk-", "sid-"]) assert.ok(!got.includes(s), s);
});

Deno.test("HTTP/1 redaction: a line folded onto a field whose value went through is judged as that value's start (a key's prefix masked), at every split point", () => {
  // obs-fold (RFC 9112 5.2): a reader joins ` sk-ant-...` to `X-Foo: a`; the folded part of a
  // field no name makes secret is judged as a value's start, and a line folded after a part
  // judged a key is masked too (as a secret's); an indented body line after the head is none
  const text = "POST / HTTP/1.1\r\nX-Foo: a\r\n sk-ant-api03-Qw7Zr2\r\n more\r\n" +
    'X-Bar:\r\n\t\t"AIzaSyQp4Wk8Nz2X"\r\nX-Baz: b\r\n c\r\n\tghp_Tz8Kq3Wm6Yx1\r\n' +
    "X-Keep: d\r\n skipper\r\n gpt-4o\r\nContent-Length: 23\r\n\r\n" +
    "  sk-in-a-body-is-kept\r\n";
  const want = "POST / HTTP/1.1\r\nX-Foo: a\r\n *******************\r\n ****\r\n" +
    "X-Bar:\r\n\t\t******************\r\nX-Baz: b\r\n c\r\n\t****************\r\n" +
    "X-Keep: d\r\n skipper\r\n gpt-4o\r\nContent-Length: 23\r\n\r\n" +
    "  sk-in-a-body-is-kept\r\n";
  const b = enc.encode(text);
  assert.equal(assertSameForAllChunkings(b, (chunks) => run(chunks)), want);
  // byte by byte and at every split point (assertSameForAllChunkings compares them to whole)
  assert.equal(run([...b].map((x) => new Uint8Array([x]))), want);
  for (let i = 0; i <= b.length; i++) {
    assert.equal(run([b.slice(0, i), b.slice(i)]), want, `split at ${i}`);
  }
  // the stream ends while a folded line's start may still begin a key: masked
  assert.equal(run([enc.encode("X-Foo: a\r\n AIz")]), "X-Foo: a\r\n ***");
  // a line folded onto a start line, or onto a line that is no field's, is no field's value
  assert.equal(run([enc.encode("GET / HTTP/1.1\r\n sk-x\r\n")]), "GET / HTTP/1.1\r\n sk-x\r\n");
  assert.equal(run([enc.encode('{"a":\r\n sk-x\r\n')]), '{"a":\r\n sk-x\r\n');
});

Deno.test("HTTP/1 redaction: a header name past 64 bytes still has its colon judged: a token's value masked (and a line folded onto it), whole, byte by byte and at every split", () => {
  const long = "X-" + "a".repeat(70);
  // [line, masked]: a long token name's value is masked whatever the name (it may end in
  // `-api-key`); a long name that is no token (a body line's `{"…"`) is no field's: kept
  const text = (masked: boolean) =>
    "GET / HTTP/1.1\r\n" +
    `${long}: ${masked ? "*".repeat(25) : "sk-ant-api03-SECRETSECRET"}\r\n` +
    `${long}-API-Key:${masked ? "*".repeat(14) : "hunter2hunter2"}\r\n` +
    `${long}-note : ${masked ? "*".repeat(4) : "plan"}\r\n` +
    ` ${masked ? "*".repeat(12) : "folded-value"}\r\n` +
    `{"${long}": "kept"}\r\n` +
    `${"b".repeat(63)}: kept-63\r\n` +
    "Host: x\r\n\r\n";
  const b = enc.encode(text(false));
  const want = text(true);
  assert.equal(assertSameForAllChunkings(b, (chunks) => run(chunks)), want);
  assert.equal(run([...b].map((x) => new Uint8Array([x]))), want);
  for (let i = 0; i <= b.length; i++) {
    assert.equal(run([b.slice(0, i), b.slice(i)]), want, `split at ${i}`);
  }
});

Deno.test("HTTP/1 redaction: a fold after a field line cut by a bare CR, and a start line ending `\\r\\r\\n`, still mask what follows, at every split point", () => {
  // a bare CR splits `X-Foo: a\rzzz`; the line folded after it goes on with the field (a key's
  // prefix masked), in a head and in one glued onto a body with no LF at its end; `\r\r\n` after a
  // start line is no empty line: the head goes on, its bare-CR line judged
  const key = "sk-ant-api03-SECRETKEYSECRETKEY";
  for (
    const text of [
      `POST /b HTTP/1.1\r\nX-Foo: a\rzzz\r\n ${key}\r\n\r\n`,
      `POST /a HTTP/1.1\r\nContent-Length: 7\r\n\r\n{"a":1}POST /b HTTP/1.1\r\nX-Foo: a\rzzz\r\n ${key}\r\n\r\n`,
      "GET / HTTP/1.1\r\r\ndata: x\rAuthorization: Bearer SECRETTOKEN\r\n\r\n",
    ]
  ) {
    const got = assertSameForAllChunkings(enc.encode(text), (chunks) => run(chunks));
    assert.equal(got.length, text.length, text);
    for (const s of ["SECRETKEY", "SECRETTOKEN"]) {
      assert.ok(!got.includes(s), `${s} out of ${text}`);
    }
  }
});
