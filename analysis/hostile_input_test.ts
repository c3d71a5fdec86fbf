/**
 * Malformed and hostile input fails cleanly, with bounded memory: random bytes as TLS data, a
 * 100 MB header line, HPACK with an index out of range, an SSE event of 50 MB, a body above the
 * bound, missing and cut TLS calls, a stream cut short, and damaged or missing Arrow files.
 * Nothing throws; what is wrong becomes `problems` rows and flags on the exchanges.
 */
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { HTTP2_PREFACE as preface } from "../protocols/http2_frame.ts";
import { seededRandom } from "../protocols/testing.ts";
import { encodeWebSocketFrame } from "../protocols/websocket_frame.ts";
import { analyzeRecording, run } from "./analyze.ts";
import {
  build,
  fixtureDir,
  fixtureTls,
  handView,
  joinedAt,
  prices,
  recordingCopy,
  selectRows,
  WS_FIXTURES,
} from "./testing.ts";
import { buildHttpTables } from "./http_tables.ts";

const enc = new TextEncoder();

/** A TLS view of hand-made calls: [connection, direction, bytes] in order. */
const view = (calls: [number, "write" | "read", Uint8Array][]) =>
  handView(calls.map(([c, d, b]) => [d, b, BigInt(c)]), {
    pid: 7,
    connId: 0n,
    step: 1_000_000n,
    lib: "test",
  });

function rssMb(): number {
  return Deno.memoryUsage().rss / 2 ** 20;
}

Deno.test("random bytes in tls rows: no throw, problems, no calls", async () => {
  const rand = seededRandom(42);
  const calls: [number, "write" | "read", Uint8Array][] = [];
  for (let i = 0; i < 400; i++) {
    const b = new Uint8Array(1 + Math.floor(rand() * 3000)).map(() => Math.floor(rand() * 256));
    calls.push([i % 7, rand() < 0.5 ? "write" : "read", b]);
  }
  const t = await buildHttpTables("r", view(calls), prices);
  assert.equal(t.calls.length, 0);
  assert.ok(t.problems.length > 0 && t.problems.every((p) => p.message.length < 400));
});

Deno.test("a 100 MB header line stops at the bound, in bounded memory", async () => {
  const mib = new Uint8Array(1 << 20).fill(0x61);
  const calls: [number, "write" | "read", Uint8Array][] = [
    [1, "write", enc.encode("POST /v1/messages HTTP/1.1\r\nX-Big: ")],
  ];
  for (let i = 0; i < 100; i++) calls.push([1, "write", mib]); // 100 MiB, one buffer reused
  const before = rssMb();
  const t = await buildHttpTables("r", view(calls), prices);
  const grew = rssMb() - before;
  assert.ok(grew < 64, `memory grew ${grew.toFixed(0)} MB`);
  assert.equal(t.exchanges.length, 0);
  assert.ok(t.problems.some((p) => /exceeds/.test(p.message)), JSON.stringify(t.problems));
});

Deno.test("HPACK index out of range: a clean HTTP/2 error", async () => {
  const frame = (type: number, flags: number, stream: number, payload: number[]) =>
    new Uint8Array([
      0,
      0,
      payload.length,
      type,
      flags,
      (stream >>> 24) & 0x7f,
      (stream >>> 16) & 0xff,
      (stream >>> 8) & 0xff,
      stream & 0xff,
      ...payload,
    ]);
  const t = await buildHttpTables(
    "r",
    view([
      [1, "write", preface],
      [1, "write", frame(4, 0, 0, [])], // SETTINGS
      [1, "write", frame(1, 0x4 | 0x1, 1, [0xff, 0xff, 0xff, 0x7f])], // HEADERS: index ~2^21
      [1, "read", frame(4, 0, 0, [])],
    ]),
    prices,
  );
  assert.ok(t.problems.some((p) => /HTTP\/2 client/.test(p.message) && /index/i.test(p.message)));
});

function sseCall(eventBytes: Uint8Array): [number, "write" | "read", Uint8Array][] {
  const req = `{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}`;
  const head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n" +
    `content-length: ${eventBytes.length}\r\n\r\n`;
  return [
    [
      1,
      "write",
      enc.encode(
        `POST /v1/messages HTTP/1.1\r\nhost: h\r\ncontent-length: ${req.length}\r\n\r\n${req}`,
      ),
    ],
    [1, "read", enc.encode(head)],
    [1, "read", eventBytes],
  ];
}

Deno.test("an SSE event of 50 MB: the call is kept, the event refused, memory bounded", async () => {
  const ev = new Uint8Array(50 * 2 ** 20).fill(0x78);
  ev.set(enc.encode("event: x\ndata: "));
  const before = rssMb();
  const t = await buildHttpTables("r", view(sseCall(ev)), prices);
  const grew = rssMb() - before;
  assert.ok(grew < 400, `memory grew ${grew.toFixed(0)} MB`);
  assert.equal(t.calls.length, 1);
  assert.equal(t.calls[0].incomplete, true);
  assert.match(t.exchanges[0].error ?? "", /SSE line exceeds/);
});

Deno.test("a body above the bound is counted, not kept", async () => {
  const ev = new Uint8Array(3 * 2 ** 20).fill(0x78);
  const t = await buildHttpTables("r", view(sseCall(ev)), prices, { maxBodySize: 2 ** 20 });
  assert.equal(t.exchanges[0].response_bytes, BigInt(ev.length));
  assert.equal(t.exchanges[0].response_body, null);
  assert.match(t.exchanges[0].error ?? "", /not kept/);
});

Deno.test("a missing TLS call breaks the stream: flagged, and later exchanges still parse", async () => {
  const tls = fixtureTls("gemini");
  const whole = await build(tls);
  // the router's answer and the third call share a connection: drop the router's answer
  const router = whole.exchanges[0];
  const third = whole.exchanges.find((e) => e.conn_id === router.conn_id && e !== router)!;
  assert.ok(third, "the fixture reuses the connection");
  const t = await build(
    selectRows(tls, (i) =>
      !(tls.direction[i] === "read" && tls.connId[i] === router.conn_id &&
        tls.ts[i]! <= router.response_end_ns!)),
  );
  const [r1] = t.exchanges.filter((e) => e.request_ns === router.request_ns);
  assert.equal(r1.status, null, "its answer is gone");
  assert.equal(r1.gap, true);
  assert.equal(t.calls.find((c) => c.exchange_id === r1.exchange_id)!.incomplete, true);
  assert.ok(t.problems.some((p) => p.kind === "gap" && /TLS call\(s\) missing/.test(p.message)));
  // after the gap the parser found the next answer again, and paired it by time
  const [r3] = t.exchanges.filter((e) => e.request_ns === third.request_ns);
  assert.equal(r3.response_complete, true);
  assert.equal(r3.gap, false);
  const c3 = t.calls.find((c) => c.exchange_id === r3.exchange_id)!;
  const w3 = whole.calls.find((c) => c.exchange_id === third.exchange_id)!;
  assert.equal(c3.assistant_text, w3.assistant_text);
  assert.equal(c3.incomplete, false);
});

Deno.test("a truncated TLS call is marked on its exchange", async () => {
  const tls = fixtureTls("claude");
  const first = [...Array(tls.length).keys()].find((i) => tls.direction[i] === "write")!;
  const t = await build(selectRows(tls, () => true, (i, row) => {
    if (i !== first) return;
    row.truncated = true;
    row.len = BigInt(row.data.length + 100);
  }));
  assert.equal(t.exchanges[0].truncated, true);
  assert.equal(t.exchanges[0].gap, true);
  assert.ok(t.problems.some((p) => p.kind === "truncated"));
});

Deno.test("a stream cut short still yields the call, incomplete, without usage", async () => {
  const tls = fixtureTls("codex");
  const whole = await build(tls);
  const last = whole.exchanges.at(-1)!;
  // keep only the read calls of the last answer up to its first output
  const cut = whole.calls.at(-1)!.first_token_ns!;
  const t = await build(
    selectRows(
      tls,
      (i) => !(tls.direction[i] === "read" && tls.connId[i] === last.conn_id && tls.ts[i]! > cut),
    ),
  );
  const c = t.calls.at(-1)!;
  assert.equal(c.incomplete, true);
  assert.equal(c.output_tokens, null);
  assert.ok(c.assistant_text && "The command printed: ".startsWith(c.assistant_text.slice(0, 5)));
});

const copyFixture = (agent: string) => recordingCopy(fixtureDir(agent), { prefix: "sl-hostile-" });

Deno.test("a truncated Arrow file: the rows before the damage are analysed, the damage named", async () => {
  const dir = await copyFixture("gemini");
  const bytes = await Deno.readFile(`${dir}/tls.arrow`);
  await Deno.writeFile(`${dir}/tls.arrow`, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
  await Deno.writeFile(`${dir}/net.arrow`, new Uint8Array(500).fill(7));
  const s = await analyzeRecording(dir, prices, { quiet: true });
  // what was lost, counted against the rows the manifest lists
  const listed = JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`)).tables.tls.rows;
  const damage = s.problems.find((p) => p.startsWith("tls.arrow: "));
  const m = damage?.match(
    /^tls\.arrow: damaged after (\d+) rows \(.*\); (\d+) of the (\d+) rows the manifest lists are missing \(the file was cut short\)$/,
  );
  assert.ok(m, s.problems.join("\n"));
  assert.equal(Number(m[3]), listed);
  assert.equal(Number(m[1]) + Number(m[2]), listed);
  assert.ok(s.problems.some((p) => /^net\.arrow: not an Arrow IPC stream/.test(p)));
  assert.ok(Number(s.totals.llm_calls) >= 1, "the calls before the damage");
  await Deno.remove(dirname(dir), { recursive: true });
});

Deno.test("not a recording: one line, exit 1; the other recordings are still analysed", async () => {
  const good = await copyFixture("claude");
  const empty = await Deno.makeTempDir();
  const errs: string[] = [];
  const outs: string[] = [];
  const code = await run({
    recordings: [empty, "/nonexistent/rec", good],
    quiet: true,
    out: (s) => outs.push(s),
    err: (s) => errs.push(s),
  });
  assert.equal(code, 1, "two of the three could not be analysed");
  assert.deepEqual(errs, [
    `analyze: ${empty}: not a recording (no manifest.json and no Arrow files)\n`,
    "analyze: /nonexistent/rec: no such directory\n",
    `analyze: 2 of 3 recordings failed: ${empty} and /nonexistent/rec could not be analysed\n`,
  ]);
  assert.match(outs.join(""), /2 LLM calls/);
  assert.equal(await run({ recordings: [empty], quiet: true, out: () => {}, err: () => {} }), 1);
  await Deno.remove(dirname(good), { recursive: true });
  await Deno.remove(empty, { recursive: true });
});

/** `t` parsed as a recording of a capture that began as `captureMode` says. */
const parsedAs = (t: ReturnType<typeof fixtureTls>, captureMode: "command" | "pid" | "comm") =>
  buildHttpTables("fixture", t, prices, { captureMode });

/** Each direction's first recorded bytes were skipped as a `--pid` capture's, being `what`. */
function assertStartSkipped(msgs: string[], what: string) {
  for (const side of ["request", "response"]) {
    assert.ok(
      msgs.some((m) =>
        new RegExp(
          `^\\d+ ${side} bytes from the connection's first recorded byte skipped: it began ` +
            `before the recording \\(a capture joined with --pid\\); they are ${what}$`,
        ).test(m)
      ),
      `${side}: ${msgs.join("\n")}`,
    );
  }
}

Deno.test("a connection joined after it began (capture --pid): read from its next message, the skip said", async () => {
  // Gemini CLI's connection that carries the router's answer and then the third call, recorded
  // from inside the router's answer body on (as a capture that joined then would)
  const tls = fixtureTls("gemini");
  const whole = await build(tls);
  const router = whole.exchanges[0];
  const third = whole.exchanges.find((e) => e.conn_id === router.conn_id && e !== router)!;
  const mid = router.response_ns! +
    (router.response_end_ns! - router.response_ns!) / 2n;
  const joined = await parsedAs(joinedAt(tls, router.conn_id, mid), "pid");
  const msgs = joined.problems.map((p) => p.message);
  assert.ok(
    msgs.some((m) =>
      /^\d+ response bytes from the connection's first recorded byte skipped: it began before the recording \(a capture joined with --pid\), inside a message$/
        .test(m)
    ),
    msgs.join("\n"),
  );
  // the same bytes in a capture that started the command: no --pid or --comm to blame
  const started = (await parsedAs(joinedAt(tls, router.conn_id, mid), "command")).problems
    .map((p) => p.message);
  assert.ok(
    started.some((m) =>
      /^\d+ response bytes from the connection's first recorded byte skipped: its start was not recorded \(a capture that started the command: it was read only from later on, as by a TLS hook placed after it began\), inside a message$/
        .test(m)
    ),
    started.join("\n"),
  );
  assert.ok(!started.some((m) => /--pid|--comm|joined/.test(m)), started.join("\n"));
  assert.ok(!msgs.some((m) => /malformed/.test(m)), msgs.join("\n"));
  const [r3] = joined.exchanges.filter((e) => e.request_ns === third.request_ns);
  assert.equal(r3.response_complete, true, "the next exchange is read whole");
  const c3 = joined.calls.find((c) => c.exchange_id === r3.exchange_id)!;
  assert.equal(
    c3.assistant_text,
    whole.calls.find((c) => c.exchange_id === third.exchange_id)!.assistant_text,
  );

  // joined while the router's request was awaited: its answer is the first recorded byte and
  // begins cleanly, so nothing is skipped, but it must not be paired with the next request
  const answered = await buildHttpTables(
    "fixture",
    joinedAt(tls, router.conn_id, router.response_ns! - 1n),
    prices,
    { captureMode: "comm" },
  );
  const amsgs = answered.problems.map((p) => p.message);
  assert.ok(
    amsgs.includes(
      "the connection's first recorded bytes are a response whose request was not recorded: " +
        "it began before the recording (a capture joined with --comm); responses are " +
        "paired with requests by time",
    ),
    amsgs.join("\n"),
  );
  const [a3] = answered.exchanges.filter((e) => e.request_ns === third.request_ns);
  assert.equal(a3.response_ns, third.response_ns, "the third request keeps its own answer");
  assert.equal(
    answered.calls.find((c) => c.exchange_id === a3.exchange_id)!.assistant_text,
    whole.calls.find((c) => c.exchange_id === third.exchange_id)!.assistant_text,
  );
  const alone = answered.exchanges.filter((e) => e.conn_id === router.conn_id && !e.request_ns);
  assert.deepEqual(alone.map((e) => e.response_ns), [router.response_ns], "the router's answer");

  // Codex over HTTP/2 joined after the preface: frames from the first byte, said as such
  const htls = fixtureTls("codex");
  const hwhole = await build(htls);
  const h2 = hwhole.exchanges.find((e) => e.protocol === "h2")!;
  assert.ok(h2, "the fixture's HTTP/2 exchange");
  const hjoined = await parsedAs(joinedAt(htls, h2.conn_id, h2.request_ns! - 1n), "pid");
  assertStartSkipped(
    hjoined.problems.map((p) => p.message),
    `HTTP/2 frames: the connection's preface and the header tables \\(HPACK\\) .* not read`,
  );

  // Codex's WebSocket joined right after its upgrade: frames from the first byte, read as such
  // (nothing came before them, so every message is whole), the missing upgrade said
  const ctls = fixtureTls(WS_FIXTURES[0]);
  const cwhole = await build(ctls);
  const ws = cwhole.exchanges.find((e) => e.status === 101)!;
  assert.ok(ws, "the fixture's WebSocket upgrade");
  const after = ws.response_ns! + 1n;
  const cjoined = await parsedAs(joinedAt(ctls, ws.conn_id, after), "pid");
  const cmsgs = cjoined.problems.map((p) => p.message);
  const wsMessages = (side: string) =>
    cwhole.wsMessages.filter((m) => m.direction === side && (m.kind === "text")).length;
  assert.ok(
    cmsgs.some((m) =>
      m.startsWith(
        "WebSocket (its upgrade not recorded): read from its middle: it began before the " +
          "recording (a capture joined with --pid); the path and extensions its upgrade " +
          "agreed are unknown",
      ) &&
      m.endsWith(
        `client: ${wsMessages("client")} message(s) recovered, 0 damaged; ` +
          `server: ${wsMessages("server")} message(s) recovered, 0 damaged`,
      )
    ),
    cmsgs.join("\n"),
  );
  assert.ok(!cmsgs.some((m) => /malformed|skipped/.test(m)), cmsgs.join("\n"));
  const calls = (t: typeof cwhole) =>
    t.calls.filter((c) => c.transport === "websocket").map((c) => [c.model, c.assistant_text]);
  assert.equal(calls(cwhole).length, 3);
  assert.deepEqual(calls(cjoined), calls(cwhole), "every call read, as from the upgrade");
});

Deno.test("an HTTPS proxy's CONNECT refused (407) then retried, and a tunnel inside a tunnel: read, said, no throw", async () => {
  const t = (s: string) => enc.encode(s);
  const connect = (auth: string) =>
    t(`CONNECT a.test:443 HTTP/1.1\r\nHost: a.test:443\r\n${auth}\r\n`);
  // (a) the proxy asks for credentials; the client asks again with them, then speaks TLS
  const refused = await buildHttpTables(
    "hand",
    view([
      [1, "write", connect("")],
      [1, "read", t("HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")],
      [1, "write", connect("Proxy-Authorization: Basic eDp5\r\n")],
      [1, "read", t("HTTP/1.1 200 Connection established\r\n\r\n")],
      [1, "write", new Uint8Array([0x16, 3, 1, 0, 5, 1, 2, 3, 4, 5])],
      [1, "read", new Uint8Array([0x16, 3, 3, 0, 2, 2, 0])],
    ]),
    prices,
  );
  assert.deepEqual(
    refused.exchanges.map((e) => [e.method, e.path, e.status]),
    [["CONNECT", "a.test:443", 407], ["CONNECT", "a.test:443", 200]],
  );
  assert.deepEqual(refused.problems.map((p) => p.message), [
    "10 + 7 bytes tunnelled after CONNECT a.test:443 not parsed: TLS to the target inside the " +
    "proxy's TLS (its plaintext is a connection of its own where that TLS is hooked)",
  ]);
  // (b) a cleartext tunnel read on, in which a WebSocket upgrade opens a tunnel of its own
  const nested = await buildHttpTables(
    "hand",
    view([
      [1, "write", t("CONNECT a.test:80 HTTP/1.1\r\nHost: a.test:80\r\n\r\n")],
      [1, "read", t("HTTP/1.1 200 Connection established\r\n\r\n")],
      [
        1,
        "write",
        t(
          "GET /ws HTTP/1.1\r\nHost: a.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        ),
      ],
      [
        1,
        "read",
        t(
          "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
        ),
      ],
      [1, "write", new Uint8Array([0x81, 0x82, 1, 2, 3, 4, 0x68 ^ 1, 0x69 ^ 2])],
      [1, "read", new Uint8Array([0x81, 2, 0x68, 0x69])],
    ]),
    prices,
  );
  assert.deepEqual(
    nested.exchanges.map((e) => [e.method, e.host, e.path, e.status]),
    [["CONNECT", "a.test:80", "a.test:80", 200], ["GET", "a.test", "/ws", 101]],
  );
  assert.deepEqual(nested.problems.map((p) => p.message), [
    "8 + 4 bytes of a tunnel inside the CONNECT tunnel (GET /ws) not parsed: a tunnel inside " +
    "the tunnel is not read",
  ]);
});

Deno.test("a frame-like byte before a status line or a chunk size does not make a WebSocket of an HTTP connection", async () => {
  const t = (s: string) => enc.encode(s);
  const cat = (...b: Uint8Array[]) => {
    const out = new Uint8Array(b.reduce((n, x) => n + x.length, 0));
    b.reduce((o, x) => (out.set(x, o), o + x.length), 0);
    return out;
  };
  const body = '{"secret":"' + "s".repeat(120) + '"}';
  // a hostile server puts a ping's header before its status line: the request stays read
  const hidden = await parsedAs(
    view([
      [
        1,
        "write",
        t(
          `POST /collect HTTP/1.1\r\nHost: evil.test\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
        ),
      ],
      [
        1,
        "read",
        cat(new Uint8Array([0x89, 0]), t("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")),
      ],
    ]),
    "command",
  );
  assert.deepEqual(
    hidden.exchanges.map((e) => [e.method, e.host, e.path]),
    [["POST", "evil.test", "/collect"]],
  );
  assert.ok(!hidden.problems.some((p) => /WebSocket/.test(p.message)), "no WebSocket said");
  // a keep-alive connection joined inside a chunked answer whose chunk size is upper-case hex
  // (`B`: a binary frame's first byte): the next exchange is read
  const next = JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] });
  const joined = await parsedAs(
    view([
      [1, "read", t(`B2\r\n${"x".repeat(0xb2)}\r\n0\r\n\r\n`)],
      [
        1,
        "write",
        t(
          "POST /v1/chat/completions HTTP/1.1\r\nHost: api.test\r\nContent-Type: application/json" +
            `\r\nContent-Length: ${next.length}\r\n\r\n${next}`,
        ),
      ],
      [1, "read", t("HTTP/1.1 204 No Content\r\n\r\n")],
    ]),
    "pid",
  );
  assert.deepEqual(
    joined.exchanges.map((e) => [e.method, e.path, e.status]),
    [["POST", "/v1/chat/completions", 204]],
  );
  assert.ok(!joined.problems.some((p) => /WebSocket/.test(p.message)), "no WebSocket said");
});

Deno.test("a WebSocket joined inside a client frame whose tail starts with a capital letter: still read as one", async () => {
  const enc = new TextEncoder();
  const mask = new Uint8Array([1, 2, 3, 4]);
  const server = (o: unknown) =>
    encodeWebSocketFrame({ opcode: 1, payload: enc.encode(JSON.stringify(o)) });
  const create = encodeWebSocketFrame({
    opcode: 1,
    mask,
    payload: enc.encode(JSON.stringify({ type: "response.create", model: "m", input: [] })),
  });
  // the client's first recorded bytes are the tail of a masked frame begun before the capture:
  // `Q`s, which may begin an HTTP method by their first letter but begin no request
  const parsed = await buildHttpTables(
    "fixture",
    view([
      [1, "read", server({ type: "response.output_text.delta", delta: "a" })],
      [1, "write", new Uint8Array([...new Uint8Array(40).fill(0x51), ...create])],
      [1, "read", server({ type: "response.created", response: { id: "r1" } })],
      [1, "read", server({ type: "response.output_text.delta", delta: "b" })],
      [1, "read", server({ type: "response.completed", response: { id: "r1" } })],
    ]),
    prices,
    { captureMode: "pid" },
  );
  assert.equal(parsed.exchanges.length, 1);
  // the server's four events are read; the client's one frame after the tail is too few to
  // tell from chance bytes, and is said, not read as a malformed request
  assert.deepEqual(parsed.wsMessages.map((m) => m.direction), Array(4).fill("server"));
  const said = parsed.problems.map((p) => p.message).join("\n");
  assert.ok(!/malformed request/.test(said), said);
  assert.match(said, /client: 95 bytes not read/);
});
