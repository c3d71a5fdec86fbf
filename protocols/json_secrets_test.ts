/**
 * The JSON-RPC secrets rule: on parsed values and streaming over bytes (every value of a
 * stream, and after a gap), fed whole, byte by byte and at every split point.
 */
import assert from "node:assert/strict";
import {
  createJsonSecretMasker,
  maskSecrets,
  MAY_BE_SECRET_KEY,
  SECRET_KEY,
} from "./json_secrets.ts";
import { assertSameForAllChunkings, concatBytes, seededRandom, utf8 } from "./testing.ts";

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

/** Each message masked by maskSecrets, as text (the streaming masker must give the same). */
function reference(messages: unknown[]): string[] {
  return messages.map((m) => JSON.stringify(maskSecrets(m)));
}

// what an MCP session writes after `initialize`: a tools/call whose arguments carry secrets,
// the server's answer with a token, a notification, a batch
const LATER: unknown[] = [
  {
    jsonrpc: "2.0",
    id: 1,
    method: "tools/call",
    params: { name: "fetch", arguments: { url: "http://x", api_key: "AK-later-1", n: 2 } },
  },
  { jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: "ok" }], token: "TK-2" } },
  { method: "notifications/progress", params: { secret: "S-3", nested: [{ password: "P-4" }] } },
  [{ jsonrpc: "2.0", id: 2, method: "x", params: { Authorization: "Bearer B-5" } }, 7, "s"],
];
const LATER_SECRETS = ["AK-later-1", "TK-2", "S-3", "P-4", "Bearer B-5"];

Deno.test("json secrets: every value of newline-delimited JSON is masked, any chunking", () => {
  const lines = [INIT, ...LATER].map((m) => JSON.stringify(m));
  const masked = assertSameForAllChunkings(utf8(lines.join("\n") + "\n"), maskStream);
  // the same values masked (bytes for the one, characters for the other: escapes differ)
  const stars = (t: string) => t.replace(/\*+/g, "*");
  assert.deepEqual(
    masked.split("\n").slice(0, -1).map(stars),
    reference([INIT, ...LATER]).map(stars),
  );
  for (const s of LATER_SECRETS) assert.ok(!masked.includes(s), s);
});

Deno.test("json secrets: Content-Length framing, whitespace, SSE data and HTTP heads between values", () => {
  const bodies = LATER.map((m) => JSON.stringify(m));
  const cl = bodies.map((b) => `Content-Length: ${b.length}\r\n\r\n${b}`).join("");
  const out = assertSameForAllChunkings(utf8(cl), maskStream);
  assert.equal(
    out,
    reference(LATER).map((b, i) => `Content-Length: ${bodies[i].length}\r\n\r\n${b}`).join(""),
  );
  // pretty-printed values with blanks between them
  const pretty = LATER.map((m) => JSON.stringify(m, null, 2)).join(" \r\n\t");
  const p = assertSameForAllChunkings(utf8(pretty), maskStream);
  assert.deepEqual(
    p.split(" \r\n\t").map((v) => JSON.stringify(JSON.parse(v))),
    reference(LATER),
  );
  // an event stream: every message event
  const sse = bodies.map((b, i) => `event: message\nid: ${i}\ndata: ${b}\n\n`).join("");
  const e = assertSameForAllChunkings(utf8(sse), maskStream);
  for (const s of LATER_SECRETS) assert.ok(!e.includes(s), s);
  assert.ok(e.includes("event: message\nid: 3\ndata: "));
  // HTTP messages on one connection (keep-alive): brackets, braces and a stray quote in a head
  // cannot put the masker out of step beyond their line
  const http = bodies.map((b) =>
    `POST /mcp HTTP/1.1\r\nHost: [::1]:3001\r\nX: {a\r\nUser-Agent: it"s\r\n` +
    `Content-Length: ${b.length}\r\n\r\n${b}`
  ).join("");
  const h = assertSameForAllChunkings(utf8(http), maskStream);
  for (const s of LATER_SECRETS) assert.ok(!h.includes(s), s);
  assert.equal(h.split('Host: [::1]:3001\r\nX: {a\r\nUser-Agent: it"s\r\n').length, 5);
});

Deno.test("json secrets: a raw line feed in a string: blind from it (the string's rest may follow) up to a sure value start; the next one is masked", () => {
  const text = '{"a":"no end\n{"token":"T1"} "x\n{"k":{"key":"T2"}}';
  const out = assertSameForAllChunkings(utf8(text), maskStream);
  assert.equal(out, '{"a":"no end\n{"*****":"**"}*"*\n{"*":{"***":"**"}}');
  // a secret value cut by a line feed (a chunk seam inside it, its framing lost): masked up to
  // it, and its rest after it
  assert.equal(
    maskStream([utf8('{"token":"ab\r\n1c;x=1\r\ncd"} {"token":"ef"}\n{"jsonrpc":"2.0","x":"y"}')]),
    // (a `c` kept: it may begin `Content-Length:`, a sure start)
    '{"token":"***\n******\r\nc*"}*{"*****":"**"}\n{"jsonrpc":"2.0","x":"y"}',
  );
});

/** `before`, a gap, then `after` in every chunking. */
function afterGap(before: string, after: string): string {
  return assertSameForAllChunkings(utf8(after), (chunks) => {
    const m = createJsonSecretMasker();
    const head = dec.decode(m.transform(utf8(before)).slice());
    m.gap();
    return head + dec.decode(concatBytes(chunks.map((c) => m.transform(c).slice())));
  });
}

Deno.test("json secrets: after a gap, everything but punctuation is masked until a sure value start", () => {
  const before = '{"jsonrpc":"2.0","params":{"x":"ab';
  const later = JSON.stringify(LATER[0]);
  const out = afterGap(before, `cd","token":"SECRET"}}\n${later}\n`);
  assert.equal(
    out,
    before + '**","*****":"******"}}\n' + reference([LATER[0]])[0] + "\n",
    'recovered at the next line\'s {"jsonrpc"',
  );
  // no line feed: the next value is not sure (the gap may have been inside a string)
  const noLf = afterGap(before, `"}}{"jsonrpc":"2.0","token":"T"}`);
  assert.equal(noLf, before + '"}}{"*******":"***","*****":"*"}');
  // a line that does not begin like a JSON-RPC message: still blind
  const odd = afterGap(before, `\n{"token":"T"}\n {"jsonrpc":"x"}\n["a"]\n`);
  assert.equal(odd, before + '\n{"*****":"*"}\n*{"*******":"*"}\n["*"]\n');
  // a line's start passes only while it is a start of a JSON-RPC member's name
  const names = afterGap(before, `\n{"hunter2-Xc8":1}\n{"idx":2}\n{"jdoe":3}\n{"id":4}\n`);
  assert.equal(names, before + '\n{"***********":*}\n{"id*":*}\n{"j***":*}\n{"id":4}\n');
  // a batch, and a Content-Length header, are sure starts too
  const batch = afterGap(before, `x\n[{"id":1,"token":"T"}]\n`);
  assert.equal(batch, before + '*\n[{"id":1,"token":"*"}]\n');
  const cl = afterGap(before, `x"}\r\ncontent-length: 20\r\n\r\n{"a":"b","token":"T"}`);
  assert.equal(cl, before + '*"}\r\ncontent-length: 20\r\n\r\n{"a":"b","token":"*"}');
  // a gap between values is blind too
  const between = afterGap('{"id":1}\n', `{"token":"T"}\n{"id":2,"token":"U"}`);
  assert.equal(between, '{"id":1}\n{"*****":"*"}\n{"id":2,"token":"*"}');
});

Deno.test("json secrets: random messages, masked as maskSecrets masks them, any chunking", () => {
  const rand = seededRandom(7);
  const keys = ["a", "token", "key", "keys", "x-api-key", "name", "Cookie", 'k"ey', "pass\\wd"];
  keys.push("auth", "token_type", "private_key");
  const value = (depth: number): unknown => {
    const r = rand();
    if (depth > 3 || r < 0.4) {
      if (rand() < 0.1) return `x-----BEGIN EC PRIVATE KEY-----\nAb${rand()}\n-----END EC`;
      return rand() < 0.7
        ? "v" + '\\"\u00e9\u2603x'.slice(0, Math.floor(rand() * 6)) + Math.floor(rand() * 99)
        : Math.floor(rand() * 9);
    }
    if (r < 0.6) return Array.from({ length: Math.floor(rand() * 3) }, () => value(depth + 1));
    return Object.fromEntries(
      Array.from({ length: 1 + Math.floor(rand() * 3) }, () => [
        keys[Math.floor(rand() * keys.length)],
        value(depth + 1),
      ]),
    );
  };
  const messages = Array.from({ length: 12 }, () => ({ id: 1, params: value(0) }));
  const text = messages.map((m) => JSON.stringify(m)).join("\n");
  const out = assertSameForAllChunkings(utf8(text), maskStream, { randomRuns: 50 });
  const stars = (v: unknown) => JSON.stringify(v).replace(/\*+/g, "*");
  assert.deepEqual(
    out.split("\n").map((l) => stars(JSON.parse(l))),
    messages.map((m) => stars(maskSecrets(m))),
  );
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
  keys.push("private_key", "private_key_id", "privateKey", "AccessKeyId", "aws_access_key_id");
  keys.push(
    "aws_secret_access_key",
    "SessionToken",
    "refresh_token",
    "passphrase",
    "auth",
    "_auth",
    "helicone_auth",
    "Ocp-Apim-Subscription-Key",
  );
  for (const k of keys) {
    assert.ok(SECRET_KEY.test(k), k);
    assert.ok(MAY_BE_SECRET_KEY.test(JSON.stringify({ [k]: "v" })), k);
  }
  assert.ok(!MAY_BE_SECRET_KEY.test('{"keys":["monkey"],"max":1}'));
  // named after tokens or keys without being secrets
  for (const k of ["max_tokens", "input_tokens", "token_count", "tokenCount", "token_type"]) {
    assert.ok(!SECRET_KEY.test(k), k);
  }
  for (const k of ["token_uri", "tokenizer", "keys", "monkey", "author", "oauth_flow"]) {
    assert.ok(!SECRET_KEY.test(k), k);
  }
});

Deno.test("json secrets: a key spelled with JSON escapes (\\u0074oken) is masked as maskSecrets masks it", () => {
  // what a serializer that escapes keys writes; JSON.parse (the analysis) reads the same keys
  const text = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"arguments":' +
    '{"\\u0074oken":"TK-escaped","api\\u005Fkey":"AK-escaped","\\"quoted\\"":"kept"}}}\n';
  assert.ok(MAY_BE_SECRET_KEY.test(text), "the cheap test lets it through to the masker");
  const masked = assertSameForAllChunkings(utf8(text), maskStream);
  for (const secret of ["TK-escaped", "AK-escaped"]) assert.ok(!masked.includes(secret), secret);
  assert.ok(masked.includes('"kept"'));
  assert.deepEqual(JSON.parse(masked), maskSecrets(JSON.parse(text)));
});

// what real credential formats carry, as a tool's answer might show them: a GCP service
// account's key file, AWS's credential_process JSON and credentials, an OAuth token answer, a
// Docker config.json, an SSH key's passphrase
const PEM =
  "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n" +
  "-----END PRIVATE KEY-----\n";
const CREDENTIALS = {
  jsonrpc: "2.0",
  id: 9,
  result: {
    gcp: {
      type: "service_account",
      project_id: "proj-1",
      private_key_id: "PKID-0a1b2c3d",
      private_key: PEM,
      client_email: "svc@proj-1.iam.gserviceaccount.com",
      client_id: "1234567890",
      token_uri: "https://oauth2.googleapis.com/token",
    },
    aws: {
      Version: 1,
      AccessKeyId: "AKIAEXAMPLEID",
      SecretAccessKey: "SAK-wJalrXUtnFEMI",
      SessionToken: "ST-FwoGZXIvYXdz",
      Expiration: "2026-12-03T18:00:00Z",
    },
    aws_ini: {
      aws_access_key_id: "AKIAINI",
      aws_secret_access_key: "SAK-ini",
      access_key: "AK-s3",
    },
    oauth: {
      access_token: "AT-ya29.a0",
      token_type: "Bearer",
      expires_in: 3599,
      refresh_token: "RT-1//0g",
      id_token: "IDT-eyJhbGci",
      scope: "openid email",
      client_secret: "CS-GOCSPX",
    },
    docker: { auths: { "registry.example.com": { auth: "AUTH-dXNlcjpwYXNz" } } },
    ssh: { passphrase: "PP-correct horse", passwd: "PW-hunter2" },
    usage: { max_tokens: 1024, input_tokens: 12, token_count: 7, tokenizer: "cl100k_base" },
  },
};
const CREDENTIAL_SECRETS = [
  "PKID-0a1b2c3d",
  "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
  "AKIAEXAMPLEID",
  "SAK-wJalrXUtnFEMI",
  "ST-FwoGZXIvYXdz",
  "AKIAINI",
  "SAK-ini",
  "AK-s3",
  "AT-ya29.a0",
  "RT-1//0g",
  "IDT-eyJhbGci",
  "CS-GOCSPX",
  "AUTH-dXNlcjpwYXNz",
  "PP-correct horse",
  "PW-hunter2",
];
const CREDENTIAL_KEPT = [
  '"type":"service_account"',
  '"project_id":"proj-1"',
  '"client_email":"svc@proj-1.iam.gserviceaccount.com"',
  '"token_uri":"https://oauth2.googleapis.com/token"',
  '"Expiration":"2026-12-03T18:00:00Z"',
  '"token_type":"Bearer"',
  '"expires_in":3599',
  '"scope":"openid email"',
  '"max_tokens":1024',
  '"input_tokens":12',
  '"token_count":7',
  '"tokenizer":"cl100k_base"',
];

Deno.test("json secrets: real credential formats (GCP, AWS, OAuth, Docker) masked, their ordinary fields kept", () => {
  const text = JSON.stringify(CREDENTIALS) + "\n";
  assert.ok(MAY_BE_SECRET_KEY.test(text));
  const masked = assertSameForAllChunkings(utf8(text), maskStream);
  const parsed = JSON.stringify(maskSecrets(CREDENTIALS));
  const stars = (t: string) => t.replace(/\*+/g, "*");
  assert.equal(stars(JSON.stringify(JSON.parse(masked))), stars(parsed));
  for (const secret of CREDENTIAL_SECRETS) {
    assert.ok(!masked.includes(secret), `bytes: ${secret}`);
    assert.ok(!parsed.includes(secret), `parsed: ${secret}`);
  }
  for (const kept of CREDENTIAL_KEPT) {
    assert.ok(masked.includes(kept), `bytes: ${kept}`);
    assert.ok(parsed.includes(kept), `parsed: ${kept}`);
  }
});

Deno.test("json secrets: a PEM private key in any string value: its body masked, any chunking", () => {
  const rsa =
    "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,AB12\n\n" +
    "MIIEpAIBAAKCAQEA1x\nQz9kPq==\n-----END RSA PRIVATE KEY-----";
  const ssh =
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
  const cert = "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIE\n-----END CERTIFICATE-----\n";
  const msg = {
    jsonrpc: "2.0",
    id: 3,
    result: {
      content: [
        { type: "text", text: `$ cat ~/.ssh/id_rsa\n${rsa}\n$ cat id_ed25519\n${ssh}done` },
        { type: "text", text: cert },
        { type: "text", text: "-----BEGIN no key here, and ----- dashes ---- PRIVATE KEY" },
        { type: "text", text: "- -- --- ----x------BEGIN EC PRIVATE KEY-----\nECBODY1\n-----END" },
      ],
      list: [PEM, "plain"],
    },
  };
  const text = JSON.stringify(msg) + "\n";
  assert.ok(MAY_BE_SECRET_KEY.test(text), "the cheap test lets it through");
  const masked = assertSameForAllChunkings(utf8(text), maskStream);
  assert.equal(masked.length, text.length);
  const parsed = maskSecrets(msg);
  const stars = (t: string) => t.replace(/\*+/g, "*");
  assert.equal(stars(JSON.stringify(JSON.parse(masked))), stars(JSON.stringify(parsed)));
  for (
    const secret of [
      "MIIEpAIBAAKCAQEA1x",
      "ECBODY1",
      "Qz9kPq",
      "AES-128-CBC",
      "b3BlbnNzaC1rZXktdjEAAAAA",
      "MIIEvQIBADANBgkq",
    ]
  ) {
    assert.ok(!masked.includes(secret), secret);
    assert.ok(!JSON.stringify(parsed).includes(secret), secret);
  }
  const out = JSON.parse(masked);
  const first = out.result.content[0].text as string;
  // what is around a key, its first and last lines, and a certificate stay
  assert.ok(first.startsWith("$ cat ~/.ssh/id_rsa\n-----BEGIN RSA PRIVATE KEY-----*"), first);
  assert.ok(first.includes("*-----END RSA PRIVATE KEY-----\n$ cat id_ed25519\n"), first);
  assert.ok(first.endsWith("*-----END OPENSSH PRIVATE KEY-----\ndone"), first);
  assert.equal(out.result.content[1].text, cert);
  assert.equal(out.result.content[2].text, msg.result.content[2].text);
  assert.equal(out.result.list[1], "plain");
  // parsed: the same, character for character where no escape was
  const p = (parsed as typeof msg).result.content[0].text;
  assert.equal(p.length, msg.result.content[0].text.length);
  assert.ok(p.includes("-----BEGIN RSA PRIVATE KEY-----*****-*****"), p); // \nProc-Type:
});

Deno.test("json secrets: PEM headers among dash runs and near misses: as maskSecrets masks them, any chunking", () => {
  // what the byte masker's search for a header skips over must never hide one: dash runs of
  // every length before BEGIN, headers cut short, labels, ends, markdown around them
  const rand = seededRandom(11);
  const pieces = ["-", "--", "---", "----", "-----", "------", "-------", "BEGIN ", "BEGIN"];
  pieces.push("RSA ", "PRIVATE KEY-----", "PRIVATE KEY", "-----END", " ", "x", "| a |", "P", "K");
  const texts = Array.from({ length: 40 }, () => {
    let t = "";
    for (let n = Math.floor(rand() * 24); n > 0; n--) {
      t += pieces[Math.floor(rand() * pieces.length)];
    }
    return t;
  });
  texts.push(
    "------BEGIN RSA PRIVATE KEY-----ABC-----END",
    "-----BEGIN -----BEGIN PRIVATE KEY-----Z",
  );
  const messages = texts.map((text, id) => ({ jsonrpc: "2.0", id, result: { text } }));
  const text = messages.map((m) => JSON.stringify(m)).join("\n");
  const out = assertSameForAllChunkings(utf8(text), maskStream, { randomRuns: 200 });
  assert.equal(out, messages.map((m) => JSON.stringify(maskSecrets(m))).join("\n"));
  assert.ok(out.includes("-----BEGIN RSA PRIVATE KEY-----***-----END"), "a key among them");
});
