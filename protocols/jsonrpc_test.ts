/**
 * The JSON-RPC stream parser on the real stdio traffic of Claude Code, the Gemini CLI and Codex
 * with the real filesystem and everything MCP servers (tests/fixtures/mcp/, recorded by
 * lab/mcp_servers/record_fixture.ts), fed whole, byte by byte and at every split point; the same
 * messages in Content-Length framing; and its errors.
 */

import assert from "node:assert/strict";
import { createJsonRpcParser, type JsonRpcMessage } from "./jsonrpc.ts";
import type { ProtocolError } from "./protocol_error.ts";
import { assertSameForAllChunkings, concatBytes, utf8 } from "./testing.ts";

const FIXTURES = new URL("../tests/fixtures/mcp/", import.meta.url);

/** The fixture's byte streams, keyed `pid direction`. */
function streams(name: string): Map<string, Uint8Array> {
  const parts = new Map<string, Uint8Array[]>();
  for (const line of Deno.readTextFileSync(new URL(name, FIXTURES)).split("\n")) {
    if (!line) continue;
    const r = JSON.parse(line) as { pid: number; direction: string; data: string };
    const key = `${r.pid} ${r.direction}`;
    const bytes = Uint8Array.from(atob(r.data), (c) => c.charCodeAt(0));
    parts.set(key, [...(parts.get(key) ?? []), bytes]);
  }
  return new Map([...parts].map(([k, v]) => [k, concatBytes(v)]));
}

function parse(chunks: Uint8Array[], maxBufferSize?: number) {
  const messages: JsonRpcMessage[] = [];
  const errors: { code: string; offset?: number }[] = [];
  const p = createJsonRpcParser({
    onMessage: (m) => messages.push(m),
    onError: (e: ProtocolError) => errors.push({ code: e.code, offset: e.offset }),
  }, { maxBufferSize });
  for (const c of chunks) p.feed(c);
  p.end();
  return { messages, errors };
}

const summary = (ms: JsonRpcMessage[]) =>
  ms.map((m) => `${m.kind} ${m.method ?? ""} ${m.id ?? ""}`.trim());

for (const agent of ["claude", "gemini", "codex"]) {
  Deno.test(`jsonrpc: ${agent}'s real stdio sessions parse the same in every chunking`, () => {
    const all = streams(`${agent}_fs_ev.jsonl`);
    assert.equal(all.size, 4, "two servers, both directions");
    const kinds = new Set<string>();
    for (const [key, bytes] of all) {
      // Every split point of the first 2 KiB (the rest is covered by random chunkings).
      const r = assertSameForAllChunkings(bytes, (c) => parse(c), { splitPointLimit: 2048 });
      assert.deepEqual(r.errors, [], key);
      assert.ok(r.messages.length >= 3, key);
      for (const m of r.messages) {
        kinds.add(m.kind);
        assert.equal(m.framing, "newline");
        assert.equal(bytes[m.lastByte], 0x0a, "a message ends at its newline");
        assert.deepEqual(
          JSON.parse(m.text),
          JSON.parse(new TextDecoder().decode(bytes.subarray(m.firstByte, m.lastByte))),
        );
      }
      if (key.endsWith("to_server")) {
        const s = summary(r.messages);
        assert.ok(s.some((x) => x.startsWith("request initialize")), s.join(", "));
        assert.ok(s.includes("notification notifications/initialized"), s.join(", "));
        assert.ok(s.some((x) => x.startsWith("request tools/list")), s.join(", "));
        assert.ok(s.some((x) => x.startsWith("request tools/call")), s.join(", "));
      }
    }
    assert.deepEqual(
      [...kinds].sort(),
      ["notification", "request", "response"].concat(agent === "claude" ? ["error"] : []).sort(),
    );
  });
}

Deno.test("jsonrpc: Content-Length framing (LSP style) gives the same messages", () => {
  const nd = [...streams("claude_fs_ev.jsonl").values()][0];
  const lines = new TextDecoder().decode(nd).split("\n").filter((l) => l);
  const framed = utf8(
    lines.map((l) =>
      `Content-Length: ${utf8(l).length}\r\nContent-Type: application/json\r\n\r\n${l}`
    ).join(""),
  );
  const a = parse([nd]).messages.map((m) => [m.kind, m.method, m.id, m.text]);
  const r = assertSameForAllChunkings(framed, (c) => parse(c), { splitPointLimit: 600 });
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.messages.map((m) => [m.kind, m.method, m.id, m.text]), a);
  assert.equal(r.messages[0].framing, "content-length");
  assert.equal(r.messages[0].firstByte, 0, "a frame starts at its headers");
  assert.equal(r.messages.at(-1)!.lastByte, framed.length - 1);
});

Deno.test("jsonrpc: batches, bad lines and a cut final line", () => {
  const input = utf8(
    '[{"jsonrpc":"2.0","id":1,"method":"a"},{"jsonrpc":"2.0","method":"b"}]\n' +
      "not json\n" +
      '{"id":2,"result":{}}\n' + // no "jsonrpc": "2.0"
      '\n{"jsonrpc":"2.0","id":"x","error":{"code":-32601,"message":"Method not found"}}\n' +
      '{"jsonrpc":"2.0","id":3,"result":{"ok":true}}',
  );
  const r = assertSameForAllChunkings(input, (c) => parse(c));
  assert.deepEqual(summary(r.messages), [
    "request a 1",
    "notification b",
    'error  "x"',
    "response  3",
  ]);
  assert.deepEqual(r.messages.map((m) => m.batchIndex), [0, 1, undefined, undefined]);
  assert.deepEqual(r.messages.map((m) => m.incomplete), [false, false, false, true]);
  assert.deepEqual(r.messages[2].error, { code: -32601, message: "Method not found" });
  assert.deepEqual(r.errors.map((e) => e.code), ["syntax", "syntax"]);
  assert.equal(r.errors[0].offset, 71, "the bad line's offset");
});

Deno.test("jsonrpc: bounded: an over-long line is skipped, a cut Content-Length frame reported", () => {
  const long = utf8(
    `{"jsonrpc":"2.0","method":"x","params":"${
      "a".repeat(200)
    }"}\n{"jsonrpc":"2.0","method":"y"}\n`,
  );
  const r = assertSameForAllChunkings(long, (c) => parse(c, 64), {
    splitPointLimit: 80,
    skipByteByByte: false,
  });
  assert.deepEqual(summary(r.messages), ["notification y"]);
  assert.deepEqual(r.errors.map((e) => e.code), ["buffer-limit"]);
  const cut = parse([utf8('Content-Length: 40\r\n\r\n{"jsonrpc":"2.0"')]);
  assert.deepEqual(cut.messages, []);
  assert.deepEqual(cut.errors.map((e) => e.code), ["truncated"]);
  const none = parse([utf8("Content-Length: x\r\n\r\n{}")]);
  assert.deepEqual(none.errors.map((e) => e.code), ["framing"]);
});

Deno.test("jsonrpc: a raw client's batch, split initialize and server requests parse the same in every chunking", () => {
  // lab/clients/mcp_raw_client.ts with server-everything 2026.8.31 under capture
  const all = streams("raw_client_everything_stdio.jsonl");
  const toServer = all.get("8363 to_server")!, fromServer = all.get("8363 from_server")!;
  const sent = assertSameForAllChunkings(toServer, (c) => parse(c), { splitPointLimit: 2048 });
  assert.deepEqual(sent.errors, []);
  const batch = sent.messages.filter((m) => m.batchIndex !== undefined);
  assert.deepEqual(batch.map((m) => [m.method, m.batchIndex]), [["tools/list", 0], ["ping", 1]]);
  assert.equal(batch[0].text, batch[1].text, "one array, one text");
  // the client's answers to the server's requests, its cancellation
  const s = summary(sent.messages);
  assert.ok(s.includes("notification notifications/cancelled"), s.join(", "));
  assert.equal(sent.messages.filter((m) => m.kind === "response").length, 3, s.join(", "));
  const got = assertSameForAllChunkings(fromServer, (c) => parse(c), { splitPointLimit: 2048 });
  assert.deepEqual(got.errors, []);
  const g = summary(got.messages);
  for (const m of ["roots/list", "sampling/createMessage", "elicitation/create"]) {
    assert.ok(g.some((x) => x.startsWith(`request ${m}`)), `${m}: ${g.join(", ")}`);
  }
  assert.ok(g.includes("notification notifications/progress"), g.join(", "));
  assert.ok(got.messages.some((m) => m.kind === "error"), "the unknown method's error");
});
