/**
 * A WebSocket read from its middle (websocket_joined.ts), on real Codex bytes (the
 * codex_ws* fixtures: Responses over WebSocket, the server compressing with context takeover
 * in 64-byte fragments, or without context takeover): found from the first whole frame
 * whatever the split of the bytes, messages that decode whole read as sent, the others said
 * damaged and counted, and calls paired with the events that answer them by time.
 */
import assert from "node:assert/strict";
import { assertSameForAllChunkings } from "../protocols/testing.ts";
import { webSocketFrameHeader } from "../protocols/websocket_frame.ts";
import { rebuildConnections } from "./byte_streams.ts";
import { buildHttpTables, type HttpTables } from "./http_tables.ts";
import { build, fixtureTls, joinedAt, prices, selectRows, streamBytes } from "./testing.ts";
import { parseJoinedWebSocket } from "./websocket_joined.ts";
import { findFrameStart } from "./websocket_resync.ts";

const dec = new TextDecoder();

/** The fixture's WebSocket: its tables whole, its connection, its server bytes. */
async function fixture(name: string) {
  const t = fixtureTls(name);
  const whole = await build(t);
  const upgrade = whole.exchanges.find((e) => e.status === 101)!;
  const conn = rebuildConnections(t).find((c) => c.connId === upgrade.conn_id)!;
  return { t, whole, upgrade, conn, server: streamBytes(t, conn, "read") };
}

/** Stream offsets of the frames after the 101's head. */
function frameOffsets(bytes: Uint8Array): number[] {
  const head = dec.decode(bytes.subarray(0, 2000)).indexOf("\r\n\r\n") + 4;
  const out: number[] = [];
  for (let q = head; q < bytes.length;) {
    const h = webSocketFrameHeader(bytes, q);
    if (h === null || h === "short") throw new Error(`no frame at ${q}`);
    out.push(q);
    q += h.headerLength + h.payloadLength;
  }
  return out;
}

const joinedCalls = (t: HttpTables) =>
  t.calls.filter((c) => c.transport === "websocket").map((c) => ({
    model: c.model,
    text: c.assistant_text,
    response: c.response_id,
    previous: c.previous_response_id,
  }));

const summary = (t: HttpTables) =>
  t.problems.map((p) => p.message).find((m) => m.includes("read from its middle")) ?? "";

Deno.test("joined inside a fragmented server message: read from its first whole frame, every split point", async () => {
  const { whole, server } = await fixture("codex_ws");
  const frames = frameOffsets(server);
  // the recording begins 20 bytes into the first frame's payload: the rest of that frame and
  // the continuation frames of its message are skipped
  const from = frames[0] + 22;
  const firstWhole = frames.find((q, i) => i > 0 && (server[q] & 0x0f) !== 0)!;
  const bytes = server.subarray(from);
  const out = assertSameForAllChunkings(bytes, (chunks) => {
    let offset = from;
    const parts = chunks.map((data) => {
      const p = { data, offset };
      offset += data.length;
      return p;
    });
    const ws = parseJoinedWebSocket({ parts: [] }, { parts }, "joined for the test");
    return {
      problems: ws.problems,
      messages: ws.messages.map((m) => ({ ...m, data: dec.decode(m.data) })),
    };
  });
  const sent = whole.wsMessages.filter((m) => m.direction === "server" && m.kind === "text");
  const got = out.messages.filter((m) => m.kind === "text");
  // every message from the first whole frame on, the first one's first byte there
  assert.equal(got[0].firstByte, firstWhole);
  assert.equal(got.length, sent.length - 1);
  let recovered = 0;
  got.forEach((m, i) => {
    if (m.error) {
      assert.match(m.error, /^damaged: it refers back to bytes sent before the recording/);
      assert.equal(m.data, "");
    } else {
      recovered++;
      assert.equal(m.data, sent[i + 1].text, `message ${i} as sent`);
    }
  });
  assert.equal(
    out.problems[0],
    "read from its middle: joined for the test; the path and extensions its upgrade agreed " +
      "are unknown, so compressed messages were inflated against 32 KiB of unknown history " +
      "and only those that decode whole are read; the messages before it are lost. " +
      `server: ${recovered} message(s) recovered, ${got.length - recovered} damaged; ` +
      `${firstWhole - from} bytes before its first whole frame skipped`,
  );
});

Deno.test("joined before a later turn, no context takeover: the later calls read as from the start", async () => {
  const { t, whole, upgrade } = await fixture("codex_ws_no_context");
  const creates = whole.wsMessages.filter((m) =>
    m.direction === "client" && m.event_type === "response.create"
  );
  assert.equal(creates.length, 3);
  const joined = await buildHttpTables(
    "fixture",
    joinedAt(t, upgrade.conn_id, creates[1].ts_ns! - 1n),
    prices,
    { captureMode: "pid" },
  );
  assert.deepEqual(joinedCalls(joined), joinedCalls(whole).slice(1));
  const servers =
    whole.wsMessages.filter((m) =>
      m.direction === "server" && m.kind === "text" && m.ts_ns! > creates[1].ts_ns!
    ).length;
  assert.ok(
    summary(joined).endsWith(
      `client: 2 message(s) recovered, 0 damaged; server: ${servers} message(s) recovered, ` +
        "0 damaged",
    ),
    summary(joined),
  );
  // its first call continues a response the recording lacks: said
  assert.ok(
    joined.problems.some((p) =>
      /continues response resp_\w+, which is not in the recording/.test(p.message)
    ),
  );
});

Deno.test("joined before a later turn, with context takeover: the damaged messages counted, no call made up", async () => {
  const { t, whole, upgrade } = await fixture("codex_ws");
  const creates = whole.wsMessages.filter((m) =>
    m.direction === "client" && m.event_type === "response.create"
  );
  const joined = await buildHttpTables(
    "fixture",
    joinedAt(t, upgrade.conn_id, creates[1].ts_ns! - 1n),
    prices,
    { captureMode: "pid" },
  );
  // each later request copies the instructions and tools from the one before, sent before the
  // recording: damaged, so no call can be read, and none is made up from the events
  const damaged = joined.wsMessages.filter((m) => m.error?.startsWith("damaged"));
  const read = joined.wsMessages.filter((m) => m.kind === "text" && !m.error);
  assert.ok(damaged.some((m) => m.direction === "client"), summary(joined));
  assert.equal(
    joinedCalls(joined).length,
    read.filter((m) => m.direction === "client" && m.event_type === "response.create").length,
  );
  const count = (side: string, ms: typeof read) => ms.filter((m) => m.direction === side).length;
  assert.ok(
    summary(joined).endsWith(
      `client: ${count("client", read)} message(s) recovered, ${
        count("client", damaged)
      } damaged; server: ${count("server", read)} message(s) recovered, ${
        count("server", damaged)
      } damaged`,
    ),
    summary(joined),
  );
});

Deno.test("joined inside an answer: its events answer no recorded request, the next call keeps its own", async () => {
  const { t, whole, upgrade } = await fixture("codex_ws_no_context");
  const creates = whole.wsMessages.filter((m) =>
    m.direction === "client" && m.event_type === "response.create"
  );
  // a few events into the second answer
  const inside =
    whole.wsMessages.filter((m) => m.direction === "server" && m.ts_ns! > creates[1].ts_ns!)[3];
  const joined = await buildHttpTables(
    "fixture",
    joinedAt(t, upgrade.conn_id, inside.ts_ns! - 1n),
    prices,
    { captureMode: "pid" },
  );
  assert.deepEqual(joinedCalls(joined), joinedCalls(whole).slice(2));
  assert.ok(
    joined.problems.some((p) =>
      /\d+ server event\(s\) answer no response\.create recorded \(.*response\.completed.*\): it was not recorded \(sent before the recording, or in a break\) or not decoded/
        .test(p.message)
    ),
    joined.problems.map((p) => p.message).join("\n"),
  );
});

Deno.test("no run of frames to the end: nothing read, the bytes said", async () => {
  const { server } = await fixture("codex_ws");
  const frames = frameOffsets(server);
  // the server's frames, then bytes that cannot begin a frame (RSV2 set): no run reaches the end
  const bytes = new Uint8Array([...server.subarray(frames[0]), 0x20, 0x00]);
  assert.equal(findFrameStart(bytes, "server"), null);
  // client frames are masked: the server's are not theirs
  assert.equal(findFrameStart(server.subarray(frames[0]), "client"), null);
  const ws = parseJoinedWebSocket({ parts: [] }, { parts: [{ data: bytes, offset: 0 }] }, "why");
  assert.deepEqual(ws.messages, []);
  assert.match(
    ws.problems[0],
    new RegExp(
      `server: ${bytes.length} bytes not read \\(no run of WebSocket frames to their end found in them\\)$`,
    ),
  );
});

Deno.test("a break inside an upgraded WebSocket: read again from the next whole frame, the lost turn said", async () => {
  const { t, whole, upgrade } = await fixture("codex_ws_no_context");
  const creates = whole.wsMessages.filter((m) =>
    m.direction === "client" && m.event_type === "response.create"
  );
  // the TLS call that carried the second request is lost (its seq missing: a break)
  const lost = [...Array(t.length).keys()].find((i) =>
    t.connId[i] === upgrade.conn_id && t.direction[i] === "write" && t.ts[i] === creates[1].ts_ns
  )!;
  assert.ok(lost !== undefined);
  const broken = await build(selectRows(t, (i) => i !== lost));
  // the first and third calls, as whole; the second's answer answers no request recorded
  assert.deepEqual(joinedCalls(broken), [joinedCalls(whole)[0], joinedCalls(whole)[2]]);
  const msgs = broken.problems.map((p) => p.message);
  assert.ok(
    msgs.some((m) =>
      /WebSocket client stream broken at offset \d+ \(1 TLS calls missing\); read again from the first whole frame after each of 1 break\(s\): 1 message\(s\) recovered, 0 damaged \(0 bytes before a whole frame skipped\)/
        .test(m)
    ),
    msgs.join("\n"),
  );
  assert.ok(
    msgs.some((m) => /\d+ server event\(s\) answer no response\.create recorded/.test(m)),
    msgs.join("\n"),
  );
});

Deno.test("uncompressed messages read from the middle: recovered only when JSON, others kept and said", () => {
  const text = (s: string) => [0x81, s.length, ...new TextEncoder().encode(s)];
  const bytes = new Uint8Array([...text('{"type":"a"}'), ...text("not json"), ...text("[1]")]);
  const ws = parseJoinedWebSocket({ parts: [] }, { parts: [{ data: bytes, offset: 0 }] }, "why");
  assert.deepEqual(ws.messages.map((m) => dec.decode(m.data)), ['{"type":"a"}', "not json", "[1]"]);
  assert.match(
    ws.problems[0],
    /server: 2 message\(s\) recovered \(2 not compressed\), 1 not compressed and not JSON \(kept as read\), 0 damaged$/,
  );
});
