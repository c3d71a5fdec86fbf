import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import {
  createHttp1Exchange,
  createHttp1RequestParser,
  createHttp1ResponseParser,
  type Http1Callbacks,
  type Http1Head,
  type Http1MessageEnd,
  type Http1Parser,
} from "./http1.ts";
import { createSseParser, type SseEvent } from "./sse.ts";
import { ProtocolError } from "./protocol_error.ts";
import { assertSameForAllChunkings, concatBytes, seededRandom, utf8 } from "./testing.ts";

interface Collected {
  heads: Omit<Http1Head, "lookup">[];
  /** Body bytes per message, coalesced (chunk boundaries depend on how input was fed). */
  bodies: Record<number, { offsets: [number, number][]; text: string }>;
  ends: Http1MessageEnd[];
  tunnel: { offset: number; text: string }[];
  errors: string[];
}

function collector(input: Uint8Array | null): { cb: Http1Callbacks; out: Collected } {
  const out: Collected = { heads: [], bodies: {}, ends: [], tunnel: [], errors: [] };
  const cb: Http1Callbacks = {
    onHead: (h) => {
      const { lookup: _lookup, ...rest } = h;
      out.heads.push(structuredClone(rest));
    },
    onBody: (c) => {
      // Every body byte maps back to the same byte of the stream.
      if (input) assert.deepEqual(c.data, input.subarray(c.offset, c.offset + c.data.length));
      const b = (out.bodies[c.messageIndex] ??= { offsets: [], text: "" });
      const last = b.offsets[b.offsets.length - 1];
      if (last && last[1] === c.offset) last[1] += c.data.length;
      else b.offsets.push([c.offset, c.offset + c.data.length]);
      b.text += String.fromCharCode(...c.data);
    },
    onMessageEnd: (e) => out.ends.push(structuredClone(e)),
    onTunnelData: (d, offset) => out.tunnel.push({ offset, text: String.fromCharCode(...d) }),
    onError: (e) => out.errors.push(`${e.code}: ${e.message}`),
  };
  return { cb, out };
}

function runParser(
  make: (cb: Http1Callbacks) => Http1Parser,
  input: Uint8Array,
  chunks: Uint8Array[],
): Collected {
  const { cb, out } = collector(input);
  const p = make(cb);
  for (const c of chunks) p.feed(c);
  p.end();
  // Coalesce tunnel data too.
  const tunnel = out.tunnel.length
    ? [{ offset: out.tunnel[0].offset, text: out.tunnel.map((t) => t.text).join("") }]
    : [];
  return { ...out, tunnel };
}

const REQUESTS = [
  "GET /v1/models HTTP/1.1\r\nHost: api.anthropic.com\r\nX-Api-Key: sk-ant-xyz\r\n" +
  "Accept: */*\r\n\r\n",
  "POST /v1/messages HTTP/1.1\r\nHost: api.anthropic.com\r\nContent-Type: application/json\r\n" +
  'Content-Length: 27\r\n\r\n{"model":"claude","n":1234}',
  "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
  "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Checksum: abc\r\n\r\n",
  "HEAD /status HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n  b\r\n\r\n",
];

/** A response parser told that the request was a GET. */
function responseToGet(cb: Parameters<typeof createHttp1ResponseParser>[0]) {
  const p = createHttp1ResponseParser(cb);
  p.expectResponseTo("GET");
  return p;
}

Deno.test("HTTP/1 request stream: keep-alive, length, chunked with trailers, every split", () => {
  const input = utf8(REQUESTS.join(""));
  const out = assertSameForAllChunkings(
    input,
    (chunks) => runParser((cb) => createHttp1RequestParser(cb), input, chunks),
  );
  assert.deepEqual(out.errors, []);
  assert.deepEqual(out.heads.map((h) => [h.index, h.method, h.target, h.body]), [
    [0, "GET", "/v1/models", "none"],
    [1, "POST", "/v1/messages", "length"],
    [2, "POST", "/upload", "chunked"],
    [3, "HEAD", "/status", "none"],
  ]);
  assert.deepEqual(out.heads[0].headers, [
    ["Host", "api.anthropic.com"],
    ["X-Api-Key", "sk-ant-xyz"],
    ["Accept", "*/*"],
  ]);
  assert.deepEqual(out.heads[3].headers[1], ["X-Folded", "a b"]);
  assert.equal(out.bodies[1].text, '{"model":"claude","n":1234}');
  assert.equal(out.bodies[2].text, "hello, world");
  // Offsets: message starts are where each request begins in the concatenation.
  let start = 0;
  out.heads.forEach((h, i) => {
    assert.equal(h.startOffset, start);
    assert.equal(out.ends[i].endOffset, start + utf8(REQUESTS[i]).length);
    start += utf8(REQUESTS[i]).length;
  });
  const bodyStart = utf8(REQUESTS[0]).length + REQUESTS[1].indexOf("{");
  assert.deepEqual(out.bodies[1].offsets, [[bodyStart, bodyStart + 27]]);
  assert.equal(out.heads[1].bodyOffset, bodyStart);
  // The chunked body is two runs, around the chunk framing.
  assert.equal(out.bodies[2].offsets.length, 2);
  assert.deepEqual(out.ends[2].trailers, [["X-Checksum", "abc"]]);
  assert.ok(out.ends.every((e) => !e.incomplete));
});

/** An Anthropic Messages API streaming response: SSE in chunks that ignore event boundaries. */
function anthropicSseResponse(): { bytes: Uint8Array; sse: string } {
  const ev = (type: string, data: unknown) => `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
  const sse = ev("message_start", {
    type: "message_start",
    message: { id: "msg_01XYZ", type: "message", role: "assistant", model: "claude-sonnet-4" },
  }) +
    ev("content_block_start", {
      type: "content_block_start",
      index: 0,
      content_block: { type: "text", text: "" },
    }) +
    ev("ping", { type: "ping" }) +
    ["Hel", "lo, ", "wörld", "!"].map((t) =>
      ev("content_block_delta", {
        type: "content_block_delta",
        index: 0,
        delta: { type: "text_delta", text: t },
      })
    ).join("") +
    ev("content_block_stop", { type: "content_block_stop", index: 0 }) +
    ev("message_delta", {
      type: "message_delta",
      delta: { stop_reason: "end_turn" },
      usage: { output_tokens: 6 },
    }) +
    ev("message_stop", { type: "message_stop" });
  const body = utf8(sse);
  const parts: Uint8Array[] = [];
  for (let p = 0, k = 0; p < body.length; k++) {
    const n = Math.min(body.length - p, 37 + ((k * 53) % 90));
    parts.push(utf8(`${n.toString(16)}\r\n`), body.subarray(p, p + n), utf8("\r\n"));
    p += n;
  }
  parts.push(utf8("0\r\n\r\n"));
  const head = "HTTP/1.1 200 OK\r\nDate: Mon, 03 Mar 2025 10:00:00 GMT\r\n" +
    "Content-Type: text/event-stream; charset=utf-8\r\nTransfer-Encoding: chunked\r\n" +
    "Connection: keep-alive\r\nrequest-id: req_011CQ\r\n\r\n";
  return { bytes: concatBytes([utf8(head), ...parts]), sse };
}

Deno.test("HTTP/1 response stream: chunked SSE feeds an incremental SSE parser", () => {
  const { bytes, sse } = anthropicSseResponse();
  const run = (chunks: Uint8Array[]) => {
    const events: SseEvent[] = [];
    const sseParser = createSseParser({ onEvent: (e) => events.push(e) });
    const bodyStreamOffsets: number[] = []; // stream offset of each SSE body byte
    const p = createHttp1ResponseParser({
      onBody: (c) => {
        for (let k = 0; k < c.data.length; k++) bodyStreamOffsets.push(c.offset + k);
        sseParser.feed(c.data);
      },
      onMessageEnd: () => sseParser.end(),
    });
    p.expectResponseTo("POST");
    for (const c of chunks) p.feed(c);
    p.end();
    // Map each event's last byte (a body position) back to its connection offset.
    return events.map((e) => ({
      type: e.type,
      data: e.data,
      lastByteInStream: bodyStreamOffsets[e.lastByte],
    }));
  };
  const events = assertSameForAllChunkings(bytes, run, { splitPointLimit: 400 });
  assert.deepEqual(events.map((e) => e.type), [
    "message_start",
    "content_block_start",
    "ping",
    "content_block_delta",
    "content_block_delta",
    "content_block_delta",
    "content_block_delta",
    "content_block_stop",
    "message_delta",
    "message_stop",
  ]);
  const text = events.filter((e) => e.type === "content_block_delta")
    .map((e) => JSON.parse(e.data).delta.text).join("");
  assert.equal(text, "Hello, wörld!");
  // The byte that completed each event is the "\n" ending its blank line, in the raw stream.
  for (const e of events) assert.equal(bytes[e.lastByteInStream], 0x0a);
  assert.equal(sse.split("\n\n").length - 1, events.length);
});

const RESPONSES = [
  "HTTP/1.1 100 Continue\r\n\r\n",
  "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
  "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n", // answers HEAD: no body
  "HTTP/1.1 204 No Content\r\n\r\n",
  "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n",
  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
  "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nread until close",
];
const METHODS = ["POST", "HEAD", "GET", "GET", "GET", "GET"];

Deno.test("HTTP/1 response stream: 1xx, HEAD, 204, 304, chunked, until-close", () => {
  const input = utf8(RESPONSES.join(""));
  const out = assertSameForAllChunkings(input, (chunks) =>
    runParser(
      (cb) => {
        const p = createHttp1ResponseParser(cb);
        for (const m of METHODS) p.expectResponseTo(m);
        return p;
      },
      input,
      chunks,
    ));
  assert.deepEqual(out.errors, []);
  assert.deepEqual(
    out.heads.map((h) => [h.status, h.requestIndex, h.requestMethod, h.body, !!h.informational]),
    [
      [100, 0, "POST", "none", true],
      [200, 0, "POST", "length", false],
      [200, 1, "HEAD", "none", false],
      [204, 2, "GET", "none", false],
      [304, 3, "GET", "none", false],
      [200, 4, "GET", "chunked", false],
      [200, 5, "GET", "until-close", false],
    ],
  );
  assert.equal(out.bodies[1].text, "hello");
  assert.equal(out.bodies[5].text, "abc");
  assert.equal(out.bodies[6].text, "read until close");
  assert.deepEqual(out.ends.map((e) => e.incomplete), Array(7).fill(false));
  assert.equal(out.ends[6].endOffset, input.length);
});

Deno.test("HTTP/1 exchange: output does not depend on which direction is fed first", () => {
  const reqInput = utf8(REQUESTS.join(""));
  const resInput = utf8(
    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}" +
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc" +
      "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n" +
      "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", // HEAD: no body follows
  );
  const run = (order: "requests-first" | "responses-first" | "interleaved") => {
    const req = collector(reqInput);
    const res = collector(resInput);
    const ex = createHttp1Exchange({ request: req.cb, response: res.cb });
    if (order === "requests-first") {
      ex.request.feed(reqInput);
      ex.response.feed(resInput);
    } else if (order === "responses-first") {
      ex.response.feed(resInput);
      ex.request.feed(reqInput);
    } else {
      for (let i = 0; i < Math.max(reqInput.length, resInput.length); i += 7) {
        ex.response.feed(resInput.subarray(i, i + 7));
        ex.request.feed(reqInput.subarray(i, i + 7));
      }
    }
    ex.request.end();
    ex.response.end();
    return { req: req.out, res: res.out };
  };
  const a = run("requests-first");
  assert.deepEqual(run("responses-first"), a);
  assert.deepEqual(run("interleaved"), a);
  assert.deepEqual(a.res.heads.map((h) => [h.requestMethod, h.body]), [
    ["GET", "length"],
    ["POST", "length"],
    ["POST", "none"],
    ["HEAD", "none"],
  ]);
  assert.deepEqual(a.res.errors, []);
});

Deno.test("HTTP/1: a response whose method never arrives is framed as non-HEAD at end()", () => {
  const input = utf8("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  const out = runParser((cb) => createHttp1ResponseParser(cb), input, [input]);
  assert.equal(out.heads[0].requestMethod, undefined);
  assert.equal(out.bodies[0].text, "ok");
  assert.equal(out.ends[0].incomplete, false);
});

Deno.test("HTTP/1: gzip body bytes pass through untouched with their offsets", () => {
  const gz = new Uint8Array(gzipSync(utf8(JSON.stringify({ hello: "world" }).repeat(50))));
  const head = utf8(
    `HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: ${gz.length}\r\n\r\n`,
  );
  const input = concatBytes([head, gz]);
  const out = assertSameForAllChunkings(input, (chunks) =>
    runParser(
      responseToGet,
      input,
      chunks,
    ));
  assert.deepEqual(out.bodies[0].offsets, [[head.length, input.length]]);
  assert.deepEqual(Uint8Array.from(out.bodies[0].text, (c) => c.charCodeAt(0)), gz);
  assert.deepEqual(out.heads[0].headers, [["Content-Encoding", "gzip"], [
    "Content-Length",
    String(gz.length),
  ]]);
});

Deno.test("HTTP/1: messages cut short are completed with incomplete: true", () => {
  const cases: [string, string, boolean, string][] = [
    ["HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", "abc", true, ""],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", "ab", true, ""],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n", "ab", true, ""],
    ["HTTP/1.1 200 OK\r\n\r\nuntil close", "until close", false, ""],
  ];
  for (const [text, body, incomplete] of cases) {
    const input = utf8(text);
    const out = assertSameForAllChunkings(input, (chunks) =>
      runParser(
        responseToGet,
        input,
        chunks,
      ));
    assert.equal(out.bodies[0]?.text ?? "", body, text);
    assert.equal(out.ends.length, 1);
    assert.equal(out.ends[0].incomplete, incomplete, text);
    assert.deepEqual(out.errors, []);
  }
  // Cut inside a head: nothing to complete, reported as truncated.
  const out = runParser((cb) => createHttp1RequestParser(cb), utf8("GET / HTTP/1.1\r\nHo"), [
    utf8("GET / HTTP/1.1\r\nHo"),
  ]);
  assert.deepEqual(out.heads, []);
  assert.match(out.errors[0], /^truncated: .*inside a request head/);
});

Deno.test("HTTP/1: upgrade switches the stream to tunnel data", () => {
  const input = concatBytes([
    utf8("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"),
    Uint8Array.of(0x81, 0x05, ...utf8("hello")), // a WebSocket text frame
  ]);
  const out = runParser(
    responseToGet,
    input,
    [input],
  );
  assert.equal(out.heads[0].upgrade, true);
  assert.deepEqual(out.tunnel, [{ offset: input.length - 7, text: "\x81\x05hello" }]);
});

function hostile(
  make: (cb: Http1Callbacks, limit: number) => Http1Parser,
  feedAll: (p: Http1Parser) => void,
  limit = 64 * 1024,
): { errors: ProtocolError[]; peak: number; heads: number } {
  const errors: ProtocolError[] = [];
  let heads = 0;
  const p = make({ onError: (e) => errors.push(e), onHead: () => heads++ }, limit);
  feedAll(p);
  p.end();
  return { errors, peak: p.peakBufferCapacity, heads };
}

Deno.test("HTTP/1 hostile input: 100 MB header line fails with bounded memory", () => {
  const limit = 64 * 1024;
  const r = hostile((cb, l) => createHttp1RequestParser(cb, { maxBufferSize: l }), (p) => {
    p.feed(utf8("GET / HTTP/1.1\r\nX-Big: "));
    const chunk = new Uint8Array(1 << 20).fill(0x61);
    for (let i = 0; i < 100; i++) p.feed(chunk);
  }, limit);
  assert.equal(r.errors.length, 1);
  assert.equal(r.errors[0].code, "buffer-limit");
  assert.match(r.errors[0].message, /request head exceeds/);
  assert.ok(r.peak <= limit, `peak ${r.peak}`);
});

Deno.test("HTTP/1 hostile input: many header lines are bounded as a whole head", () => {
  const limit = 64 * 1024;
  const r = hostile((cb, l) => createHttp1RequestParser(cb, { maxBufferSize: l }), (p) => {
    p.feed(utf8("GET / HTTP/1.1\r\n"));
    const line = utf8("X-A: " + "b".repeat(100) + "\r\n");
    for (let i = 0; i < 10_000; i++) p.feed(line);
  }, limit);
  assert.equal(r.errors.length, 1);
  assert.match(r.errors[0].message, /request head exceeds maxBufferSize/);
  assert.equal(r.heads, 0);
});

Deno.test("HTTP/1 hostile input: bad framing values are errors", () => {
  const cases: [string, RegExp][] = [
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n", /chunk size/],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", /chunk size/],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\naXX", /not followed by CRLF/],
    ["HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n", /invalid Content-Length/],
    ["HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", /invalid Content-Length/],
    ["HTTP/1.1 2000 OK\r\n\r\n", /malformed response start line/],
    ["HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", /malformed header line/],
    ["HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", /invalid header name/],
    [
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + "1".repeat(5000) + "\r\n",
      /chunk size line exceeds 4096/,
    ],
  ];
  for (const [text, pattern] of cases) {
    const r = hostile((cb, l) => {
      const p = createHttp1ResponseParser(cb, { maxBufferSize: l });
      p.expectResponseTo("GET");
      return p;
    }, (p) => p.feed(utf8(text)));
    assert.equal(r.errors.length, 1, text);
    assert.match(r.errors[0].message, pattern, text);
  }
  const te = hostile(
    (cb) => createHttp1RequestParser(cb),
    (p) => p.feed(utf8("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n")),
  );
  assert.match(te.errors[0].message, /does not end in chunked/);
});

Deno.test("HTTP/1 hostile input: random bytes fail cleanly and stay bounded", () => {
  const rand = seededRandom(99);
  for (let run = 0; run < 30; run++) {
    const input = Uint8Array.from({ length: 20_000 }, () => Math.floor(rand() * 256));
    for (const kind of ["request", "response"] as const) {
      const r = hostile(
        (cb, l) =>
          kind === "request"
            ? createHttp1RequestParser(cb, { maxBufferSize: l })
            : createHttp1ResponseParser(cb, { maxBufferSize: l }),
        (p) => {
          for (let i = 0; i < input.length; i += 1000) p.feed(input.subarray(i, i + 1000));
        },
        4096,
      );
      assert.equal(r.errors.length, 1);
      assert.ok(["syntax", "buffer-limit"].includes(r.errors[0].code), r.errors[0].message);
      assert.ok(r.peak <= 4096);
    }
  }
});

Deno.test("HTTP/1 hostile input: a response waiting for its method holds at most maxBufferSize", () => {
  const limit = 4096;
  const r = hostile((cb, l) => createHttp1ResponseParser(cb, { maxBufferSize: l }), (p) => {
    p.feed(utf8("HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n"));
    for (let i = 0; i < 100; i++) p.feed(new Uint8Array(1000));
  }, limit);
  assert.equal(r.errors.length, 1);
  assert.match(r.errors[0].message, /waiting for the request method/);
  assert.ok(r.peak <= limit);
});

Deno.test("HTTP/1 real node:http keep-alive capture: gzip JSON, chunked SSE, HEAD", async () => {
  const dir = new URL("./testdata/captures/h1_node_keepalive/", import.meta.url);
  const { readFileSync } = await import("node:fs");
  const { decodeContent } = await import("./content_encoding.ts");
  const client = new Uint8Array(readFileSync(new URL("client.bin", dir)));
  const server = new Uint8Array(readFileSync(new URL("server.bin", dir)));
  const meta = JSON.parse(readFileSync(new URL("meta.json", dir), "utf8"));
  const run = (chunks: Uint8Array[]) => {
    const req = collector(client);
    const res = collector(server);
    const ex = createHttp1Exchange({ request: req.cb, response: res.cb });
    ex.request.feed(client);
    for (const c of chunks) ex.response.feed(c);
    ex.request.end();
    ex.response.end();
    return { req: req.out, res: res.out };
  };
  const { req, res } = assertSameForAllChunkings(server, run, { splitPointLimit: 300 });
  assert.deepEqual([...req.errors, ...res.errors], []);
  assert.deepEqual(req.heads.map((h) => h.method), ["GET", "POST", "HEAD"]);
  assert.deepEqual(res.heads.map((h) => [h.requestMethod, h.body]), [
    ["GET", "chunked"],
    ["POST", "chunked"],
    ["HEAD", "none"], // Content-Length: 2, but a HEAD response has no body
  ]);
  const gz = Uint8Array.from(res.bodies[0].text, (c) => c.charCodeAt(0));
  assert.equal(new TextDecoder().decode(await decodeContent("gzip", gz)), meta.sent.modelsJson);
  assert.equal(res.bodies[1].text, meta.sent.sse);
  assert.ok(res.bodies[1].offsets.length > 1, "SSE body arrives in several chunks");
  assert.equal(res.ends[2].endOffset, server.length);
});

Deno.test("HTTP/1 response stream: a chunked body cut at a chunk boundary, then a status line: the body ends incomplete and the new response is read, every split", () => {
  const cut = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n, wor\n\r\n";
  const next = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  const input = utf8(cut + next);
  const out = assertSameForAllChunkings(input, (chunks) =>
    runParser(
      (cb) => {
        const p = createHttp1ResponseParser(cb);
        p.expectResponseTo("POST");
        p.expectResponseTo("POST");
        return p;
      },
      input,
      chunks,
    ));
  assert.deepEqual(out.errors, []);
  assert.deepEqual(out.heads.map((h) => [h.index, h.status, h.requestIndex, h.startOffset]), [
    [0, 200, 0, 0],
    [1, 200, 1, cut.length],
  ]);
  assert.equal(out.bodies[0].text, "hello, wor\n");
  assert.equal(out.bodies[1].text, "ok");
  assert.deepEqual(out.ends.map((e) => [e.incomplete, e.followedByResponse, e.endOffset]), [
    [true, true, cut.length],
    [false, undefined, input.length],
  ]);
});

Deno.test("HTTP/1 response stream: anything else where a chunk size belongs is still an error", () => {
  const input = utf8(
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nHTTP/9\r\n",
  );
  const out = runParser(responseToGet, input, [input]);
  assert.equal(out.errors.length, 1);
  assert.match(out.errors[0], /invalid chunk size line "HTTP\/9"/);
});

// RFC 9110 15.2 (1xx: any number before the final response, 103 Early Hints carries fields) and
// RFC 9112 7.1.1 / 7.1.2 (chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS token / quoted-string ),
// trailer fields after the last chunk)
const EARLY_HINTS_THEN_CHUNKED = "HTTP/1.1 100 Continue\r\n\r\n" +
  "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n" +
  "HTTP/1.1 103 Early Hints\r\nLink: </app.js>; rel=preload\r\n\r\n" +
  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Digest, X-Usage\r\n\r\n" +
  "1a;name=val\r\nabcdefghijklmnopqrstuvwxyz\r\n" +
  '3 ; quoted="a;b \\" c" ;flag\r\n123\r\n' +
  "A;ext\r\n0123456789\r\n" +
  "0;last=1\r\nX-Digest: sha-256=abc\r\nX-Usage: 42\r\n\r\n" +
  "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

Deno.test("HTTP/1 response stream: 100 and two 103 Early Hints, chunk extensions, trailers", () => {
  const input = utf8(EARLY_HINTS_THEN_CHUNKED);
  const out = assertSameForAllChunkings(input, (chunks) =>
    runParser(
      (cb) => {
        const p = createHttp1ResponseParser(cb);
        p.expectResponseTo("POST");
        p.expectResponseTo("GET");
        return p;
      },
      input,
      chunks,
    ));
  assert.deepEqual(out.errors, []);
  assert.deepEqual(
    out.heads.map((h) => [h.status, h.requestIndex, h.body, !!h.informational]),
    [
      [100, 0, "none", true],
      [103, 0, "none", true],
      [103, 0, "none", true],
      [200, 0, "chunked", false],
      [200, 1, "length", false],
    ],
  );
  assert.deepEqual(out.heads[1].headers, [["Link", "</style.css>; rel=preload; as=style"]]);
  assert.equal(out.bodies[3].text, "abcdefghijklmnopqrstuvwxyz1230123456789");
  assert.equal(out.ends[3].bodyLength, 39);
  assert.deepEqual(out.ends[3].trailers, [["X-Digest", "sha-256=abc"], ["X-Usage", "42"]]);
  assert.equal(out.bodies[4].text, "ok");
  assert.deepEqual(out.ends.map((e) => e.incomplete), Array(5).fill(false));
  assert.equal(out.ends[4].endOffset, input.length);
});

// RFC 9112 2.2 (a bare LF ends a line), 4 (an empty reason phrase), 5.2 (obs-fold in a response
// and a trailer is replaced by SP), 6.3 (Transfer-Encoding overrides Content-Length; a list of
// identical Content-Length values is that value), 7 (coding names are case-insensitive).
Deno.test("HTTP/1 response stream: bare LF, empty reason, obs-fold, TE over CL, CL list, Chunked", () => {
  const input = utf8(
    "HTTP/1.1 200 OK\nContent-Length: 2\n\nok" +
      "HTTP/1.1 200 \r\nX-Long: a\r\n  b\r\nContent-Length: 2, 2\r\n\r\nhi" +
      "HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: Chunked\r\n\r\n" +
      "3\r\nabc\r\n0\r\nX-T: 1\r\n\tcont\r\n\r\n" +
      "HTTP/1.1 204 No Content\r\n\r\n",
  );
  const out = assertSameForAllChunkings(input, (chunks) =>
    runParser(
      (cb) => {
        const p = createHttp1ResponseParser(cb);
        for (let i = 0; i < 4; i++) p.expectResponseTo("GET");
        return p;
      },
      input,
      chunks,
    ));
  assert.deepEqual(out.errors, []);
  assert.deepEqual(out.heads.map((h) => [h.status, h.reason, h.body]), [
    [200, "OK", "length"],
    [200, "", "length"],
    [200, "OK", "chunked"],
    [204, "No Content", "none"],
  ]);
  assert.deepEqual(out.heads[1].headers[0], ["X-Long", "a b"]);
  assert.deepEqual([0, 1, 2].map((i) => out.bodies[i].text), ["ok", "hi", "abc"]);
  assert.deepEqual(out.ends[2].trailers, [["X-T", "1 cont"]]);
  assert.deepEqual(out.ends.map((e) => e.incomplete), [false, false, false, false]);
  assert.equal(out.ends[3].endOffset, input.length);
});

// RFC 9112 7.1 chunk-size = 1*HEXDIG and RFC 9110 8.6 Content-Length = 1*DIGIT: leading zeros
// are legal, do not count toward the size bounds, and "02, 2" is one value repeated.
Deno.test("HTTP/1 response stream: leading zeros in chunk sizes and Content-Length", () => {
  const input = utf8(
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
      "0000000000000000003\r\nabc\r\n00000000000000000\r\n\r\n" +
      "HTTP/1.1 200 OK\r\nContent-Length: 0000000000000000000002\r\n\r\nok" +
      "HTTP/1.1 200 OK\r\nContent-Length: 02, 2\r\n\r\nhi",
  );
  const out = assertSameForAllChunkings(input, (chunks) =>
    runParser(
      (cb) => {
        const p = createHttp1ResponseParser(cb);
        for (let i = 0; i < 3; i++) p.expectResponseTo("GET");
        return p;
      },
      input,
      chunks,
    ));
  assert.deepEqual(out.errors, []);
  assert.deepEqual([0, 1, 2].map((i) => out.bodies[i].text), ["abc", "ok", "hi"]);
  assert.deepEqual(out.ends.map((e) => e.incomplete), [false, false, false]);
  // a value past the bound, zeros aside, is still refused
  const big = runParser(
    (cb) => {
      const p = createHttp1ResponseParser(cb);
      p.expectResponseTo("GET");
      return p;
    },
    null as unknown as Uint8Array,
    [
      utf8("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n000ffffffffffffff\r\n"),
    ],
  );
  assert.match(big.errors[0] ?? "", /chunk size/);
});
