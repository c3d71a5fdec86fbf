/** Tests of the head-line rule (head_line_rule.ts): which head lines after a gap go through. */
import assert from "node:assert/strict";
import { maskHeadLine, valueHasKeyPrefix } from "./head_line_rule.ts";
import { latin1Decode, latin1Encode } from "./latin1.ts";

const rule = (line: string) => latin1Decode(maskHeadLine(latin1Encode(line)));

Deno.test("well-formed field lines with plain values go through as they are", () => {
  for (
    const line of [
      "Content-Type: application/json\r\n",
      "content-length:12\n",
      "Via: 1.1 vegur\r\n",
      "User-Agent: OpenAI/JS 4.104.0\r\n",
      "Cache-Control: no-cache, private\r\n",
      "Date: Mon, 07 Dec 2026 16:38:00 GMT\r\n",
      "x-request-id: req_011CVxyz\r\n",
      "authorization: ****************\r\n", // masked already by name
      "\r\n",
      "\n",
    ]
  ) assert.equal(rule(line), line);
});

Deno.test("a credential-shaped value is masked, name and separator kept", () => {
  for (
    const [line, keep] of [
      ["Foo: Bearer sk-abcdefgh\r\n", "Foo: "],
      ["X-Gw:\tBasic dXNlcjpwYXNz\r\n", "X-Gw:\t"],
      ['X-Gw: Digest username="a", response="b"\r\n', "X-Gw: "],
      ["X-Thing: sk-ant-api03-xyz\r\n", "X-Thing: "],
      ['X-Thing: "AIzaSyA-123"\n', "X-Thing: "],
      ["X-Thing: eyJhbGciOiJIUzI1NiJ9.e30.x\r\n", "X-Thing: "],
    ]
  ) {
    const out = rule(line);
    assert.ok(out.startsWith(keep), out);
    assert.match(out.slice(keep.length), /^\*+\r?\n$/, out);
    assert.equal(out.length, line.length);
  }
});

Deno.test("a line that is no well-formed field line is masked whole, CR and LF kept", () => {
  for (
    const line of [
      '  "authorization": "Bearer sk-x"\r\n',
      "  x-api-key: sk-x\r\n",
      " folded-on value\r\n", // obs-fold
      "X-API-KEY : sk-x\r\n",
      '"x-api-key": "k"\r\n',
      "X-Thing: a\rsk-hidden\r\n",
      "no colon at all",
    ]
  ) {
    const out = rule(line);
    assert.equal(out.length, line.length);
    assert.equal(out.replace(/[\r\n]/g, ""), "*".repeat(line.replace(/[\r\n]/g, "").length), out);
    assert.equal(out.replace(/\*/g, ""), line.replace(/[^\r\n]/g, ""));
  }
});

Deno.test("a whole value is a key by its start (after blanks, maybe quoted) or a folded line's start, as HTTP/1 judges it", () => {
  for (
    const value of [
      "sk-ant-api03-x",
      '  \t"AIzaSyQp4"',
      "'ghp_x",
      "xoxp-1",
      "eyJ",
      "a\r\n sk-proj-x",
      "a\n\tAKIAIOSF",
      "a\rASIAx",
    ]
  ) assert.equal(valueHasKeyPrefix(value), true, JSON.stringify(value));
  for (
    const value of ["", "sk", "skipper", "AIr-x", "gpt-4o", "Bearer sk-x", "a sk-x", "x\r\n", "eyj"]
  ) assert.equal(valueHasKeyPrefix(value), false, JSON.stringify(value));
});

Deno.test("a whole value has a key inside it (HTTP/2's judgement): after a `,`, a `=`, or an auth scheme and its blanks", () => {
  for (
    const value of [
      "Bearer sk-ant-api03-x",
      "foo, sk-proj-x",
      'a, "AIzaSyQp4"',
      "token=ghp_x",
      "a=1; b=eyJhbGci",
      "x, Basic\tAKIAIOSF",
      "a\r\n sk-proj-x",
    ]
  ) {
    assert.equal(valueHasKeyPrefix(value, true), true, JSON.stringify(value));
    if (!value.includes("\r")) assert.equal(valueHasKeyPrefix(value), false, JSON.stringify(value));
  }
  for (
    const value of [
      "application/json, text/event-stream",
      "gzip, deflate, br",
      "claude-cli/2.0.1 (external, cli)",
      "multipart/form-data; boundary=skipper",
      "Bearer",
      "a b sk-x",
      "max-age=0, no-cache",
    ]
  ) assert.equal(valueHasKeyPrefix(value, true), false, JSON.stringify(value));
});
