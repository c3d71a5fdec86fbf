/** The ipc redactor's URL-parameter masker, fed whole, byte by byte and at every split point. */
import assert from "node:assert/strict";
import { createParamRedactor, SECRET_PARAM } from "./redact.ts";
import { assertSameForAllChunkings, concatBytes, utf8 } from "../protocols/testing.ts";

const dec = new TextDecoder();

function mask(chunks: Uint8Array[]): string {
  const r = createParamRedactor(SECRET_PARAM);
  const out = chunks.map((c) => r.transform(c).slice());
  chunks.forEach((c, i) => assert.equal(out[i].length, c.length, "same length"));
  return dec.decode(concatBytes(out));
}

Deno.test("sessionId URL parameters are masked in the request line and the endpoint event", () => {
  const id = "8a3b5f9e-1c2d-4e5f-a6b7-c8d9e0f1a2b3";
  const text = `POST /message?sessionId=${id} HTTP/1.1\r\nHost: x\r\n\r\n` +
    `event: endpoint\ndata: /message?SESSIONID=${id}&x=1\n\n` +
    `{"url":"/m?a=1&sessionId=${id}"} /x?sesessionId=${id} sessionid sessio sessionId=`;
  const got = assertSameForAllChunkings(utf8(text), mask);
  assert.ok(!got.includes(id), got);
  const stars = "*".repeat(id.length);
  assert.ok(got.startsWith(`POST /message?sessionId=${stars} HTTP/1.1\r\n`));
  assert.ok(got.includes(`data: /message?SESSIONID=${stars}&x=1\n`));
  assert.ok(got.includes(`sessionId=${stars}"}`));
  assert.ok(got.includes(`sesessionId=${stars} `), "a match that starts inside a near miss");
  assert.ok(got.endsWith(" sessionid sessio sessionId="), "nothing else touched");
});
