/**
 * The ipc redactor's JSON secrets in every message, not only the first: MCP over stdio (every
 * message each way), HTTP/1 on loopback with several requests on one connection (JSON answers,
 * an event stream of several JSON-RPC messages, chunked), an LLM API's body on the same machine
 * (passed byte for byte), gaps, and cleartext HTTP/2 (DATA frames of real node:http2 bytes).
 * Calls are fed whole, byte by byte and at every split point; outputs are collected, then
 * asserted: every call keeps its length, no secret is left, and the bytes are the same for
 * every chunking.
 */
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { IpcRedactor, type RedactableCall } from "./ipc_redact.ts";
import { h2RedactorFactory, loadH2Redactor } from "./h2_glue.ts";
import { chunkings, concatBytes, TEST_DIGEST, utf8 } from "../protocols/testing.ts";
import { startRecordingRelay } from "../protocols/testdata/record_relay.ts";

const dec = new TextDecoder();
const SECRETS = ["AK-1c9e", "TK-7f3a", "SEC-2b8d", "PW-hunter2", "TK-sse-1", "TK-sse-2"];

type Call = RedactableCall & { id: number };

/** Calls in the order given ([inode, direction, data]); each direction's bytes out. */
function run(
  calls: [bigint, 0 | 1, Uint8Array][],
  kind = "tcp",
  gapBefore = new Set<number>(),
): Map<string, string> {
  const out: Call[] = [];
  const r = new IpcRedactor<Call>(
    { h2Redactor: h2RedactorFactory, digest: TEST_DIGEST },
    (c) => out.push(c),
  );
  const off = new Map<string, bigint>();
  calls.forEach(([inode, dir, data], id) => {
    const key = `${inode}:${dir}`;
    let o = off.get(key) ?? 0n;
    if (gapBefore.has(id)) o += 7n; // 7 bytes never seen
    r.push({
      id,
      inode,
      dir,
      kind,
      streamOff: o,
      total: data.length,
      data: data.slice(),
      truncated: false,
      lost: 0,
    });
    off.set(key, o + BigInt(data.length));
  });
  r.finish();
  assert.equal(out.length, calls.length, "every call out once");
  const got = new Map<string, Uint8Array[]>();
  for (const c of out.sort((a, b) => a.id - b.id)) {
    assert.equal(c.data.length, calls[c.id][2].length, `call ${c.id}: same length`);
    const key = `${c.inode}:${c.dir}`;
    got.set(key, [...(got.get(key) ?? []), c.data]);
  }
  return new Map([...got].map(([k, v]) => [k, dec.decode(concatBytes(v))]));
}

/** `run` over every chunking of message `at` (the others whole): the same bytes each time. */
function everyChunking(
  messages: [bigint, 0 | 1, string][],
  at: number,
  kind = "tcp",
): Map<string, string> {
  let first: Map<string, string> | undefined;
  for (const { label, chunks } of chunkings(utf8(messages[at][2]), { randomRuns: 5 })) {
    const calls: [bigint, 0 | 1, Uint8Array][] = [];
    messages.forEach(([inode, dir, text], i) => {
      if (i !== at) calls.push([inode, dir, utf8(text)]);
      else for (const c of chunks) calls.push([inode, dir, c]);
    });
    const got = run(calls, kind);
    if (first) assert.deepEqual(got, first, label);
    first = got;
  }
  return first!;
}

const json = (v: unknown) => JSON.stringify(v);
const INIT = json({
  method: "initialize",
  params: { clientInfo: { name: "c" }, env: { SOME_TOKEN: "TK-7f3a" } },
  jsonrpc: "2.0",
  id: 0,
});
const CALL = json({
  method: "tools/call",
  params: { name: "fetch", arguments: { url: "http://x", api_key: "AK-1c9e" } },
  jsonrpc: "2.0",
  id: 1,
});
const ANSWER = json({ result: { content: [], secret: "SEC-2b8d" }, jsonrpc: "2.0", id: 1 });

Deno.test("stdio: every message each way is masked, whatever the calls' cuts", () => {
  const msgs: [bigint, 0 | 1, string][] = [
    [5n, 0, INIT + "\n"],
    [5n, 1, json({ result: { serverInfo: { name: "s" } }, jsonrpc: "2.0", id: 0 }) + "\n"],
    [5n, 0, json({ method: "notifications/initialized", jsonrpc: "2.0" }) + "\n" + CALL + "\n"],
    [5n, 1, ANSWER + "\n"],
  ];
  for (let at = 0; at < msgs.length; at++) {
    const got = everyChunking(msgs, at, "pipe");
    const all = [...got.values()].join("");
    for (const s of SECRETS.slice(0, 3)) assert.ok(!all.includes(s), s);
    assert.ok(got.get("5:0")!.includes('"api_key":"*******"'));
    assert.ok(got.get("5:1")!.endsWith('"secret":"********"},"jsonrpc":"2.0","id":1}\n'));
  }
});

const post = (body: string, session = true) =>
  `POST /mcp HTTP/1.1\r\nHost: [::1]:3001\r\nContent-Type: application/json\r\n` +
  (session ? "Mcp-Session-Id: 5e55\r\n" : "") +
  `Content-Length: ${utf8(body).length}\r\n\r\n${body}`;
const jsonAnswer = (body: string) =>
  `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${
    utf8(body).length
  }\r\n\r\n${body}`;
const sseAnswer = (events: string[]) =>
  "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n" +
  events.map((e) => {
    const ev = `event: message\ndata: ${e}\n\n`;
    return `${utf8(ev).length.toString(16)}\r\n${ev}\r\n`;
  }).join("") + "0\r\n\r\n";
const LLM_BODY = json({
  model: "llama3",
  messages: [{ role: "assistant", tool_calls: [{ arguments: { password: "PW-hunter2" } }] }],
});

Deno.test("HTTP/1 keep-alive: every JSON-RPC body and event masked; an LLM body passed as is", () => {
  const msgs: [bigint, 0 | 1, string][] = [
    [9n, 0, post(INIT, false)],
    [9n, 1, jsonAnswer(json({ result: { serverInfo: { name: "s" } }, jsonrpc: "2.0", id: 0 }))],
    [9n, 0, post(CALL)],
    [9n, 1, jsonAnswer(ANSWER)],
    [9n, 0, post(json({ method: "tools/call", params: { name: "a" }, jsonrpc: "2.0", id: 2 }))],
    [
      9n,
      1,
      sseAnswer([
        json({ method: "notifications/message", params: { token: "TK-sse-1" }, jsonrpc: "2.0" }),
        json({ result: { token: "TK-sse-2" }, jsonrpc: "2.0", id: 2 }),
      ]),
    ],
    [11n, 0, post(LLM_BODY, false).replace("/mcp", "/v1/chat/completions")],
  ];
  for (let at = 0; at < msgs.length; at++) {
    const got = everyChunking(msgs, at);
    const mcp = got.get("9:0")! + got.get("9:1")!;
    for (const s of SECRETS.filter((s) => s !== "PW-hunter2")) assert.ok(!mcp.includes(s), s);
    assert.ok(mcp.includes('"api_key":"*******"') && mcp.includes('data: {"method":"notif'));
    assert.ok(mcp.includes("Host: [::1]:3001\r\n"), "heads untouched");
    assert.equal(got.get("11:0"), msgs[6][2], "an LLM request's body is data: passed");
  }
});

Deno.test("gaps: in an LLM body the rest goes through; in MCP's, masked up to the next message", () => {
  const llm = utf8(post(LLM_BODY, false));
  const cut = llm.length - 20;
  // 7 bytes lost before the LLM body's last 20
  const a = run(
    [[3n, 0, llm.subarray(0, cut - 7)], [3n, 0, llm.subarray(cut)]],
    "tcp",
    new Set([1]),
  );
  assert.equal(
    a.get("3:0"),
    dec.decode(concatBytes([llm.subarray(0, cut - 7), llm.subarray(cut)])),
  );
  // in a JSON-RPC body: the rest masked but punctuation; the next request by the rule again
  const req = post(CALL);
  const at = req.indexOf('"url"');
  const b = run(
    [
      [4n, 0, utf8(post(INIT, false))],
      [4n, 0, utf8(req.slice(0, at))],
      [4n, 0, utf8(req.slice(at + 7) + post(CALL))],
    ],
    "tcp",
    new Set([2]),
  );
  const out = b.get("4:0")!;
  assert.ok(!out.includes("AK-1c9e") && !out.includes("TK-7f3a"), out);
  // the next request's line does not begin a line: masked too, up to its Content-Length
  // header, a sure place between values, after which its body is masked by the key rule
  assert.ok(out.includes('{****:***","*******":"*******"}},"*******":"***","**":*}*****'), out);
  const next = post(CALL).replace("AK-1c9e", "*******");
  assert.ok(out.endsWith(next.slice(next.indexOf("\r\nContent-Length:"))), out);
  // stdio: blind up to the next line that begins a JSON-RPC message
  const c = run(
    [[6n, 0, utf8(CALL.slice(0, 40))], [6n, 0, utf8(CALL.slice(47) + "\n" + CALL)]],
    "pipe",
    new Set([1]),
  );
  const s = c.get("6:0")!;
  assert.ok(
    !s.includes("AK-1c9e") &&
      s.includes('"jsonrpc":"2.0","id":1}\n'.replace(/[^"{}:,\[\]\n]/g, "*")),
  );
  assert.ok(s.endsWith(CALL.replace("AK-1c9e", "*******")), s);
});

Deno.test("h2c: secret values in JSON-RPC DATA frames masked both ways, every split", async () => {
  await loadH2Redactor();
  const server = http2.createServer();
  server.on("stream", (st: http2.ServerHttp2Stream) => {
    st.on("data", () => {});
    st.on("end", () => {
      st.respond({ ":status": 200, "content-type": "application/json" });
      st.end(ANSWER);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const relay = await startRecordingRelay((server.address() as AddressInfo).port);
  const c = http2.connect(`http://127.0.0.1:${relay.port}`);
  for (const body of [INIT, CALL]) {
    await new Promise<void>((resolve, reject) => {
      const req = c.request({
        ":method": "POST",
        ":path": "/mcp",
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      });
      req.on("data", () => {});
      req.on("end", resolve);
      req.on("error", reject);
      req.end(body);
    });
  }
  await new Promise<void>((r) => c.close(r));
  await new Promise((r) => setTimeout(r, 50));
  relay.close();
  await new Promise((r) => server.close(r));
  const client = concatBytes(relay.recording.client);
  const answers = concatBytes(relay.recording.server);
  assert.ok(dec.decode(client).includes("AK-1c9e"), "the real bytes hold the secret");
  let first: Map<string, string> | undefined;
  for (const { label, chunks } of chunkings(client, { randomRuns: 5, splitPointLimit: 400 })) {
    const got = run([...chunks.map((b): [bigint, 0, Uint8Array] => [8n, 0, b]), [8n, 1, answers]]);
    if (first) assert.deepEqual(got, first, label);
    first = got;
  }
  const all = [...first!.values()].join("");
  for (const s of SECRETS.slice(0, 3)) assert.ok(!all.includes(s), s);
  assert.ok(all.includes('"api_key":"*******"') && all.includes('"secret":"********"'));
});
