/** StartLineMatcher: the body masker's START_LINE rule, byte by byte. */
import assert from "node:assert/strict";
import { StartLineMatcher, type StartLineVerdict } from "./start_line.ts";
import { START_LINE } from "./http1_body_secrets.ts";

function verdict(line: string): StartLineVerdict {
  const m = new StartLineMatcher();
  let v: StartLineVerdict = "maybe";
  for (const ch of line) {
    v = m.feed(ch.charCodeAt(0));
    if (v !== "maybe") return v;
  }
  return v;
}

Deno.test("start lines are told from header and body lines, as the body masker's rule reads them", () => {
  const lines = [
    "POST /v1/messages HTTP/1.1\r\n",
    "GET * HTTP/1.0\n",
    "HTTP/1.1 200 OK\r\n",
    "HTTP/1.0 404\r\n",
    "ization: Bearer sk\r\n",
    "GET /x HTTP/1.2\r\n",
    "GET /x HTTP/1.1 extra\r\n",
    "HTTP/2 200\r\n",
    "get / HTTP/1.1\r\n",
    " GET / HTTP/1.1\r\n",
    "GET  / HTTP/1.1\r\n",
    "GET /\r\n",
    '{"a": "HTTP/1.1 200"}\n',
  ];
  for (const line of lines) {
    const text = line.replace(/\r?\n$/, "");
    const want = START_LINE.test(text) ? (text.startsWith("HTTP/") ? "status" : "request") : "no";
    assert.equal(verdict(line), want, JSON.stringify(line));
  }
  // reset: a fresh line
  const m = new StartLineMatcher();
  for (const ch of "xx") m.feed(ch.charCodeAt(0));
  m.reset();
  assert.equal([..."HTTP/1.1 101"].map((c) => m.feed(c.charCodeAt(0))).at(-1), "status");
});
