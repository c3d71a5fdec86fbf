/** StartLineMatcher and isStartLine: the one start-line grammar, byte by byte and whole. */
import assert from "node:assert/strict";
import { isStartLine, StartLineMatcher, type StartLineVerdict } from "./start_line.ts";

/** The grammar as a regular expression (JS's \S on latin1: no SP, HT, LF, VT, FF, CR, 0xA0). */
const START_LINE = /^(HTTP\/1\.[01] \d{3}|[A-Z]+ \S+ HTTP\/1\.[01]$)/;

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
    "GET /\x0b HTTP/1.1\r\n",
    "GET /\x0c HTTP/1.1\r\n",
    "GET /\xa0 HTTP/1.1\r\n",
    "GET /\xa1 HTTP/1.1\r\n",
    "GET /\x01 HTTP/1.1\r\n",
    "GET / HTTP/1.1\r\r\n",
  ];
  for (const line of lines) {
    const text = line.replace(/\r?\n$/, "");
    const want = START_LINE.test(text) ? (text.startsWith("HTTP/") ? "status" : "request") : "no";
    assert.equal(verdict(line), want, JSON.stringify(line));
    assert.equal(isStartLine(text), want !== "no", JSON.stringify(line));
  }
  // reset: a fresh line
  const m = new StartLineMatcher();
  for (const ch of "xx") m.feed(ch.charCodeAt(0));
  m.reset();
  assert.equal([..."HTTP/1.1 101"].map((c) => m.feed(c.charCodeAt(0))).at(-1), "status");
});
