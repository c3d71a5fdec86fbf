/**
 * The ipc redactor on loopback TCP that carries cleartext HTTP/2 (h2c), with the bytes a real
 * node:http2 client and server exchanged through a recording relay on 127.0.0.1: each socket's
 * two directions fed as calls whole, byte by byte, at every split point and in random pieces,
 * from the client's socket (its preface first) and from the server's (its SETTINGS first).
 * The secret header values are gone, every call keeps its length, and the bytes are those the
 * HTTP/2 redactor makes of the whole stream (only the secrets' octets differ from the input);
 * HTTP/1 on loopback is redacted as before; the h2c upgrade; waiting for the redactor's code;
 * a gap.
 */
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { IpcRedactor, type RedactableCall } from "./ipc_redact.ts";
import { startsWithHttp2Settings } from "../protocols/http2_frame.ts";
import { h2RedactorFactory, loadH2Redactor } from "./h2_glue.ts";
import type { H2RedactorFactory } from "./tls_streams.ts";
import {
  chunkings,
  concatBytes,
  TEST_DIGEST,
  testDigest,
  testParamDigest,
  utf8,
} from "../protocols/testing.ts";
import type { Http2Exchanges } from "../protocols/http2_body_secrets.ts";
import type { SessionDigest } from "../protocols/session_digest.ts";
import { createHttp2Parser } from "../protocols/mod.ts";
import { huffmanEncode } from "../protocols/hpack_huffman.ts";
import { startRecordingRelay } from "../protocols/testdata/record_relay.ts";

const SESSION = "3b9f0c2e-7d41-4a8e-b6f5-0e2d9c1a7b34";
const CLIENT_SECRETS = {
  authorization: "Bearer sk-ipc-h2c-5f0e9d8c7b6a5f4e3d2c1b0a",
  "x-api-key": "APIKEY-ipc-41c9e2",
  cookie: "session=COOKIE-ipc-8a7b",
};
const SERVER_SECRETS = {
  "set-cookie": "sid=SETCOOKIE-ipc-3c2d; HttpOnly",
  "mcp-session-id": "SESSION-ipc-9e8f7a6b",
};
const SECRETS = [...Object.values(CLIENT_SECRETS), ...Object.values(SERVER_SECRETS), SESSION];

/** Two POSTs on one h2c connection (prior knowledge), through a relay that records the bytes. */
async function recordH2c(): Promise<{ client: Uint8Array; server: Uint8Array }> {
  const server = http2.createServer();
  server.on("stream", (st: http2.ServerHttp2Stream, h: http2.IncomingHttpHeaders) => {
    st.on("data", () => {});
    st.on("end", () => {
      st.respond({ ":status": 200, "content-type": "application/json", ...SERVER_SECRETS });
      st.end(JSON.stringify({ ok: h[":path"] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const relay = await startRecordingRelay((server.address() as AddressInfo).port);
  const c = http2.connect(`http://127.0.0.1:${relay.port}`);
  for (const path of [`/messages?sessionId=${SESSION}`, "/v1/traces"]) {
    await new Promise<void>((resolve, reject) => {
      const req = c.request({ ":method": "POST", ":path": path, ...CLIENT_SECRETS });
      req.on("data", () => {});
      req.on("end", resolve);
      req.on("error", reject);
      req.end(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }));
    });
  }
  await new Promise<void>((r) => c.close(r));
  await new Promise((r) => setTimeout(r, 50));
  relay.close();
  await new Promise((r) => server.close(r));
  return {
    client: concatBytes(relay.recording.client),
    server: concatBytes(relay.recording.server),
  };
}

await loadH2Redactor();
const { client: C, server: S } = await recordH2c();

/**
 * The HTTP/2 redactor over a whole direction, under the recording's digest (the session id
 * gets the same string whatever its representation): what every chunking must give.
 */
function reference(bytes: Uint8Array): Uint8Array {
  const r = h2RedactorFactory(undefined, TEST_DIGEST)!;
  return concatBytes([r.transform(bytes).slice(), r.flush()]);
}
const REF_C = reference(C), REF_S = reference(S);

type Call = RedactableCall & { id: number };

/**
 * Calls of one socket (inode 9, kind tcp) in the order given: [direction, data]. Returns each
 * direction's redacted bytes, asserting every call came out once, in order, at its length.
 */
function run(
  calls: [0 | 1, Uint8Array][],
  opts: { h2?: H2RedactorFactory | null; kind?: string } = {},
): [Uint8Array, Uint8Array] {
  const out: Call[] = [];
  const r = new IpcRedactor<Call>(
    {
      h2Redactor: opts.h2 === null ? undefined : opts.h2 ?? h2RedactorFactory,
      digest: TEST_DIGEST,
    },
    (c) => out.push(c),
  );
  const off = [0n, 0n];
  calls.forEach(([dir, data], id) => {
    r.push({
      id,
      inode: 9n,
      dir,
      kind: opts.kind ?? "tcp",
      streamOff: off[dir],
      total: data.length,
      data: data.slice(),
      truncated: false,
      lost: 0,
    });
    off[dir] += BigInt(data.length);
  });
  r.finish();
  assert.equal(out.length, calls.length, "every call out once");
  for (const dir of [0, 1]) {
    const ids = out.filter((c) => c.dir === dir).map((c) => c.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b), "in order");
  }
  for (const c of out) {
    assert.equal(c.data.length, calls[c.id][1].length, `call ${c.id}: same length`);
    assert.equal(c.lost, 0);
  }
  const dirBytes = (d: number) => concatBytes(out.filter((c) => c.dir === d).map((c) => c.data));
  return [dirBytes(0), dirBytes(1)];
}

function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let k = 0; k < needle.length; k++) if (hay[i + k] !== needle[k]) continue outer;
    return true;
  }
  return false;
}

/** No secret in the bytes, literal or Huffman-coded (its octets but the padded last). */
function assertNoSecret(bytes: Uint8Array, what: string): void {
  for (const s of SECRETS) {
    const h = huffmanEncode(utf8(s));
    for (const form of [utf8(s), h.subarray(0, h.length - 1)]) {
      assert.ok(!contains(bytes, form), `${what}: ${s}`);
    }
  }
}

function headerValues(bytes: Uint8Array, direction: "client" | "server", names: string[]) {
  const values: string[][] = [];
  const errors: string[] = [];
  const p = createHttp2Parser({
    onHeaders: (h) => values.push(names.map((n) => (h.lookup[n] ?? []).join())),
    onError: (e) => errors.push(e.message),
  }, { direction });
  p.feed(bytes);
  p.end();
  assert.deepEqual(errors, [], `${direction} still parses`);
  return values;
}

Deno.test("the real h2c bytes hold the secrets the test looks for", () => {
  assert.ok(headerValues(C, "client", ["authorization"]).every(([v]) => v.startsWith("Bearer")));
  const s = utf8(CLIENT_SECRETS.authorization);
  const h = huffmanEncode(s);
  assert.ok(contains(C, s) || contains(C, h.subarray(0, h.length - 1)));
});

Deno.test("h2c: the reference redaction masks every secret and changes nothing else", () => {
  assertNoSecret(REF_C, "client");
  assertNoSecret(REF_S, "server");
  const names = Object.keys(CLIENT_SECRETS);
  for (const row of headerValues(REF_C, "client", names)) {
    for (const v of row) assert.match(v, /^[*x_0]+$/);
  }
  // set-cookie masked; the session id its keyed string, in both answers (one indexed)
  const sid = SERVER_SECRETS["mcp-session-id"];
  for (const [cookie, id] of headerValues(REF_S, "server", Object.keys(SERVER_SECRETS))) {
    assert.match(cookie, /^[*x_0]+$/);
    assert.equal(id, testDigest(sid));
  }
  // the bytes that differ are at most the secrets' wire octets
  const differ = (a: Uint8Array, b: Uint8Array) => a.filter((x, i) => x !== b[i]).length;
  const budget = SECRETS.reduce((n, s) => n + s.length, 0) * 2;
  assert.ok(differ(C, REF_C) > 0 && differ(C, REF_C) <= budget);
  assert.ok(differ(S, REF_S) > 0 && differ(S, REF_S) <= budget);
  assert.equal(REF_C.length, C.length);
  assert.equal(REF_S.length, S.length);
});

Deno.test("h2c from the client's socket: preface first, cut every way", () => {
  for (const { label, chunks } of chunkings(C, { randomRuns: 10 })) {
    const [w, r] = run([...chunks.map((c): [0, Uint8Array] => [0, c]), [1, S]]);
    assert.deepEqual(w, REF_C, `client bytes, ${label}`);
    assert.deepEqual(r, REF_S, `server bytes, ${label}`);
  }
  // the two directions' calls interleaved, one byte of each at a time
  const calls: [0 | 1, Uint8Array][] = [];
  for (let i = 0; i < Math.max(C.length, S.length); i++) {
    if (i < C.length) calls.push([0, C.subarray(i, i + 1)]);
    if (i < S.length) calls.push([1, S.subarray(i, i + 1)]);
  }
  assert.deepEqual(run(calls), [REF_C, REF_S], "interleaved byte by byte");
});

Deno.test("h2c from the server's socket: its SETTINGS first, cut every way", () => {
  assert.equal(startsWithHttp2Settings(S), 1);
  assert.equal(startsWithHttp2Settings(S.subarray(0, 5)), -1);
  assert.equal(startsWithHttp2Settings(utf8("HTTP/1.1 200 OK")), 0);
  for (const { label, chunks } of chunkings(S, { randomRuns: 10 })) {
    const [w, r] = run([...chunks.map((c): [0, Uint8Array] => [0, c]), [1, C]]);
    assert.deepEqual(w, REF_S, `server bytes, ${label}`);
    assert.deepEqual(r, REF_C, `client bytes, ${label}`);
  }
});

const H1_REQ = "POST /messages?sessionId=" + SESSION + " HTTP/1.1\r\nHost: 127.0.0.1:5\r\n" +
  "Authorization: Bearer sk-h1-abc\r\nCookie: a=b\r\nContent-Length: 75\r\n\r\n" +
  '{"method":"initialize","params":{"env":{"API_TOKEN":"tk"}},"jsonrpc":"2.0"}';
const H1_ANS = "HTTP/1.1 200 OK\r\nMcp-Session-Id: sess-77\r\nContent-Length: 2\r\n\r\n{}";
// HTTP+SSE's session in the URL: its keyed digest too (URL-safe), so two sessions stay two
const H1_REQ_MASKED = "POST /messages?sessionId=" + testParamDigest(SESSION) +
  " HTTP/1.1\r\nHost: 127.0.0.1:5\r\nAuthorization: ****************\r\nCookie: ***\r\n" +
  'Content-Length: 75\r\n\r\n{"method":"initialize","params":{"env":{"API_TOKEN":"**"}},"jsonrpc":"2.0"}';
// the session id: its keyed digest (the recording's key; the test's here), same length
const H1_ANS_MASKED = `HTTP/1.1 200 OK\r\nMcp-Session-Id: ${
  testDigest("sess-77")
}\r\nContent-Length: 2\r\n\r\n{}`;

Deno.test("HTTP/1 on loopback is redacted as before, cut every way", () => {
  const dec = new TextDecoder();
  for (const { label, chunks } of chunkings(utf8(H1_REQ), { randomRuns: 5 })) {
    const [w, r] = run([...chunks.map((c): [0, Uint8Array] => [0, c]), [1, utf8(H1_ANS)]]);
    assert.equal(dec.decode(w), H1_REQ_MASKED, label);
    assert.equal(dec.decode(r), H1_ANS_MASKED, label);
  }
  // a stream that begins like the preface but is not one: HTTP/1 once it cannot be
  const odd = "PRI * HTTP/1.1\r\nCookie: c\r\n\r\n";
  for (const { label, chunks } of chunkings(utf8(odd))) {
    const [w] = run(chunks.map((c): [0, Uint8Array] => [0, c]));
    assert.equal(dec.decode(w), "PRI * HTTP/1.1\r\nCookie: *\r\n\r\n", label);
  }
  // a preface cut short at the end of the capture: no proven start (protocols/stream_start.ts),
  // so a gap of unknown landing: masked, same length
  const [w] = run([[0, C.subarray(0, 10)]]);
  assert.equal(dec.decode(w), "*".repeat(10));
  // pipes: no HTTP/2 there, JSON as before
  const [p] = run([[0, utf8('{"jsonrpc":"2.0","params":{"token":"tk-9"}}')]], { kind: "pipe" });
  assert.equal(dec.decode(p), '{"jsonrpc":"2.0","params":{"token":"****"}}');
});

Deno.test("h2c upgrade: HTTP/1 up to the 101's head, HTTP/2 after, both directions", () => {
  const req = utf8(
    "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, HTTP2-Settings\r\n" +
      "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n" +
      "Authorization: Bearer sk-h1-upgrade\r\n\r\n",
  );
  const ans = utf8(
    "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n",
  );
  const reqMasked = new TextDecoder().decode(req).replace("Bearer sk-h1-upgrade", "*".repeat(20));
  const server = concatBytes([ans, S]);
  const want = (head: Uint8Array, ref: Uint8Array) => concatBytes([head, ref]);
  for (const { label, chunks } of chunkings(server, { randomRuns: 10, skipByteByByte: true })) {
    // the client's socket: request, then the 101 (and SETTINGS...), then the preface
    const [w, r] = run([[0, req], ...chunks.map((c): [1, Uint8Array] => [1, c]), [0, C]]);
    assert.deepEqual(w, want(utf8(reqMasked), REF_C), `client bytes, ${label}`);
    assert.deepEqual(r, want(ans, REF_S), `server bytes, ${label}`);
  }
  // byte by byte both ways, in the order the protocol allows
  const bytes = (b: Uint8Array, dir: 0 | 1) =>
    Array.from(b, (_, i): [0 | 1, Uint8Array] => [dir, b.subarray(i, i + 1)]);
  const [w, r] = run([...bytes(req, 0), ...bytes(server, 1), ...bytes(C, 0)]);
  assert.deepEqual([w, r], [want(utf8(reqMasked), REF_C), want(ans, REF_S)]);
  assertNoSecret(w, "upgraded client");
  // a WebSocket upgrade: HTTP/1 again after the 101, its frames left as they are
  const ws = utf8("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello");
  const wsReq = utf8(
    "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n\x81\x85abcd\x09\x07\x0f\x08\x0e",
  );
  const head = new TextDecoder().decode(wsReq).indexOf("\r\n\r\n") + 4;
  assert.deepEqual(
    run([[0, wsReq.subarray(0, head)], [1, ws], [0, wsReq.subarray(head)]]),
    [wsReq, ws],
  );
});

Deno.test("h2c upgrade after 1xx interim responses: HTTP/2 after the 101, not the 100", () => {
  // RFC 9110 15.2: any number of 1xx before the final response; the upgrade's 101 is final
  const req = utf8(
    "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, HTTP2-Settings\r\n" +
      "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\nExpect: 100-continue\r\n" +
      "Content-Length: 2\r\nAuthorization: Bearer sk-h1-continue\r\n\r\n",
  );
  const body = utf8("{}");
  const reqMasked = new TextDecoder().decode(req).replace("Bearer sk-h1-continue", "*".repeat(21));
  const interim = [
    "HTTP/1.1 100 Continue\r\n\r\n",
    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n",
  ];
  const ans = utf8(
    "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n",
  );
  for (const pre of interim.map(utf8)) {
    const server = concatBytes([pre, ans, S]);
    const wantW = concatBytes([utf8(reqMasked), body, REF_C]);
    const wantR = concatBytes([pre, ans, REF_S]);
    const runs = [...chunkings(server, { randomRuns: 10, skipByteByByte: true })];
    const byByte = Array.from(server, (_, i) => server.subarray(i, i + 1));
    runs.push({ label: "byte-by-byte", chunks: byByte });
    for (const { label, chunks } of runs) {
      // the client's socket: request, the interim answers, the body (sent before the 101 can
      // come: before the first read past them), the rest of the answer, the preface
      const calls: [0 | 1, Uint8Array][] = [[0, req]];
      let end = 0;
      for (const c of chunks) {
        end += c.length;
        if (end > pre.length && !calls.some(([, d]) => d === body)) calls.push([0, body]);
        calls.push([1, c]);
      }
      calls.push([0, C]);
      const [w, r] = run(calls);
      assert.deepEqual(w, wantW, `client bytes, ${label}`);
      assert.deepEqual(r, wantR, `server bytes, ${label}`);
      assertNoSecret(r, `server after ${label}`);
      assertNoSecret(w, `client after ${label}`);
    }
  }
  // an interim response, then a final 200: HTTP/1 throughout, its secret header masked
  const h1 = utf8(
    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nSet-Cookie: sid=SECRET-200\r\n" +
      "Content-Length: 2\r\n\r\n{}",
  );
  const h1Masked = new TextDecoder().decode(h1).replace("sid=SECRET-200", "*".repeat(14));
  for (const { label, chunks } of chunkings(h1, { randomRuns: 5 })) {
    const [, r] = run([[0, req], ...chunks.map((c): [1, Uint8Array] => [1, c])]);
    assert.equal(new TextDecoder().decode(r), h1Masked, label);
  }
});

Deno.test("h2c calls wait, in order, while the HTTP/2 code loads; lost if it never does", async () => {
  for (const loads of [true, false]) {
    let loaded = false;
    const factory: H2RedactorFactory = Object.assign(
      (shared?: Http2Exchanges, digest?: SessionDigest) =>
        loaded && loads ? h2RedactorFactory(shared, digest) : undefined,
      { ready: () => Promise.resolve().then(() => void (loaded = true)) },
    );
    const out: RedactableCall[] = [];
    const r = new IpcRedactor({ h2Redactor: factory, digest: TEST_DIGEST }, (c) => out.push(c));
    const parts = [C.subarray(0, 30), C.subarray(30)];
    let off = 0n;
    for (const data of parts) {
      r.push({
        inode: 1n,
        dir: 0,
        kind: "tcp",
        streamOff: off,
        total: data.length,
        data,
        truncated: false,
        lost: 0,
      });
      off += BigInt(data.length);
    }
    assert.equal(out.length, 0, "held while loading");
    await factory.ready!();
    await Promise.resolve();
    r.finish();
    assert.equal(out.length, 2);
    if (loads) assert.deepEqual(concatBytes(out.map((c) => c.data)), REF_C);
    else {
      assert.deepEqual(out.map((c) => [c.data.length, c.lost]), [[0, 30], [0, C.length - 30]]);
    }
  }
});

Deno.test("h2c: after a gap the direction is not recorded (counted lost); HTTP/1 goes on", () => {
  const out: RedactableCall[] = [];
  const r = new IpcRedactor({ h2Redactor: h2RedactorFactory }, (c) => out.push(c));
  const call = (inode: bigint, streamOff: number, data: Uint8Array): RedactableCall => ({
    inode,
    dir: 0,
    kind: "tcp",
    streamOff: BigInt(streamOff),
    total: data.length,
    data,
    truncated: false,
    lost: 0,
  });
  r.push(call(1n, 0, C.subarray(0, 100)));
  r.push(call(1n, 150, C.subarray(150, 200))); // 50 bytes never seen
  r.push(call(1n, 200, C.subarray(200)));
  const h1 = utf8(H1_REQ);
  r.push(call(2n, 0, h1.subarray(0, 20)));
  r.push(call(2n, 30, h1.subarray(30)));
  r.finish();
  const h2 = out.filter((c) => c.inode === 1n);
  assert.equal(h2.length, 3);
  assert.deepEqual(h2.slice(1).map((c) => [c.data.length, c.lost]), [[0, 50], [0, C.length - 200]]);
  assertNoSecret(concatBytes(h2.map((c) => c.data)), "before the gap");
  // a gap in a head: the rest of it masked but punctuation, the JSON-RPC body by the key rule
  const rest = new TextDecoder().decode(out.filter((c) => c.inode === 2n)[1].data);
  assert.ok(!rest.includes("sk-h1-abc") && !rest.includes("Cookie: a=b"), rest);
  assert.ok(
    rest.endsWith('{"method":"initialize","params":{"env":{"API_TOKEN":"**"}},"jsonrpc":"2.0"}'),
    rest,
  );
});
