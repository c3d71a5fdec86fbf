/** The JSON-RPC secrets rule: on parsed values and streaming over bytes, fed in every chunking. */
import assert from "node:assert/strict";
import {
  createJsonSecretMasker,
  maskSecrets,
  MAY_BE_SECRET_KEY,
  SECRET_KEY,
} from "./json_secrets.ts";
import { assertSameForAllChunkings, concatBytes, utf8 } from "./testing.ts";

const dec = new TextDecoder();

function maskStream(chunks: Uint8Array[]): string {
  const m = createJsonSecretMasker();
  const out = chunks.map((c) => m.transform(c).slice());
  for (let i = 0; i < chunks.length; i++) assert.equal(out[i].length, chunks[i].length);
  return dec.decode(concatBytes(out));
}

const INIT = {
  jsonrpc: "2.0",
  id: 0,
  method: "initialize",
  params: {
    protocolVersion: "2025-06-18",
    capabilities: { roots: { listChanged: true } },
    clientInfo: { name: "claude-code", version: "2.0.1" },
    env: { GITHUB_TOKEN: "ghp_SECRETSECRET", HOME: "/root" },
    auth: { apiKey: 'sk-"quoted"\\x', key: "k-123", keys: ["a"], password: "hunter2" },
    list: [{ access_token: "tok-1" }, "plain"],
    tokenCount: 5,
  },
};

Deno.test("json secrets: the streaming masker agrees with maskSecrets, same length, any chunking", () => {
  const text = JSON.stringify(INIT) + "\n";
  const masked = assertSameForAllChunkings(utf8(text), maskStream);
  assert.equal(masked.length, text.length);
  // the same values masked (bytes for the one, characters for the other: escapes differ)
  const stars = (v: unknown) => JSON.stringify(v).replace(/\*+/g, "*");
  assert.equal(stars(JSON.parse(masked)), stars(maskSecrets(INIT)));
  for (const secret of ["ghp_SECRETSECRET", "quoted", "k-123", "hunter2", "tok-1"]) {
    assert.ok(!masked.includes(secret), secret);
  }
  // what is not a secret stays
  for (const kept of ["/root", "claude-code", '"keys":["a"]', '"tokenCount":5', "plain"]) {
    assert.ok(masked.includes(kept), kept);
  }
});

Deno.test("json secrets: only the first value is masked (initialize), after any prefix", () => {
  const second = JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "tools/call",
    params: { name: "get", arguments: { key: "k1" } },
  });
  const first = JSON.stringify(INIT);
  const cl = `Content-Length: ${first.length}\r\n\r\n${first}` +
    `Content-Length: ${second.length}\r\n\r\n${second}`;
  const masked = assertSameForAllChunkings(utf8(cl), maskStream);
  assert.ok(masked.startsWith(`Content-Length: ${first.length}\r\n\r\n{`));
  assert.ok(!masked.includes("hunter2"));
  assert.ok(masked.endsWith(second), "the tools/call after initialize is untouched");
  // an HTTP request with a JSON body, after a head with brackets in it (afterHead)
  const http = "POST /mcp HTTP/1.1\r\nHost: [::1]:3001\r\nX: {a}\r\n\r\n" + first;
  const head = (chunks: Uint8Array[]) => {
    const m = createJsonSecretMasker({ afterHead: true });
    return dec.decode(concatBytes(chunks.map((c) => m.transform(c).slice())));
  };
  const h = assertSameForAllChunkings(utf8(http), head);
  assert.ok(!h.includes("ghp_SECRETSECRET") && h.includes("Host: [::1]:3001\r\nX: {a}"));
  assert.ok(maskStream([utf8(http)]).includes("ghp_SECRETSECRET"), "without it: [::1] is taken");
  const sse =
    'event: message\ndata: {"result":{"serverInfo":{"name":"s"},"token":"T0K3N"},"id":0}\n\n';
  const out = assertSameForAllChunkings(utf8(sse), maskStream);
  assert.ok(out.includes('"token":"*****"') && out.includes('"name":"s"'));
  // a batch is one value
  const batch =
    `[{"id":1,"params":{"secret":"s1"}},{"id":2,"params":{"secret":"s2"}}] {"secret":"s3"}`;
  const b = maskStream([utf8(batch)]);
  assert.ok(!b.includes("s1") && !b.includes("s2") && b.includes("s3"));
});

Deno.test("json secrets: after a gap inside the first value, everything but punctuation is masked", () => {
  const m = createJsonSecretMasker();
  const a = m.transform(utf8('{"jsonrpc":"2.0","params":{"x":"ab'));
  assert.equal(dec.decode(a), '{"jsonrpc":"2.0","params":{"x":"ab');
  m.gap();
  const b = dec.decode(m.transform(utf8('cd","token":"SECRET"}}{"token":"later"}')));
  assert.ok(!b.includes("SECRET"));
  assert.ok(b.endsWith('{"token":"later"}'), `resynced after the first value: ${b}`);
});

Deno.test("MAY_BE_SECRET_KEY, the cheap test before parsing, matches every key SECRET_KEY masks", () => {
  const keys = [
    "token",
    "GITHUB_TOKEN",
    "client_secret",
    "Password",
    "passwd",
    "api_key",
    "API-KEY",
  ];
  keys.push("apikey", "key", "Authorization", "set-cookie", "credentials");
  for (const k of keys) {
    assert.ok(SECRET_KEY.test(k), k);
    assert.ok(MAY_BE_SECRET_KEY.test(JSON.stringify({ [k]: "v" })), k);
  }
  assert.ok(!MAY_BE_SECRET_KEY.test('{"keys":["monkey"],"max":1}'));
});
