import assert from "node:assert/strict";
import { createParamRedactor, paramValuePositions, SECRET_PARAM } from "./url_param_mask.ts";
import { assertSameForAllChunkings, concatBytes, seededRandom, utf8 } from "./testing.ts";

/** The rule, written plainly: after each `name=` (any case), mask up to a value's end. */
function reference(bytes: Uint8Array, name: string): Uint8Array {
  const out = bytes.slice();
  const text = new TextDecoder("latin1").decode(bytes).toLowerCase();
  for (let i = 0; i < bytes.length;) {
    if (!text.startsWith(name, i)) {
      i++;
      continue;
    }
    i += name.length;
    while (i < bytes.length && !"& \t\r\n\"'".includes(text[i])) out[i++] = 42;
  }
  return out;
}

function masked(chunks: Uint8Array[], name = SECRET_PARAM): Uint8Array {
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
  ];
  for (let n = 0; n < 400; n++) {
    let text = "";
    const len = Math.floor(rand() * 80);
    for (let i = 0; i < len; i++) text += alphabet[Math.floor(rand() * alphabet.length)];
    const input = utf8(text);
    const want = reference(input, SECRET_PARAM);
    assert.deepEqual(masked([input]), want, text);
    const chunks: Uint8Array[] = [];
    for (let p = 0; p < input.length;) {
      const k = 1 + Math.floor(rand() * 12);
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
  const path = "/messages?sessionId=ab-12&SESSIONID=z";
  const positions = paramValuePositions(path, SECRET_PARAM);
  const bytes = reference(utf8(path), SECRET_PARAM);
  assert.deepEqual(positions, [...bytes.keys()].filter((i) => bytes[i] === 42));
});
