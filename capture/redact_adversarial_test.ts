/**
 * An adversarial check of the capture's redaction (tls_streams.ts over TLS, ipc_redact.ts over
 * TCP): real HTTP/1.1 exchanges as agents send them, each carrying secrets (API keys in
 * headers and the query, an MCP session header, a JSON-RPC secret, an SSE endpoint's
 * sessionId in a chunked body), split at every byte into two calls and at random into many, and
 * cut by gaps (a lost call, bytes a cut call did not keep, or a zero-filled hole in a call) at
 * offsets and lengths drawn from a fixed seed, with the rest split at random: no 8 bytes of any
 * secret may be in any output. A capture may also join a connection already under way (its
 * counters at 0, so it looks fresh): its first bytes the middle of a head, a JSON-RPC body, an
 * event stream or HTTP/2 frames, whole, byte by byte and split at every byte, must come out
 * masked or withheld (protocols/stream_start.ts), while a fresh exchange comes out unchanged.
 */
import assert from "node:assert/strict";
import type { TlsCall } from "./tls_assembler.ts";
import { type RedactedCall, TlsStreams } from "./tls_streams.ts";
import { IpcRedactor, type RedactableCall } from "./ipc_redact.ts";
import { h2RedactorFactory, loadH2Redactor } from "./h2_glue.ts";
import { h2KeysUnderPlainNames, TEST_DIGEST } from "../protocols/testing.ts";
import { concatBytes } from "../kit/bytes.ts";
import { readMcpHttpFixture } from "../protocols/testdata/mcp_http_fixture.ts";
import { encodeIndexed, encodeLiteral } from "../protocols/hpack_encode.ts";
import { encodeFrame, FrameType } from "../protocols/http2_frame.ts";
import { huffmanEncode } from "../protocols/hpack_huffman.ts";
import { webSocketFrameHeader } from "../protocols/websocket_frame.ts";
import {
  type BodyMaskCounts,
  MAX_DECODED_BODY,
  MAX_ENCODED_BODY,
} from "../protocols/http1_body_secrets.ts";

const enc = new TextEncoder();

/** Secrets: none shares 8 bytes with anything else in the streams. */
const KEYS = {
  anthropic: "sk-ant-api03-Qw7Zr2Lk9Xv4Tn8Pb3Hs6Jd1",
  openai: "sk-proj-Vm5Gc8Yx2Nq7Rw4Kz9Lt3Fb6",
  gemini: "AIzaSyQp4Wk8Nz2Xr7Mv5Jc9Hb3Td",
  mcpSession: "9f3c2a71-5be4-4d86-b0a2-7c1e5d9f4a63",
  jsonrpc: "ghp_Tz8Kq3Wm6Yx1Vr5Nb9Lc2Hj7",
  cookie: "sess_Pq4Zx8Wn2Kv6Rt9Mb3Yc7",
  password: "hunter2-Xc8Vb4Nm7Lk2Jh5",
  proxy: "sk-Rf6Tg9Yh2Uj5Ik8Ol3Pz1",
  basic: "dXNlcjpTM2NyM3QtUGFzcw==",
};

function httpRequest(head: string, body: string): string {
  return `${head}content-length: ${enc.encode(body).length}\r\n\r\n${body}`;
}

/** Client streams as agents send them (keep-alive: several requests on one connection). */
function clientStreams(): string[] {
  const messages = JSON.stringify({
    model: "claude-sonnet-4-5",
    max_tokens: 1024,
    stream: true,
    messages: [{ role: "user", content: "list the files in this directory" }],
  });
  const anthropic = httpRequest(
    "POST /v1/messages?beta=true HTTP/1.1\r\nhost: api.anthropic.com\r\nConnection: keep-alive\r\n" +
      `Accept: application/json\r\nX-Api-Key: ${KEYS.anthropic}\r\nanthropic-version: 2023-06-01\r\n` +
      "content-type: application/json\r\nUser-Agent: claude-cli/2.0.1 (external, cli)\r\n",
    messages,
  );
  const openai = httpRequest(
    "POST /v1/chat/completions HTTP/1.1\r\nHost: api.openai.com\r\n" +
      `Authorization: Bearer ${KEYS.openai}\r\nContent-Type: application/json\r\n` +
      "User-Agent: OpenAI/JS 4.104.0\r\nX-Stainless-Lang: js\r\n",
    messages,
  );
  const gemini = httpRequest(
    `POST /v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse&key=${KEYS.gemini} HTTP/1.1\r\n` +
      "Host: generativelanguage.googleapis.com\r\ncontent-type: application/json\r\n",
    JSON.stringify({ contents: [{ role: "user", parts: [{ text: "hello" }] }] }),
  );
  const mcp = httpRequest(
    "POST /mcp HTTP/1.1\r\nhost: 127.0.0.1:8931\r\naccept: application/json, text/event-stream\r\n" +
      `content-type: application/json\r\nmcp-session-id: ${KEYS.mcpSession}\r\n` +
      `Cookie: sid=${KEYS.cookie}\r\n`,
    JSON.stringify({
      jsonrpc: "2.0",
      id: 7,
      method: "tools/call",
      params: { name: "deploy", arguments: { api_key: KEYS.jsonrpc, target: "prod" } },
    }),
  );
  // an MCP POST sent chunked, a chunk boundary (with an extension) inside the JSON-RPC secret,
  // then a request in odd case and spacing
  const rpc = JSON.stringify({
    jsonrpc: "2.0",
    id: 8,
    method: "tools/call",
    params: { name: "login", arguments: { password: KEYS.password, user: "ci" } },
  });
  const k = rpc.indexOf(KEYS.password) + 9;
  const chunked = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:8931\r\nTransfer-Encoding: chunked\r\n" +
    "Content-Type: application/json\r\n\r\n" +
    `${k.toString(16)}\r\n${rpc.slice(0, k)}\r\n${(rpc.length - k).toString(16)};x=1\r\n` +
    `${rpc.slice(k)}\r\n0\r\n\r\n`;
  const odd = httpRequest(
    `GET /v1/models HTTP/1.1\r\nHOST: api.openai.com\r\nAUTHORIZATION:Bearer ${KEYS.proxy}\r\n` +
      `proxy-authorization :\tBasic ${KEYS.basic}\r\n`,
    "",
  );
  return [anthropic + openai, gemini + mcp, chunked + odd];
}

/** The SSE fixture's answer (real bytes), its endpoint event's id a secret, re-chunked. */
async function serverStream(): Promise<{ text: string; id: string }> {
  const conns = await readMcpHttpFixture("sse");
  const server = conns.find((c) => c.server.length)!.server;
  const text = Array.from(server, (c) => String.fromCharCode(c)).join("");
  const id = /sessionId=([0-9a-f-]+)/.exec(text)![1];
  // a chunk boundary in the middle of the id, as a server's write may put it
  const m = /\r\n([0-9a-f]+)\r\n(event: endpoint\r?\ndata: [^\r\n]*?sessionId=)/.exec(text)!;
  const ev = text.slice(m.index + m[1].length + 4, m.index + m[1].length + 4 + parseInt(m[1], 16));
  const k = ev.indexOf(id) + 11;
  const rechunked = text.replace(
    `${m[1]}\r\n${ev}`,
    `${k.toString(16)}\r\n${ev.slice(0, k)}\r\n${(ev.length - k).toString(16)}\r\n${ev.slice(k)}`,
  );
  return { text: rechunked, id };
}

/** A seeded generator (mulberry32): the same cases every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One piece of a direction: bytes, and how many were lost right before them. */
interface Piece {
  data: Uint8Array;
  /** lost before: undefined none, "call" a whole call (how many bytes: unknown), n bytes cut */
  lostBefore?: "call" | number;
  /** a hole in the call: [start, end) of `data` zero-filled (lost chunks, unreadable memory) */
  hole?: [number, number];
}

/** A TLS call of connection 3 (its bytes all recorded unless `over` says otherwise). */
function tlsCall(dir: 0 | 1, seq: number, data: Uint8Array, over: Partial<TlsCall> = {}): TlsCall {
  return {
    pid: 1,
    tid: 1,
    ts: BigInt(seq),
    conn: 3n,
    gen: 0,
    dir,
    seq: BigInt(seq),
    total: data.length,
    data,
    truncated: false,
    lost: 0,
    target: 1,
    ...over,
  };
}

function tlsRun(pieces: Piece[], dir: 0 | 1, counts?: BodyMaskCounts): Uint8Array {
  const out: RedactedCall[] = [];
  const s = new TlsStreams(
    { keepSecrets: false, h2Redactor: h2RedactorFactory, digest: TEST_DIGEST, counts },
    (r) => out.push(r),
  );
  let seq = 0;
  pieces.forEach((p, k) => {
    const next = pieces[k + 1];
    if (p.lostBefore === "call") seq++;
    const cutAfter = typeof next?.lostBefore === "number" ? next.lostBefore : 0;
    s.push(tlsCall(dir, seq++, p.data, {
      total: p.data.length + cutAfter,
      truncated: cutAfter > 0,
      lost: cutAfter + (p.hole ? p.hole[1] - p.hole[0] : 0),
      ...(p.hole ? { holes: p.hole } : {}),
    }));
  });
  s.finish();
  return concatBytes(out.map((r) => r.data));
}

function ipcRun(pieces: Piece[], dir: 0 | 1, counts?: BodyMaskCounts): Uint8Array {
  const out: RedactableCall[] = [];
  const r = new IpcRedactor({ h2Redactor: h2RedactorFactory, digest: TEST_DIGEST, counts }, (c) => {
    out.push(c);
  });
  let off = 0;
  for (const p of pieces) {
    if (p.lostBefore === "call") off += 1000; // a lost call of some length
    if (typeof p.lostBefore === "number") off += p.lostBefore;
    r.push({
      inode: 5n,
      dir,
      kind: "tcp",
      streamOff: BigInt(off),
      total: p.data.length,
      data: p.data,
      truncated: false,
      lost: p.hole ? p.hole[1] - p.hole[0] : 0,
      ...(p.hole ? { holes: p.hole } : {}),
    });
    off += p.data.length;
  }
  r.finish();
  return concatBytes(out.map((c) => c.data));
}

/** Whether `out` holds 8 bytes in a row of any of `secrets`; which, for the message. */
function leak(out: Uint8Array, secrets: string[]): string | null {
  const text = Array.from(out, (c) => String.fromCharCode(c)).join("");
  for (const s of secrets) {
    for (let a = 0; a + 8 <= s.length; a++) {
      if (text.includes(s.slice(a, a + 8))) return s.slice(a, a + 8);
    }
  }
  return null;
}

const bytesOf = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const latin1 = (b: Uint8Array) => Array.from(b, (c) => String.fromCharCode(c)).join("");

/** Every two-call split, and `gaps` cases of a gap at a drawn place, the rest split at random. */
function check(label: string, text: string, secrets: string[], dir: 0 | 1, gaps: number) {
  const input = bytesOf(text);
  const runs: [string, (p: Piece[], d: 0 | 1) => Uint8Array][] = [["tls", tlsRun], [
    "tcp",
    ipcRun,
  ]];
  // with nothing lost, nothing withheld: every byte out, start lines and Host as they were
  const kept = text.split("\r\n").filter((l) =>
    /^(GET|POST|PUT|DELETE) [^ ]+ HTTP\/1\.1$|^HTTP\/1\.1 \d{3}|^host:/i.test(l) &&
    !secrets.some((s) => l.includes(s.slice(0, 8)))
  );
  assert.ok(kept.length > 0, `${label}: a start line to keep`);
  const whole = (how: string, what: string, out: Uint8Array) => {
    assert.equal(out.length, input.length, `${how} ${label}: ${what}: every byte out`);
    const outText = Array.from(out, (c) => String.fromCharCode(c)).join("");
    for (const l of kept) assert.ok(outText.includes(l), `${how} ${label}: ${what}: ${l} kept`);
  };
  for (const [how, run] of runs) {
    for (let at = 0; at <= input.length; at++) {
      const pieces = [{ data: input.subarray(0, at) }, { data: input.subarray(at) }]
        .filter((p) => p.data.length);
      const out = run(pieces, dir);
      const found = leak(out, secrets);
      assert.equal(found, null, `${how} ${label}: split at ${at}: ${found} out`);
      whole(how, `split at ${at}`, out);
    }
    const rnd = random(0x5ec7e7 + input.length);
    for (let r = 0; r < 100; r++) {
      // many calls, cut at random places (a TLS record or write at every size)
      const at = [...new Set(Array.from({ length: 12 }, () => Math.floor(rnd() * input.length)))]
        .sort((a, b) => a - b);
      const bounds = [0, ...at, input.length];
      const pieces = bounds.slice(1).map((c, k) => ({ data: input.subarray(bounds[k], c) }))
        .filter((p) => p.data.length);
      const out = run(pieces, dir);
      const found = leak(out, secrets);
      assert.equal(
        found,
        null,
        `${how} ${label}: calls ${pieces.map((p) => p.data.length)}: ${found} out`,
      );
      whole(how, `calls ${pieces.map((p) => p.data.length)}`, out);
    }
    for (let g = 0; g < gaps; g++) {
      const gapAt = Math.floor(rnd() * input.length);
      const lost = 1 + Math.floor(rnd() * 40);
      const kind: "call" | number = rnd() < 0.5 ? "call" : lost;
      const end = Math.min(input.length, gapAt + lost);
      // the bytes before the gap and after it (those in it lost), each side split at random
      const side = (a: number, b: number): Piece[] => {
        const cuts = Array.from({ length: 2 }, () => a + Math.floor(rnd() * (b - a)));
        const at = [...new Set([a, ...cuts, b])].sort((x, y) => x - y);
        return at.slice(1).map((c, k) => ({ data: input.subarray(at[k], c) }))
          .filter((p) => p.data.length);
      };
      const before = side(0, gapAt), after = side(end, input.length);
      if (!after.length) continue;
      after[0].lostBefore = before.length ? kind : "call";
      const pieces = [...before, ...after];
      if (g % 4 === 3) {
        // or instead of the lost bytes, a hole of their length in one call (zeros in their place)
        const whole = input.slice(0, Math.min(input.length, gapAt + 60));
        const b = Math.min(whole.length, gapAt + lost);
        whole.fill(0, gapAt, b);
        pieces.length = 0;
        if (b > gapAt) pieces.push({ data: whole, hole: [gapAt, b] });
        if (whole.length < input.length) pieces.push({ data: input.subarray(whole.length) });
      }
      const found = leak(run(pieces, dir), secrets);
      assert.equal(
        found,
        null,
        `${how} ${label}: gap of ${lost} (${
          g % 4 === 3 ? "hole" : kind === "call" ? "lost call" : "cut"
        }) at ${gapAt}, ` +
          `pieces ${pieces.map((p) => p.data.length)}: ${found} out`,
      );
    }
  }
}

Deno.test("adversarial: agents' requests with secrets (header keys, ?key=, MCP session, JSON-RPC api_key, cookie), split at every byte and cut by gaps at drawn places: no 8 bytes of a secret out", async () => {
  await loadH2Redactor(); // a first call that is a start of the h2 preface ("P") really runs

  const secrets = Object.values(KEYS);
  const streams = clientStreams();
  // planted (one cut by a chunk boundary: its start, before the boundary)
  const planted = (t: string, s: string) => t.includes(s.slice(0, 9));
  for (const s of secrets) assert.ok(streams.some((t) => planted(t, s)), `${s} planted`);
  streams.forEach((text, k) =>
    check(`client ${k}`, text, secrets.filter((s) => planted(text, s)), 0, 400)
  );
});

Deno.test("adversarial: an SSE answer whose endpoint event's sessionId a chunk boundary cuts, split at every byte and cut by gaps at drawn places: no 8 bytes of the id out", async () => {
  await loadH2Redactor();
  const { text, id } = await serverStream();
  // the id cut by the boundary: both halves in the bytes
  assert.ok(text.includes(id.slice(0, 11)) && text.includes(id.slice(11)) && !text.includes(id));
  check("sse server", text, [id], 1, 400);
});

Deno.test("adversarial: a client's start of the h2 preface (P, PR, PRI) then bytes lost or the end, and the server's HTTP/1 answer with Set-Cookie and mcp-session-id split at every byte: none of it out", async () => {
  await loadH2Redactor();
  const answer = bytesOf(
    `HTTP/1.1 400 Bad Request\r\nmcp-session-id: ${KEYS.mcpSession}\r\n` +
      `Set-Cookie: s=${KEYS.cookie}\r\ncontent-length: 0\r\n\r\n`,
  );
  const call = tlsCall;
  for (const start of ["P", "PR", "PRI"]) {
    for (const lostAfter of [true, false]) {
      for (let at = 0; at <= answer.length; at++) {
        const out: RedactedCall[] = [];
        const s = new TlsStreams(
          { keepSecrets: false, h2Redactor: h2RedactorFactory, digest: TEST_DIGEST },
          (r) => out.push(r),
        );
        s.push(call(0, 0, bytesOf(start)));
        if (lostAfter) s.push(call(0, 2, bytesOf(" * HTTP/2.0")));
        let seq = 0;
        for (const p of [answer.subarray(0, at), answer.subarray(at)]) {
          if (p.length) s.push(call(1, seq++, p));
        }
        s.finish();
        const found = leak(concatBytes(out.map((r) => r.data)), [KEYS.mcpSession, KEYS.cookie]);
        assert.equal(found, null, `${start}${lostAfter ? " + lost" : ""}, split at ${at}`);
      }
    }
  }
});

/** Whole, byte by byte, and split at every byte into two calls: each way of calling `input`. */
function everyCalling(input: Uint8Array): [string, Piece[]][] {
  const ways: [string, Piece[]][] = [
    ["whole", [{ data: input }]],
    ["byte by byte", Array.from(input, (_, i) => ({ data: input.subarray(i, i + 1) }))],
  ];
  for (let at = 1; at < input.length; at++) {
    ways.push([`split at ${at}`, [{ data: input.subarray(0, at) }, { data: input.subarray(at) }]]);
  }
  return ways;
}

const RUNS: [string, (p: Piece[], d: 0 | 1, counts?: BodyMaskCounts) => Uint8Array][] = [
  ["tls", tlsRun],
  ["tcp", ipcRun],
];

/** An MCP tools/call whose arguments carry a key: what follows a joined start in these tests. */
const RPC_WITH_KEY = JSON.stringify({
  jsonrpc: "2.0",
  id: 3,
  method: "tools/call",
  params: { name: "x", arguments: { api_key: KEYS.gemini, note: "hi" } },
});

Deno.test("adversarial: a connection joined mid-stream (a head's value, a JSON-RPC body's tail, a pretty-printed body's lines, an SSE event), whole, byte by byte and at every split: no 8 bytes of a secret out, every byte's place kept", async () => {
  await loadH2Redactor();
  const rpc = RPC_WITH_KEY;
  const next = `POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Length: ${rpc.length}\r\n\r\n${rpc}`;
  const cases: [string, string, string[], 0 | 1][] = [
    [
      "in a header value",
      `${KEYS.anthropic}\r\nCookie: s=${KEYS.cookie}\r\nContent-Length: ${rpc.length}\r\n\r\n${rpc}`,
      [KEYS.anthropic, KEYS.cookie, KEYS.gemini],
      0,
    ],
    [
      "in a head",
      `ost: x\r\nAuthorization: Bearer ${KEYS.openai}\r\nmcp-session-id: ${KEYS.mcpSession}\r\n` +
      `Content-Length: ${rpc.length}\r\n\r\n${rpc}`,
      [KEYS.openai, KEYS.mcpSession, KEYS.gemini],
      0,
    ],
    [
      "in a response's head",
      `=${KEYS.cookie}; Path=/\r\nmcp-session-id: ${KEYS.mcpSession}\r\ncontent-length: 2\r\n\r\n{}`,
      [KEYS.cookie, KEYS.mcpSession],
      1,
    ],
    ["in a JSON-RPC body, then a request", rpc.slice(40) + next, [KEYS.gemini], 0],
    // text whose first bytes read as a WebSocket frame header (`A`, `B`: RSV1, no FIN), never
    // taken for a WebSocket joined after its upgrade (protocols/websocket_start.ts)
    [
      "a key first (a frame header's lookalike)",
      `${KEYS.gemini}${KEYS.gemini}${KEYS.gemini}
Authorization: Bearer ${KEYS.openai}

`,
      [KEYS.gemini, KEYS.openai],
      0,
    ],
    [
      "a Bearer value first",
      `Bearer ${KEYS.openai}
Cookie: s=${KEYS.cookie}

`,
      [KEYS.openai, KEYS.cookie],
      0,
    ],
    [
      "an Authorization header first",
      `Authorization: Bearer ${KEYS.anthropic}
Content-Length: 2

{}`,
      [KEYS.anthropic],
      0,
    ],
    ["a JSON body first", `{"api_key":"${KEYS.proxy}","jsonrpc":"2.0"}`, [KEYS.proxy], 1],
    [
      "in a pretty-printed body",
      `      "api_key": "${KEYS.jsonrpc}",\n      "x": 1\n    }\n  }\n}`,
      [KEYS.jsonrpc],
      0,
    ],
    [
      "in an event stream",
      `event: message\ndata: {"jsonrpc":"2.0","id":1,"result":{"content":[],"token":"${KEYS.gemini}"}}\n\n`,
      [KEYS.gemini],
      1,
    ],
    [
      "in a chunked event stream (endpoint)",
      `\r\n3a\r\nevent: endpoint\r\ndata: /messages?sessionId=${KEYS.mcpSession}\r\n\r\n\r\n`,
      [KEYS.mcpSession],
      1,
    ],
  ];
  for (const [label, text, secrets, dir] of cases) {
    const input = bytesOf(text);
    for (const [how, run] of RUNS) {
      for (const [way, pieces] of everyCalling(input)) {
        const out = run(pieces, dir);
        const found = leak(out, secrets);
        assert.equal(found, null, `${how} ${label}, ${way}: ${found} out`);
        assert.equal(out.length, input.length, `${how} ${label}, ${way}: every byte's place`);
      }
    }
  }
});

Deno.test("adversarial: an HTTP/2 connection joined mid-stream (no preface: HEADERS with a never-indexed authorization, raw or Huffman, then a JSON-RPC DATA), whole, byte by byte and at every split: withheld, nothing out", async () => {
  await loadH2Redactor();
  const auth = `Bearer ${KEYS.openai}`;
  const body = JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "tools/call",
    params: { arguments: { api_key: KEYS.gemini } },
  });
  for (const huffman of [false, true]) {
    const block = Uint8Array.from([
      ...encodeIndexed(3),
      ...encodeIndexed(7),
      ...encodeLiteral(4, "/mcp", "without", huffman),
      ...encodeLiteral(1, "127.0.0.1", "without", huffman),
      ...encodeLiteral(23, auth, "never", huffman),
    ]);
    const input = concatBytes([
      encodeFrame(FrameType.HEADERS, 4, 5, block),
      encodeFrame(FrameType.DATA, 1, 5, bytesOf(body)),
    ]);
    const huff = Array.from(
      huffmanEncode(bytesOf(auth)).subarray(4, 12),
      (c) => String.fromCharCode(c),
    ).join("");
    for (const dir of [0, 1] as const) {
      for (const [how, run] of RUNS) {
        for (const [way, pieces] of everyCalling(input)) {
          const out = run(pieces, dir);
          const label = `${how} huffman=${huffman} dir ${dir}, ${way}`;
          assert.equal(leak(out, [KEYS.openai, KEYS.gemini, huff]), null, label);
          assert.equal(out.length, 0, `${label}: withheld`);
        }
      }
    }
  }
});

Deno.test("adversarial: a fresh request and answer (no secret) come out unchanged, whole, byte by byte and at every split", async () => {
  await loadH2Redactor();
  const rpc = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" });
  const request = httpRequest("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:8931\r\n", rpc);
  const answer = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\n" +
    'event: message\ndata: {"jsonrpc":"2.0","id":1,"result":{"tools":[]}}\n\n';
  for (const [text, dir] of [[request, 0], [answer, 1]] as const) {
    const input = bytesOf(text);
    for (const [how, run] of RUNS) {
      for (const [way, pieces] of everyCalling(input)) {
        assert.deepEqual(run(pieces, dir), input, `${how} dir ${dir}, ${way}`);
      }
    }
  }
});

Deno.test("adversarial: a joined direction that only looks like WebSocket frames at its start (non-ASCII text: `°` is a masked binary frame of 48 bytes; a lone ping; a bare binary frame), then an MCP POST with a JSON-RPC secret, whole, byte by byte and at every split: no 8 bytes of the secret out", async () => {
  await loadH2Redactor();
  const rpc = RPC_WITH_KEY;
  const post = bytesOf(
    `POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Length: ${rpc.length}\r\n\r\n${rpc}`,
  );
  // C2 B0: FIN, RSV1, binary, masked, 48 bytes: 54 bytes of UTF-8 text are one whole frame
  const degree = new TextEncoder().encode("° was the reading at noon, and it held steady");
  const utf8 = concatBytes([degree, new Uint8Array(54 - degree.length).fill(0x2e)]);
  assert.equal(webSocketFrameHeader(utf8) !== null, true, "the text reads as a frame header");
  const cases: [string, Uint8Array][] = [
    ["non-ASCII UTF-8 text", utf8],
    ["a lone masked ping", Uint8Array.from([0x89, 0x80, 1, 2, 3, 4])],
    ["a bare masked binary frame", Uint8Array.from([0x82, 0x80, 1, 2, 3, 4])],
  ];
  for (const [label, first] of cases) {
    const input = concatBytes([first, post]);
    // the lookalike its own first call, the POST after it (as the reported case), and every
    // other calling
    const ways: [string, Piece[]][] = [["two calls", [{ data: first }, { data: post }]]];
    ways.push(...everyCalling(input));
    for (const [how, run] of RUNS) {
      for (const [way, pieces] of ways) {
        const out = run(pieces, 0);
        const found = leak(out, [KEYS.gemini]);
        assert.equal(found, null, `${how} ${label}, ${way}: ${found} out`);
        // masked in place, or withheld whole where its first bytes may be HTTP/2 frames (the ping's)
        assert.ok(
          out.length === input.length || out.length === 0,
          `${how} ${label}, ${way}: every byte's place, or withheld`,
        );
      }
    }
  }
});

Deno.test("adversarial: keys under header names no rule makes secret, over HTTP/2 (literal, Huffman, into the dynamic table and referenced by index, folded; a client's and a server's; a `*-key` name's value masked, an idempotency-key's kept) and HTTP/1 obs-fold lines, whole, byte by byte, at every split and cut by gaps: no 8 bytes of a key out", async () => {
  await loadH2Redactor();
  const keys = [KEYS.anthropic, KEYS.gemini, KEYS.jsonrpc, KEYS.openai, KEYS.proxy];
  const huffman = (k: string) =>
    Array.from(huffmanEncode(bytesOf(k)), (c) => String.fromCharCode(c)).join("");
  const secrets = [...keys, ...keys.map(huffman), KEYS.password, huffman(KEYS.password)];
  const client = h2KeysUnderPlainNames(keys).data;
  const answer = Uint8Array.from([
    ...encodeIndexed(8), // :status 200
    ...encodeLiteral("x-echo", KEYS.gemini, "incremental", true),
    ...encodeLiteral(31, KEYS.openai, "without"), // content-type
    // a `*-key` name is a secret's whatever its value; a nonce's (`idempotency-key`) is kept
    ...encodeLiteral("x-llm-key", KEYS.password, "incremental", true),
    ...encodeLiteral("idempotency-key", "req-7f3a9c", "without"),
  ]);
  const server = concatBytes([
    encodeFrame(FrameType.SETTINGS, 0, 0, []),
    encodeFrame(FrameType.HEADERS, 4, 1, answer),
    encodeFrame(
      FrameType.HEADERS,
      5,
      3,
      Uint8Array.from([...encodeIndexed(8), ...encodeIndexed(62)]),
    ),
  ]);
  for (const [dir, input] of [[0, client], [1, server]] as const) {
    for (const [how, run] of RUNS) {
      for (const [way, pieces] of everyCalling(input)) {
        const out = run(pieces, dir);
        const found = leak(out, secrets);
        assert.equal(found, null, `${how} h2 dir ${dir}, ${way}: ${JSON.stringify(found)} out`);
        assert.equal(out.length, input.length, `${how} h2 dir ${dir}, ${way}: recorded, masked`);
        if (dir === 1) assert.ok(latin1(out).includes("req-7f3a9c"), `${how} ${way}: nonce kept`);
      }
    }
  }
  // HTTP/1: keys on lines folded onto fields whose values went through (and onto a secret's)
  const folded = httpRequest(
    `POST /v1/messages HTTP/1.1\r\nHost: api.anthropic.com\r\nX-Upstream: primary\r\n ${KEYS.anthropic}\r\n` +
      `X-Forward:\r\n\t"${KEYS.gemini}"\r\nX-Note: a\r\n b\r\n  ${KEYS.jsonrpc}\r\n` +
      `Authorization: Bearer\r\n ${KEYS.openai}\r\n`,
    JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 16 }),
  );
  check("obs-fold", folded, [KEYS.anthropic, KEYS.gemini, KEYS.jsonrpc, KEYS.openai], 0, 200);
});

Deno.test("adversarial: keys under header names past 64 bytes (a long token name, one ending in -api-key, a line folded onto it), over TLS and TCP, whole, byte by byte, at every split and cut by gaps: no 8 bytes of a key out", () => {
  const long = "X-" + "a".repeat(70);
  const text = httpRequest(
    `POST /v1/messages HTTP/1.1\r\nHost: api.anthropic.com\r\n${long}: ${KEYS.anthropic}\r\n` +
      `${long}-api-key: ${KEYS.password}\r\n${long}-note: a\r\n ${KEYS.proxy}\r\n`,
    JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 16 }),
  );
  const secrets = [KEYS.anthropic, KEYS.password, KEYS.proxy];
  const input = bytesOf(text);
  for (const [how, run] of RUNS) {
    for (const [way, pieces] of everyCalling(input)) {
      const out = run(pieces, 0);
      const found = leak(out, secrets);
      assert.equal(found, null, `${how} long names, ${way}: ${JSON.stringify(found)} out`);
      assert.equal(out.length, input.length, `${how} long names, ${way}: every byte out`);
    }
  }
  check("long names", text, secrets, 0, 200);
});

Deno.test("adversarial: an HTTP/2 connection joined at a SETTINGS frame (the HPACK table and the streams begun before unknown): DATA of a stream begun before the join, then a request referring to a table entry it never saw, whole, byte by byte and at every split: no 8 bytes of a secret out", async () => {
  await loadH2Redactor();
  const body = bytesOf(RPC_WITH_KEY);
  const auth = `Bearer ${KEYS.openai}`;
  const input = concatBytes([
    encodeFrame(FrameType.SETTINGS, 0, 0, []),
    encodeFrame(FrameType.DATA, 1, 5, body), // stream 5: its HEADERS before the join
    // a request naming its field by a table entry added before the join (unknown): its value
    // cannot be judged by its name, so the block is never let out
    encodeFrame(
      FrameType.HEADERS,
      5,
      7,
      Uint8Array.from([...encodeIndexed(3), ...encodeLiteral(70, auth, "without")]),
    ),
  ]);
  for (const dir of [0, 1] as const) {
    for (const [how, run] of RUNS) {
      for (const [way, pieces] of everyCalling(input)) {
        const out = run(pieces, dir);
        const found = leak(out, [KEYS.gemini, KEYS.openai]);
        assert.equal(found, null, `${how} dir ${dir}, ${way}: ${found} out`);
      }
    }
  }
});

Deno.test("adversarial: encoded requests past the caps (bombs of gzip, br and zstd; a stored gzip past MAX_ENCODED_BODY), over TLS and TCP, whole, in 16 KiB calls and at random: masked whole, counted, no 8 bytes of the key out", async () => {
  const zlib = await import("node:zlib");
  // deno-lint-ignore no-explicit-any
  const z = zlib as any;
  /** a JSON body: `first` member, a key, then `n` spaces */
  const padded = (first: string, n: number) => {
    const head = enc.encode(`{"${first}":"2.0","params":{"api_key":"${KEYS.jsonrpc}"},"pad":"`);
    const b = new Uint8Array(head.length + n + 2).fill(0x20);
    b.set(head);
    b.set(enc.encode('"}'), b.length - 2);
    return b;
  };
  const over = MAX_DECODED_BODY + 1;
  const bodies: [string, Uint8Array][] = [
    ["gzip", zlib.gzipSync(padded("jsonrpc", over))],
    ["br", zlib.brotliCompressSync(padded("model", over))],
    ["zstd", z.zstdCompressSync(padded("method", over))],
    ["gzip", zlib.gzipSync(padded("model", MAX_ENCODED_BODY), { level: 0 })],
  ];
  const rand = random(40);
  for (const [coding, raw] of bodies) {
    const body = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
    const head = enc.encode(
      `POST /messages?x=1 HTTP/1.1\r\nHost: localhost\r\nContent-Encoding: ${coding}\r\n` +
        `Content-Length: ${body.length}\r\n\r\n`,
    );
    const input = concatBytes([head, body]);
    const sliced = (next: () => number) => {
      const pieces: Piece[] = [];
      for (let a = 0; a < input.length;) {
        const n = next();
        pieces.push({ data: input.subarray(a, a + n) });
        a += n;
      }
      return pieces;
    };
    const ways: [string, Piece[]][] = [
      ["whole", [{ data: input }]],
      ["16 KiB calls", sliced(() => 16384)],
      ["at random", sliced(() => 1 + Math.floor(rand() * 40000))],
    ];
    for (const [how, run] of RUNS) {
      for (const [way, pieces] of ways) {
        const label = `${how} ${coding} ${body.length} bytes ${way}`;
        const counts: BodyMaskCounts = { encodedOverCap: 0 };
        const out = run(pieces, 0, counts);
        assert.equal(out.length, input.length, label);
        assert.deepEqual(out.subarray(0, head.length), head, label);
        assert.ok(out.subarray(head.length).every((c) => c === 0x2a), `${label}: masked whole`);
        assert.equal(leak(out, [KEYS.jsonrpc]), null, label);
        assert.equal(counts.encodedOverCap, 1, label);
      }
    }
  }
});

Deno.test("adversarial: an HTTP/2 POST whose HEADERS say content-encoding (gzip stored, so the key's bytes stand in it; deflate; padded DATA split in two frames), JSON-RPC with an api_key, over TLS and TCP, whole, byte by byte and at every split: its DATA masked whole, frames kept; a gzip bomb masked whole and counted; an encoded non-JSON-RPC body and an unencoded one as before", async () => {
  await loadH2Redactor();
  const zlib = await import("node:zlib");
  const preface = concatBytes([
    enc.encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
    encodeFrame(FrameType.SETTINGS, 0, 0, []),
  ]);
  const headers = (coding: string | null) =>
    encodeFrame(
      FrameType.HEADERS,
      4,
      1,
      Uint8Array.from([
        ...encodeIndexed(3),
        ...encodeIndexed(7),
        ...encodeLiteral(4, "/v1/x", "without"),
        ...encodeLiteral(1, "127.0.0.1", "without"),
        ...(coding === null ? [] : encodeLiteral(26, coding, "without")),
      ]),
    );
  /** DATA frames of `body`: one, or two with the first padded by 3 bytes */
  const data = (body: Uint8Array, split: boolean) => {
    if (!split) return encodeFrame(FrameType.DATA, 1, 1, body);
    const h = body.length >> 1;
    return concatBytes([
      encodeFrame(FrameType.DATA, 8, 1, [3, ...body.subarray(0, h), 0, 0, 0]),
      encodeFrame(FrameType.DATA, 1, 1, body.subarray(h)),
    ]);
  };
  const rpc = enc.encode(RPC_WITH_KEY);
  const llm = enc.encode(JSON.stringify({ model: "m", input: "hi", api_key: KEYS.gemini }));
  const stored = (b: Uint8Array) => new Uint8Array(zlib.gzipSync(b, { level: 0 }));
  const cases: [string, string | null, Uint8Array, boolean][] = [
    // [what, coding, body on the wire, masked whole]
    ["gzip JSON-RPC", "gzip", stored(rpc), true],
    ["deflate JSON-RPC", "deflate", new Uint8Array(zlib.deflateSync(rpc, { level: 0 })), true],
    ["gzip, not decodable", "gzip", enc.encode(`xx${KEYS.gemini}`), true],
    ["gzip LLM request", "gzip", stored(llm), false],
  ];
  for (const [what, coding, body, whole] of cases) {
    for (const split of [false, true]) {
      const frames = data(body, split);
      const input = concatBytes([preface, headers(coding), frames]);
      for (const [how, run] of RUNS) {
        for (const [way, pieces] of everyCalling(input)) {
          const label = `${how} ${what} split=${split} ${way}`;
          const out = run(pieces, 0);
          assert.equal(out.length, input.length, label);
          const at = input.length - frames.length;
          assert.deepEqual(out.subarray(0, at), input.subarray(0, at), `${label}: head kept`);
          if (!whole) {
            assert.deepEqual(out, input, `${label}: as it came`);
            continue;
          }
          assert.equal(leak(out, [KEYS.gemini]), null, label);
          // frame headers and padding as they were, every data octet a `*`
          const o = out.subarray(at), i = input.subarray(at);
          const starts = split ? [0, 9 + 1 + (body.length >> 1) + 3] : [0];
          for (const s of starts) assert.deepEqual(o.subarray(s, s + 9), i.subarray(s, s + 9));
          const dataAt = split
            ? [[10, 10 + (body.length >> 1)], [starts[1] + 9, o.length]]
            : [[9, o.length]];
          for (const [a, b] of dataAt) {
            assert.ok(o.subarray(a, b).every((c) => c === 0x2a), `${label}: masked whole`);
          }
          if (split) {
            assert.deepEqual(
              o.subarray(dataAt[0][1], dataAt[0][1] + 3),
              i.subarray(dataAt[0][1], dataAt[0][1] + 3),
            );
          }
        }
      }
    }
  }
  // a gzip bomb (16 MiB and a byte of JSON-RPC) in 16 KiB DATA frames: masked whole, counted
  const bomb = new Uint8Array(MAX_DECODED_BODY + 1).fill(0x20);
  bomb.set(rpc);
  const gzBomb = new Uint8Array(zlib.gzipSync(bomb));
  const bombFrames: Uint8Array[] = [];
  for (let a = 0; a < gzBomb.length; a += 16384) {
    const end = a + 16384 >= gzBomb.length;
    bombFrames.push(encodeFrame(FrameType.DATA, end ? 1 : 0, 1, gzBomb.subarray(a, a + 16384)));
  }
  const bombInput = concatBytes([preface, headers("gzip"), ...bombFrames]);
  for (const [how, run] of RUNS) {
    for (const step of [bombInput.length, 16384, 1000]) {
      const pieces: Piece[] = [];
      for (let a = 0; a < bombInput.length; a += step) {
        pieces.push({ data: bombInput.subarray(a, a + step) });
      }
      const counts: BodyMaskCounts = { encodedOverCap: 0 };
      const out = run(pieces, 0, counts);
      const label = `${how} gzip bomb in ${step}-byte calls`;
      assert.equal(out.length, bombInput.length, label);
      let at = bombInput.length - bombFrames.reduce((n, f) => n + f.length, 0);
      for (const f of bombFrames) {
        assert.deepEqual(out.subarray(at, at + 9), f.subarray(0, 9), `${label}: frame header`);
        assert.ok(out.subarray(at + 9, at + f.length).every((c) => c === 0x2a), label);
        at += f.length;
      }
      assert.equal(counts.encodedOverCap, 1, `${label}: counted`);
    }
  }
  // unencoded, for comparison: the key masked by the JSON rule, the rest kept
  const plain = concatBytes([preface, headers(null), data(rpc, false)]);
  for (const [how, run] of RUNS) {
    const out = run([{ data: plain }], 0);
    assert.equal(leak(out, [KEYS.gemini]), null, `${how} unencoded`);
    assert.ok(latin1(out).includes('"method":"tools/call"'), `${how} unencoded: the rest kept`);
  }
});

Deno.test("adversarial: HTTP/1 heads with a bare CR inside a header field's line or name (RFC 9112 2.2: a reader may break the line there, as Python's email parser does), over TLS and TCP, whole, byte by byte and at every split: the secret header after it masked, the rest kept; CRLF heads and an SSE body as before", async () => {
  await loadH2Redactor();
  const cases: [string, string, string[]][] = [
    // [head's lines between the start line and the blank one, secrets, texts kept]
    [`X-Thing: a\rAuthorization: Basic ${KEYS.basic}`, KEYS.basic, ["X-Thing: a\r"]],
    [`X-Thing: a\r\rCookie: sid=${KEYS.cookie}`, KEYS.cookie, ["X-Thing: a\r\r"]],
    [`X-Thing\rMcp-Session-Id: ${KEYS.mcpSession}`, KEYS.mcpSession, ["X-Thing\r"]],
    [`Accept: */*\rProxy-Authorization: Basic ${KEYS.basic}\r\nX-B: c`, KEYS.basic, ["X-B: c"]],
    // a name that is no token's: long (past 64 bytes), or short with a colon
    [`X{${"a".repeat(70)}\rAuthorization: Bearer ${KEYS.openai}`, KEYS.openai, [
      `X{${"a".repeat(70)}\r`,
    ]],
    [`X{aa: v\rAuthorization: Bearer ${KEYS.openai}`, KEYS.openai, ["X{aa: v\r"]],
  ];
  // alone, after a first message (keep-alive: a body, then a head again), and in an answer
  const first = "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 9\r\n\r\ndata: x\r\n";
  const answer = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nok\r\n";
  const heads: [string, string, 0 | 1][] = [];
  for (const [lines] of cases) {
    const req = `POST /mcp HTTP/1.1\r\nHost: h\r\n${lines}\r\nContent-Length: 2\r\n\r\n{}`;
    heads.push([req, lines, 0], [first + req, lines, 0]);
    heads.push([answer + `HTTP/1.1 200 OK\r\n${lines}\r\nContent-Length: 0\r\n\r\n`, lines, 1]);
  }
  for (const [text, lines, dir] of heads) {
    const [, secret, kept] = cases.find(([l]) => l === lines)!;
    const input = bytesOf(text);
    for (const [how, run] of RUNS) {
      for (const [way, pieces] of everyCalling(input)) {
        const label = `${how} dir ${dir} ${JSON.stringify(text)} ${way}`;
        const out = run(pieces, dir);
        assert.equal(leak(out, [secret]), null, label);
        assert.equal(out.length, input.length, label);
        const o = latin1(out);
        for (
          const k of [...kept, dir ? "HTTP/1.1 200 OK\r\n" : "POST /mcp HTTP/1.1\r\nHost: h\r\n"]
        ) {
          assert.ok(o.includes(k), `${label}: ${JSON.stringify(k)} kept`);
        }
      }
    }
  }
  // no bare CR, or no secret after one: out as they came
  const plain = bytesOf(
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nX-A: b\rX-C: d\r\n\r\n" +
      'data: {"a":1}\r\n\r\ndata: x\r\rid: 2\n\n',
  );
  for (const [how, run] of RUNS) {
    for (const [way, pieces] of everyCalling(plain)) {
      assert.deepEqual(run(pieces, 1), plain, `${how} ${way}: as it came`);
    }
  }
});

Deno.test("adversarial: keep-alive after a body with no LF at its end (most JSON bodies: the next start line glued onto its last line), a head with a bare CR before a secret header, a request's and an answer's, over TLS and TCP, whole, byte by byte and at every split: the secret masked, the rest kept; event-stream and JSON bodies with bare CRs after such a body as they came", async () => {
  await loadH2Redactor();
  const json = '{"model":"x","messages":[]}';
  const heads: [string, string, string[], 0 | 1][] = [
    [
      `POST /v1/messages HTTP/1.1\r\nHost: h\r\nContent-Length: ${json.length}\r\n\r\n${json}` +
      `POST /v1/messages HTTP/1.1\r\nHost: h\r\nX-A: v\rAuthorization: Bearer ${KEYS.openai}\r\n` +
      "Content-Length: 2\r\n\r\n{}",
      KEYS.openai,
      [json + "POST /v1/messages HTTP/1.1\r\nHost: h\r\nX-A: v\r"],
      0,
    ],
    [
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}HTTP/1.1 200 OK\r\n" +
      `X-A: v\rSet-Cookie: sid=${KEYS.cookie}\r\nContent-Length: 0\r\n\r\n`,
      KEYS.cookie,
      ["{}HTTP/1.1 200 OK\r\nX-A: v\r", "\r\nContent-Length: 0\r\n\r\n"],
      1,
    ],
  ];
  for (const [text, secret, kept, dir] of heads) {
    const input = bytesOf(text);
    for (const [how, run] of RUNS) {
      for (const [way, pieces] of everyCalling(input)) {
        const label = `${how} dir ${dir} ${JSON.stringify(text)} ${way}`;
        const out = run(pieces, dir);
        assert.equal(leak(out, [secret]), null, label);
        assert.equal(out.length, input.length, label);
        for (const k of kept) {
          assert.ok(latin1(out).includes(k), `${label}: ${JSON.stringify(k)} kept`);
        }
      }
    }
  }
  // bodies' bare CRs after a glued start line (an SSE field's, a JSON string's, a text line's)
  const plain = bytesOf(
    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}HTTP/1.1 200 OK\r\n" +
      "Content-Type: text/event-stream\r\n\r\n" +
      'data: {"a":1}\rdata: 2\r\n\r\nevent: x\rid: 3\r\n\r\nretry: 5\rdata: y\n\n',
  );
  const body = '{"a":"x\ry: z\r"}\nnote: a\rb: c\r\n';
  const jsonPlain = bytesOf(
    `POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}POST /b HTTP/1.1\r\nHost: h\r\n` +
      `Content-Length: ${body.length}\r\n\r\n${body}`,
  );
  for (const [text, dir] of [[plain, 1], [jsonPlain, 0]] as const) {
    for (const [how, run] of RUNS) {
      for (const [way, pieces] of everyCalling(text)) {
        assert.deepEqual(run(pieces, dir), text, `${how} dir ${dir} ${way}: as it came`);
      }
    }
  }
});

Deno.test("adversarial: a bare CR inside a start line (a request's, an answer's, after a first message) before a secret header, over TLS and TCP, whole, byte by byte and at every split: the secret masked, the start line kept", async () => {
  await loadH2Redactor();
  const heads: [string, string, string, 0 | 1][] = [
    [
      `GET / HTTP/1.1\r\nHost: h\r\n\r\nPOST /mcp?x=1 HTTP/1.1\rAuthorization: Bearer ${KEYS.openai}\r\nHost: h\r\n` +
      "Content-Length: 2\r\n\r\n{}",
      KEYS.openai,
      "GET / HTTP/1.1\r\nHost: h\r\n\r\nPOST /mcp?x=1 HTTP/1.1\r",
      0,
    ],
    [
      `HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\rSet-Cookie: sid=${KEYS.cookie}\r\nContent-Length: 0\r\n\r\n`,
      KEYS.cookie,
      "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r",
      1,
    ],
  ];
  for (const [text, secret, kept, dir] of heads) {
    const input = bytesOf(text);
    for (const [how, run] of RUNS) {
      for (const [way, pieces] of everyCalling(input)) {
        const label = `${how} dir ${dir} ${JSON.stringify(text)} ${way}`;
        const out = run(pieces, dir);
        assert.equal(leak(out, [secret]), null, label);
        assert.equal(out.length, input.length, label);
        assert.ok(latin1(out).startsWith(kept), `${label}: start line kept`);
      }
    }
  }
});
