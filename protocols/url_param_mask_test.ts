import assert from "node:assert/strict";
import {
  createParamRedactor,
  isSecretParam,
  nextNamedEquals,
  paramMasks,
  paramValuePositions,
  SECRET_PARAM,
} from "./url_param_mask.ts";
import {
  assertSameForAllChunkings,
  chunkings,
  concatBytes,
  seededRandom,
  TEST_DIGEST,
  testParamDigest,
  utf8,
} from "./testing.ts";
import { readMcpHttpFixture, sseEndpointFixture } from "./testdata/mcp_http_fixture.ts";
import { MAX_SEAM } from "./chunk_seam.ts";

/**
 * The rule, written plainly: after each `name=` (any case), and after each `?NAME=` or `&NAME=`
 * whose NAME isSecretParam judges a secret, mask up to a value's end.
 */
function reference(bytes: Uint8Array, names: string | readonly string[]): Uint8Array {
  const out = bytes.slice();
  const text = new TextDecoder("latin1").decode(bytes).toLowerCase();
  const maskFrom = (i: number) => {
    while (i < bytes.length && !"& \t\r\n\"'\\".includes(text[i])) out[i++] = 42;
  };
  const queryName = (from: number) => {
    const m = /^[a-z0-9\-_.%[\]]+=/.exec(text.slice(from));
    if (m && isSecretParam(m[0].slice(0, -1))) maskFrom(from + m[0].length);
  };
  for (let i = 0; i < bytes.length; i++) {
    for (const name of typeof names === "string" ? [names] : names) {
      if (text.startsWith(name, i)) maskFrom(i + name.length);
    }
    if ("?&#;".includes(text[i])) queryName(i + 1);
    if (text.startsWith("\\u0026", i)) queryName(i + 6);
  }
  return out;
}

function masked(chunks: Uint8Array[], name: string | readonly string[] = SECRET_PARAM): Uint8Array {
  const r = createParamRedactor(name);
  return concatBytes([...chunks.map((c) => r.transform(c)), r.flush()]);
}

Deno.test("param masker: the session of MCP's endpoint URL and POSTs, any chunking", () => {
  const input = utf8(
    "event: endpoint\ndata: /messages?sessionId=7f3c-9a2e&x=1\n\n" +
      'POST /messages?SESSIONID=abc HTTP/1.1\r\nHost: h\r\n\r\n{"sessionid":"no"} ?sessionId="q"',
  );
  const out = assertSameForAllChunkings(input, (chunks) => masked(chunks));
  assert.equal(
    new TextDecoder().decode(out),
    "event: endpoint\ndata: /messages?sessionId=*********&x=1\n\n" +
      'POST /messages?SESSIONID=*** HTTP/1.1\r\nHost: h\r\n\r\n{"sessionid":"no"} ?sessionId="q"',
  );
});

Deno.test("param masker: a key in a query (Gemini's ?key=, api_key, tokens), any chunking", () => {
  const input = utf8(
    "POST /v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse&key=AIzaSyD-xyz HTTP/1.1\r\n" +
      "Host: generativelanguage.googleapis.com\r\n\r\n" +
      "GET /data?X-Amz-Credential=AKIA%2F2026&X-Amz-Security-Token=FwoG&max_tokens=5&monkey=1 " +
      "HTTP/1.1\r\n\r\nthe key=value pairs stay; ?api_key=sk-1&page=2",
  );
  const out = assertSameForAllChunkings(input, (chunks) => masked(chunks));
  assert.equal(
    new TextDecoder().decode(out),
    "POST /v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse&key=*********** HTTP/1.1\r\n" +
      "Host: generativelanguage.googleapis.com\r\n\r\n" +
      "GET /data?X-Amz-Credential=***********&X-Amz-Security-Token=****&max_tokens=5&monkey=1 " +
      "HTTP/1.1\r\n\r\nthe key=value pairs stay; ?api_key=****&page=2",
  );
});

Deno.test("param masker: a name spelt with %XX escapes is judged decoded (?%6Bey= is ?key=), any chunking", () => {
  const input = utf8(
    "GET /v1/x?%6Bey=AIzaSyQp4Wk8&%61pi%5Fkey=sk-1&access%5ftoken=t0k&%4B%45%59=K3y&" +
      "mon%6Bey=1&%6B=2 HTTP/1.1\r\n\r\n",
  );
  const out = assertSameForAllChunkings(input, (chunks) => masked(chunks));
  assert.equal(
    new TextDecoder().decode(out),
    "GET /v1/x?%6Bey=************&%61pi%5Fkey=****&access%5ftoken=***&%4B%45%59=***&" +
      "mon%6Bey=1&%6B=2 HTTP/1.1\r\n\r\n",
  );
  // and in a decoded header value (HTTP/2's :path)
  assert.deepEqual(paramValuePositions("/x?%6Bey=ab&y=1", "sessionid="), [9, 10]);
});

Deno.test("param masker: URLs inside JSON strings stay JSON; fragments, &amp; and \\u0026 too", () => {
  const body = JSON.stringify({
    content: JSON.stringify({ next: "https://www.googleapis.com/x?pageToken=CAUQAA&alt=json" }),
    link: "https://app/cb#access_token=abc&state=1",
    html: "<a href='/x?alt=sse&amp;key=AIza1'>",
    go: "https://h/p?x=1\u0026api_key=sk1",
    sas: "https://acct.blob.core.windows.net/c/b?sv=2024&sig=c2lnbmF0dXJl",
  });
  const input = utf8(
    body + "\r\n\r\ngrant_type=refresh_token&refresh_token=rt-1&client_id=c\nAPI_TOKEN=kept",
  );
  const out = new TextDecoder().decode(
    assertSameForAllChunkings(input, (chunks) => masked(chunks)),
  );
  const [json, form] = out.split("\r\n\r\n");
  const parsed = JSON.parse(json);
  assert.equal(
    JSON.parse(parsed.content).next,
    "https://www.googleapis.com/x?pageToken=******&alt=json",
  );
  assert.equal(parsed.link, "https://app/cb#access_token=***&state=1");
  assert.equal(parsed.html, "<a href='/x?alt=sse&amp;key=*****'>");
  assert.equal(parsed.sas, "https://acct.blob.core.windows.net/c/b?sv=2024&sig=************");
  assert.ok(!json.includes("sk1"), json);
  // a form's parameters after `&` are masked; a file's line (curl -d @.env) is evidence, kept
  assert.equal(form, "grant_type=refresh_token&refresh_token=****&client_id=c\nAPI_TOKEN=kept");
});

Deno.test("param masker agrees with the plain rule on random text, in random chunks", () => {
  const rand = seededRandom(11);
  const alphabet = [
    "s",
    "e",
    "S",
    "i",
    "o",
    "n",
    "d",
    "I",
    "D",
    "=",
    "&",
    " ",
    "x",
    "\n",
    "sessionid=",
    "SessionId",
    "?",
    "key",
    "Api_Key",
    "access_token",
    "max_tokens",
    "#",
    ";",
    "\\u0026",
    "\\",
    '"',
    `${"x".repeat(40)}_token`,
    `${"y".repeat(45)}`,
  ];
  for (let n = 0; n < 1000; n++) {
    let text = "";
    const len = Math.floor(rand() * 120);
    for (let i = 0; i < len; i++) text += alphabet[Math.floor(rand() * alphabet.length)];
    const input = utf8(text);
    const want = reference(input, SECRET_PARAM);
    assert.deepEqual(masked([input]), want, text);
    const chunks: Uint8Array[] = [];
    for (let p = 0; p < input.length;) {
      const k = 1 + Math.floor(rand() * 60);
      chunks.push(input.subarray(p, p + k));
      p += k;
    }
    assert.deepEqual(
      masked(chunks),
      want,
      JSON.stringify(chunks.map((c) => new TextDecoder().decode(c))),
    );
  }
});

Deno.test("param masker returns the chunk itself when nothing is masked; refuses a bad name", () => {
  const r = createParamRedactor(SECRET_PARAM);
  const chunk = utf8('data: {"a":"b=c"}\n\n');
  assert.equal(r.transform(chunk), chunk);
  assert.throws(() => createParamRedactor("sessionid"), /not a parameter name/);
});

Deno.test("paramValuePositions marks what the masker masks", () => {
  const path = "/messages?sessionId=ab-12&SESSIONID=z&key=AIza&alt=sse&access_token=t";
  const positions = paramValuePositions(path, SECRET_PARAM);
  const bytes = reference(utf8(path), SECRET_PARAM);
  assert.deepEqual(positions, [...bytes.keys()].filter((i) => bytes[i] === 42));
});

/**
 * Real recorded connections' bytes, each direction: MCP's HTTP+SSE and streamable HTTP traffic of
 * the real SDK client and server-everything (`sessionId=` in the endpoint event and every POST),
 * and the capture fixtures (node:http, node:http2 peers).
 */
async function realStreams(): Promise<{ label: string; bytes: Uint8Array }[]> {
  const out: { label: string; bytes: Uint8Array }[] = [];
  for (const name of ["sse", "streamable"] as const) {
    for (const [i, c] of (await readMcpHttpFixture(name)).entries()) {
      out.push({ label: `${name}#${i} client`, bytes: c.client });
      out.push({ label: `${name}#${i} server`, bytes: c.server });
    }
  }
  const captures = new URL("./testdata/captures/", import.meta.url);
  for (const d of [...Deno.readDirSync(captures)].filter((e) => e.isDirectory)) {
    for (const side of ["client", "server"]) {
      const bytes = Deno.readFileSync(new URL(`${d.name}/${side}.bin`, captures));
      out.push({ label: `${d.name} ${side}`, bytes });
    }
  }
  return out;
}

Deno.test("param masker agrees with the plain rule on real connections: every split, byte by byte, every alignment", async () => {
  let maskedBytes = 0;
  for (const { label, bytes } of await realStreams()) {
    const want = reference(bytes, SECRET_PARAM);
    maskedBytes += want.reduce((n, b, i) => n + (b !== bytes[i] ? 1 : 0), 0);
    for (const { label: how, chunks } of chunkings(bytes, { randomRuns: 5, maxRandomChunk: 700 })) {
      assert.deepEqual(masked(chunks), want, `${label}, ${how}`);
    }
    // the word scan reads 4-byte words of the chunk's buffer: the same bytes at every offset
    for (let offset = 1; offset < 4; offset++) {
      const at = new Uint8Array(bytes.length + offset);
      at.set(bytes, offset);
      assert.deepEqual(masked([at.subarray(offset)]), want, `${label}, at offset ${offset}`);
    }
  }
  // the fixtures hold MCP sessions: the comparison covers masking, not only bytes passed
  assert.ok(maskedBytes > 100, `${maskedBytes} bytes masked`);
});

Deno.test("nextNamedEquals: the first = after a name byte, an LF, the given byte or the chunk start", () => {
  const rand = seededRandom(7);
  const alphabet = utf8('= ^aZ9_?&#;\\\n"dD*');
  const NAME = /[A-Za-z0-9\-_.%\[\]]/;
  const plain = (b: Uint8Array, from: number, also: number) => {
    for (let j = from; j < b.length; j++) {
      if (b[j] !== 61) continue;
      const p = j > 0 ? String.fromCharCode(b[j - 1]) : "";
      if (j === 0 || NAME.test(p) || p === "\n" || p.toLowerCase().charCodeAt(0) === also) {
        return j;
      }
    }
    return -1;
  };
  for (let n = 0; n < 400; n++) {
    const len = Math.floor(rand() * 300);
    const offset = Math.floor(rand() * 4);
    const buf = new Uint8Array(len + offset);
    for (let i = offset; i < buf.length; i++) {
      // mostly `=` and what precedes it in program text, so that words hold several
      buf[i] = alphabet[Math.floor(rand() * alphabet.length)];
    }
    const b = buf.subarray(offset);
    for (let from = 0; from <= len; from++) {
      const also = rand() < 0.5 ? 0x64 : 0x2a; // "d", or "*" (no name byte)
      assert.equal(nextNamedEquals(b, from, also), plain(b, from, also), `${b} from ${from}`);
    }
  }
});

Deno.test("sessionId= with the recording's digest: its URL-safe keyed string, held across any split; other secrets `*`", () => {
  const text = "GET /messages?sessionId=3b9f0c2e-7d41&key=AIza HTTP/1.1\r\n\r\n" +
    'data: {"u":"/m?SESSIONID=abc\\"x"}\n' + "sessionid=" + "y".repeat(1100) + "\n";
  const run = (hold: boolean) => (chunks: Uint8Array[]) => {
    const r = createParamRedactor(SECRET_PARAM, { digest: TEST_DIGEST, hold });
    return new TextDecoder().decode(concatBytes([...chunks.map((c) => r.transform(c)), r.flush()]));
  };
  const want = text.replace("3b9f0c2e-7d41", testParamDigest("3b9f0c2e-7d41"))
    .replace("AIza", "****").replace("abc", testParamDigest("abc"))
    .replace("y".repeat(1100), "*".repeat(1100)); // longer than any session: masked
  assert.equal(assertSameForAllChunkings(utf8(text), run(true), { splitPointLimit: 200 }), want);
  // not held: digested when the value ends in its chunk, else masked
  assert.equal(run(false)([utf8(text)]), want);
  const cut = text.indexOf("3b9f") + 4;
  const split = run(false)([utf8(text.slice(0, cut)), utf8(text.slice(cut))]);
  assert.equal(split, want.replace(testParamDigest("3b9f0c2e-7d41"), "*".repeat(13)));
  // cut by the end: `*`s
  assert.equal(run(true)([utf8("?sessionId=abc")]), "?sessionId=***");
});

Deno.test("session_id= (the Python SDK's, FastMCP's) is the session too: digested, held across any split, byte by byte", () => {
  // FastMCP's endpoint event and a POST to it (mcp/server/sse.py: `?session_id=<uuid hex>`)
  const hex = "1beded10f1764848be4e028989c149e8";
  const text = `event: endpoint\r\ndata: /messages/?session_id=${hex}\r\n\r\n` +
    `POST /messages/?SESSION_ID=${hex} HTTP/1.1\r\nHost: h\r\n\r\n` +
    '{"session_id":"stays"} ?Session_Id=ab&x=1';
  const run = (chunks: Uint8Array[]) => {
    const r = createParamRedactor(SECRET_PARAM, { digest: TEST_DIGEST, hold: true });
    return new TextDecoder().decode(concatBytes([...chunks.map((c) => r.transform(c)), r.flush()]));
  };
  const want = text.replaceAll(hex, testParamDigest(hex)).replace(
    "=ab&",
    `=${testParamDigest("ab")}&`,
  );
  assert.ok(!want.includes(hex));
  assert.equal(assertSameForAllChunkings(utf8(text), run), want);
  // without the digest: `*`s, as the plain rule says
  const plain = assertSameForAllChunkings(utf8(text), (chunks) => masked(chunks));
  assert.deepEqual(plain, reference(utf8(text), SECRET_PARAM));
  assert.ok(!new TextDecoder().decode(plain).includes(hex.slice(0, 8)));
  // a decoded header value (HTTP/2 :path): the same positions and digest
  const path = `/messages/?session_id=${hex}&sessionId=u-1`;
  assert.deepEqual(
    paramValuePositions(path, SECRET_PARAM).map((i) => path[i]).join(""),
    hex + "u-1",
  );
  assert.equal(
    paramMasks(path, SECRET_PARAM, TEST_DIGEST).value,
    `/messages/?session_id=${testParamDigest(hex)}&sessionId=${testParamDigest("u-1")}`,
  );
});

/** As HTTP/1 streams run it: held, digested, a chunk boundary inside a value passed over. */
function http1Masked(chunks: Uint8Array[]): string {
  const r = createParamRedactor(SECRET_PARAM, {
    digest: TEST_DIGEST,
    hold: true,
    chunkSeams: true,
  });
  return new TextDecoder("latin1").decode(
    concatBytes([...chunks.map((c) => r.transform(c)), r.flush()]),
  );
}

Deno.test("a chunk boundary of a chunked SSE body inside the endpoint event's sessionId, at every place in it and any TLS split: one value, digested whole, the boundary kept", async () => {
  // the HTTP+SSE fixture's answer (real bytes), its endpoint event's chunk cut in two
  const { server, id, event, ev } = await sseEndpointFixture();
  for (let k = ev.indexOf(id); k <= ev.indexOf(id) + id.length; k++) {
    const [a, b] = [ev.slice(0, k), ev.slice(k)];
    const rechunked = server.replace(
      event[1] + "\r\n" + ev,
      `${a.length.toString(16)}\r\n${a}\r\n${b.length.toString(16)};x\r\n${b}`,
    );
    const input = Uint8Array.from(rechunked, (c) => c.charCodeAt(0));
    const out = assertSameForAllChunkings(input, http1Masked, {
      splitPointLimit: 0,
      randomRuns: 3,
      skipByteByByte: k % 8 !== 0,
    });
    // the boundary's bytes as they were; the id's bytes on its two sides: the digest of the id
    const seam = `\r\n${b.length.toString(16)};x\r\n`;
    const at = out.indexOf("sessionId=") + "sessionId=".length;
    const value = out.slice(at, at + id.length + seam.length);
    const cut = k - ev.indexOf(id);
    assert.equal(value.slice(cut, cut + seam.length), seam, `at ${k}`);
    assert.equal(value.slice(0, cut) + value.slice(cut + seam.length), testParamDigest(id));
    // every split of the bytes around the value (a TLS record or write split there)
    const from = rechunked.indexOf("sessionId=") - 4;
    for (let s = from; s < from + id.length + seam.length + 16; s++) {
      assert.equal(
        http1Masked([input.subarray(0, s), input.subarray(s)]),
        out,
        `at ${k}, split ${s}`,
      );
    }
  }
});

Deno.test("a chunk boundary inside the endpoint event's sessionId NAME (or right before its =, or in its value) with an extension of any kind: the id digested whole, the boundary kept; one too long to follow in the value: the id's rest masked", async () => {
  // the HTTP+SSE fixture's answer (real bytes), its endpoint event's chunk cut in two
  const { server, id, event, ev } = await sseEndpointFixture();
  const name = ev.indexOf("sessionId=");
  const exts = ["", ";x=1", ';a="x y;z"', "; a = b ;c"];
  for (const ext of [...exts, ";" + "e".repeat(MAX_SEAM)]) {
    const long = ext.length > MAX_SEAM;
    for (let k = long ? ev.indexOf(id) + 1 : name + 1; k <= ev.indexOf(id) + id.length - 1; k++) {
      const [a, b] = [ev.slice(0, k), ev.slice(k)];
      const seam = `\r\n${b.length.toString(16)}${ext}\r\n`;
      const rechunked = server.replace(
        event[1] + "\r\n" + ev,
        `${a.length.toString(16)}\r\n${a}${seam}${b}`,
      );
      const input = Uint8Array.from(rechunked, (c) => c.charCodeAt(0));
      const out = assertSameForAllChunkings(input, http1Masked, {
        splitPointLimit: 0,
        randomRuns: 2,
        skipByteByByte: k % 5 !== 0,
      });
      const at = rechunked.indexOf(seam);
      assert.equal(out.slice(at, at + seam.length), seam, `${ext} at ${k}: the seam kept`);
      // the event, the seam left out: the id whole as its digest (or `*`s), all else as it was
      const start = at - a.length;
      const joined = out.slice(start, at) +
        out.slice(at + seam.length, at + seam.length + b.length);
      const want = long ? "*".repeat(id.length) : testParamDigest(id);
      assert.equal(joined, ev.replace(id, want), `${JSON.stringify(ext)} at ${k}`);
      // every split of the bytes around the name and value (a TLS record or write split)
      for (let s = at - 12; s < at + seam.length + 12; s += long ? 7 : 1) {
        assert.equal(http1Masked([input.subarray(0, s), input.subarray(s)]), out, `split ${s}`);
      }
    }
  }
});

Deno.test("a secret query key in a chunked body, cut by a chunk boundary: masked on both sides", () => {
  const body =
    "url=https://generativelanguage.googleapis.com/v1beta/models?key=AIzaSyD-fake-key-0123\n";
  for (let k = body.indexOf("AIza"); k < body.indexOf("\n"); k++) {
    const text =
      `${k.toString(16)}\r\n${body.slice(0, k)}\r\n${(body.length - k).toString(16)}\r\n` +
      `${body.slice(k)}\r\n0\r\n\r\n`;
    const out = assertSameForAllChunkings(utf8(text), http1Masked, { randomRuns: 2 });
    assert.ok(!/AIza|fake|0123/.test(out), out);
    const key = "AIzaSyD-fake-key-0123", c = k - body.indexOf(key);
    const stars = (t: string) => "*".repeat(t.length);
    const want = text.replace(`=${key.slice(0, c)}\r`, `=${stars(key.slice(0, c))}\r`)
      .replace(`\n${key.slice(c)}\n`, `\n${stars(key.slice(c))}\n`);
    assert.equal(out, want);
  }
});

Deno.test("a secret query key's NAME cut by a chunk boundary (with or without an extension), or one right before its =: the key masked whole, the boundary kept", () => {
  const body =
    "url=https://generativelanguage.googleapis.com/v1beta/models?key=AIzaSyD-fake-key-0123\n";
  const key = "AIzaSyD-fake-key-0123";
  for (const ext of ["", ";x=1", ';a="x"']) {
    for (let k = body.indexOf("?key=") + 1; k <= body.indexOf("=AIza"); k++) {
      const seam = `\r\n${(body.length - k).toString(16)}${ext}\r\n`;
      const text = `${k.toString(16)}\r\n${body.slice(0, k)}${seam}${body.slice(k)}\r\n0\r\n\r\n`;
      const out = assertSameForAllChunkings(utf8(text), http1Masked, { randomRuns: 2 });
      assert.equal(out, text.replace(key, "*".repeat(key.length)), `${ext} at ${k}`);
    }
  }
});

Deno.test("a gap inside a chunk seam inside a value, at every place in it and with any number of the seam's bytes lost: the value's rest after it masked, never raw", () => {
  const id = "334aa7a6-73ac-43e4-93c5";
  for (const seam of ["\r\n1c\r\n", "\r\n1c;x=1\r\n"]) {
    for (let c = 1; c < seam.length; c++) {
      for (let lost = 0; c + lost <= seam.length; lost++) {
        for (const split of [0, 1, 2]) {
          const r = createParamRedactor(SECRET_PARAM, {
            digest: TEST_DIGEST,
            hold: true,
            chunkSeams: true,
          });
          const rest = seam.slice(c + lost) + id.slice(4) + "\n\nevent: x\n";
          const out = concatBytes([
            r.transform(utf8("data: /message?sessionId=" + id.slice(0, 4) + seam.slice(0, c))),
            r.cut(),
            r.transform(utf8(rest.slice(0, split))),
            r.transform(utf8(rest.slice(split))),
            r.flush(),
          ]);
          const got = new TextDecoder().decode(out);
          assert.ok(
            !/334a|a7a6|73ac|43e4|93c5/.test(got),
            `${JSON.stringify(seam)} ${c} ${lost}: ${got}`,
          );
          assert.ok(got.endsWith("\n\nevent: x\n"), got);
        }
      }
    }
  }
});

Deno.test("a value cut by a gap is masked on after it, to a byte that ends one", () => {
  const r = createParamRedactor(SECRET_PARAM, {
    digest: TEST_DIGEST,
    hold: true,
    chunkSeams: true,
  });
  const dec = new TextDecoder();
  assert.equal(
    r.transform(utf8("data: /message?sessionId=334aa7a6")).length,
    "data: /message?sessionId=".length,
  );
  assert.equal(dec.decode(r.cut()), "********");
  assert.equal(
    dec.decode(r.transform(utf8("-73ac-43e4\n\nevent: x\n"))),
    "**********\n\nevent: x\n",
  );
  // and a query key being masked, cut: its rest masked too
  const q = createParamRedactor(SECRET_PARAM, { hold: true, chunkSeams: true });
  assert.equal(dec.decode(q.transform(utf8("GET /v1?key=AIza"))), "GET /v1?key=****");
  assert.equal(q.cut().length, 0);
  assert.equal(dec.decode(q.transform(utf8("SyD HTTP/1.1\r\n"))), "*** HTTP/1.1\r\n");
});

Deno.test("a cut inside a seam too long to follow: the value's rest after the seam's line masked still, whole, byte by byte and at every split", () => {
  const first = "event: endpoint\ndata: /messages?sessionId=a1b2c\r\n21;" + "x".repeat(299);
  const rest = "3d4-e5f6-4711-8899-aabbccddeeff";
  const second = "x\r\n" + rest + "\n\n\r\n";
  const run = (parts: string[]) => {
    const r = createParamRedactor(SECRET_PARAM, {
      digest: TEST_DIGEST,
      hold: true,
      chunkSeams: true,
    });
    const out = [
      r.transform(utf8(first)),
      r.cut(),
      ...parts.map((p) => r.transform(utf8(p))),
      r.flush(),
    ];
    return new TextDecoder().decode(concatBytes(out));
  };
  const cases = [[second], [...second]];
  for (let k = 0; k <= second.length; k++) cases.push([second.slice(0, k), second.slice(k)]);
  for (const parts of cases) {
    const got = run(parts);
    assert.ok(!got.includes(rest.slice(0, 4)), JSON.stringify(parts));
    assert.ok(
      got.endsWith("x\r\n" + "*".repeat(rest.length) + "\n\n\r\n"),
      JSON.stringify(got.slice(-60)),
    );
  }
});

Deno.test("a chunk seam real clients take (control bytes in its extension, a size with leading zeros past 16 digits, a bare LF) ends no value: the id's rest never raw, whole, byte by byte and at every split", () => {
  const rest = "3d4-e5f6-4711-8899-aabbccddeeff";
  for (
    const seam of [
      "\r\n21;a=\x00\r\n",
      "\r\n21;a=\x01\r\n",
      "\r\n21;a=\x7f\r\n",
      "\r\n" + "0".repeat(16) + "21\r\n",
      "\r\n21\n",
      "\r\n21;ext\n",
    ]
  ) {
    const text = "event: endpoint\ndata: /messages?sessionId=a1b2c" + seam + rest + "\n\n";
    const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0));
    const run = (parts: Uint8Array[]) => {
      const r = createParamRedactor(SECRET_PARAM, {
        digest: TEST_DIGEST,
        hold: true,
        chunkSeams: true,
      });
      const out = concatBytes([...parts.map((p) => r.transform(p)), r.flush()]);
      return String.fromCharCode(...out);
    };
    const cases = [[bytes], [...bytes].map((b) => Uint8Array.of(b))];
    for (let k = 0; k <= bytes.length; k++) cases.push([bytes.subarray(0, k), bytes.subarray(k)]);
    for (const parts of cases) {
      const got = run(parts);
      assert.ok(
        !got.includes(rest.slice(0, 3)) && !got.includes("a1b2c"),
        `${JSON.stringify(seam)}: ${JSON.stringify(got)}`,
      );
      assert.ok(got.endsWith("\n\n"));
    }
  }
});

Deno.test("a chunk seam in a parameter NAME too long to follow (an extension past MAX_SEAM), or three or more seams in one name, or a CR inside a quoted extension: the value masked (fail closed), never raw", async () => {
  const { server, id, event, ev } = await sseEndpointFixture();
  const name = ev.indexOf("sessionId=");
  /** the event re-chunked at `cuts` (offsets into it), each seam with its extension */
  const rechunk = (cuts: number[], ext: (k: number) => string) => {
    const pieces: string[] = [];
    let at = 0;
    for (const k of [...cuts, ev.length]) pieces.push(ev.slice(at, k)), at = k;
    let text = `${pieces[0].length.toString(16)}\r\n${pieces[0]}`;
    for (let p = 1; p < pieces.length; p++) {
      text += `\r\n${pieces[p].length.toString(16)}${ext(p)}\r\n${pieces[p]}`;
    }
    return server.replace(event[1] + "\r\n" + ev, text);
  };
  const cases: [string, string][] = [];
  for (let k = name + 1; k <= name + 10; k++) {
    // one seam in the name, its extension past MAX_SEAM
    cases.push([`long at ${k}`, rechunk([k], () => ";" + "e".repeat(MAX_SEAM + 40))]);
    // a CR inside a quoted extension (then the line goes on, or ends there)
    cases.push([`quoted CR at ${k}`, rechunk([k], () => ';a="x\ry"')]);
    cases.push([`quoted CRLF at ${k}`, rechunk([k], () => ';a="x\r\nz"')]);
  }
  // three and four seams in the name
  for (const cuts of [[name + 1, name + 3, name + 6], [name + 2, name + 4, name + 5, name + 8]]) {
    for (const ext of ["", ";x=1"]) cases.push([`${cuts} ${ext}`, rechunk(cuts, () => ext)]);
  }
  // a CR inside a quoted extension of a seam in the value
  for (let k = ev.indexOf(id) + 1; k < ev.indexOf(id) + id.length; k += 3) {
    cases.push([`value quoted CR at ${k}`, rechunk([k], () => ';a="x\ry"')]);
    cases.push([`value quoted CRLF at ${k}`, rechunk([k], () => ';a="x\r\nz"')]);
  }
  for (const [label, text] of cases) {
    const input = Uint8Array.from(text, (c) => c.charCodeAt(0));
    for (
      const out of [
        http1Masked([input]),
        http1Masked([...input].map((b) => Uint8Array.of(b))),
      ]
    ) {
      // no 6 bytes of the id anywhere
      for (let a = 0; a + 6 <= id.length; a++) {
        assert.ok(!out.includes(id.slice(a, a + 6)), `${label}: ${id.slice(a, a + 6)} out`);
      }
      assert.equal(out.length, text.length, label);
    }
  }
});

Deno.test("isSecretParam judges a name after decoding its %XX escapes: a secret name escaped whole (three times as long) is still a secret; a name over 48 bytes decoded is not", () => {
  const escaped = (s: string) => Array.from(s, (c) => "%" + c.charCodeAt(0).toString(16)).join("");
  // `client_secret_for_the_upstream_provider_api` (43 bytes), escaped: 129 bytes as it stands
  const long = "client_secret_for_the_upstream_provider_api";
  assert.ok(isSecretParam(long));
  assert.ok(escaped(long).length > 48);
  assert.ok(isSecretParam(escaped(long)), "escaped whole");
  assert.ok(isSecretParam(escaped("api_key")));
  assert.ok(!isSecretParam(escaped("page")));
  assert.ok(!isSecretParam("x".repeat(49) + "_key"), "too long, decoded");
  // and in a stream: the value after an escaped secret name is masked
  const url = `GET /v1?${escaped(long)}=sk-live-abcdefgh12345678&page=2 HTTP/1.1\r\n\r\n`;
  const out = new TextDecoder().decode(
    createParamRedactor(SECRET_PARAM).transform(new TextEncoder().encode(url)),
  );
  assert.ok(!out.includes("abcdefgh"), out);
  assert.ok(out.includes("&page=2 HTTP/1.1"), out);
});
