import assert from "node:assert/strict";
import * as zlib from "node:zlib";
import {
  createWebSocketParser,
  type WebSocketMessage,
  type WebSocketOptions,
} from "./websocket.ts";
import { encodeWebSocketFrame } from "./websocket_frame.ts";
import { acceptedDeflate, parseExtensions } from "./permessage_deflate.ts";
import { assertSameForAllChunkings, concatBytes, hex, seededRandom, utf8 } from "./testing.ts";

const dec = new TextDecoder();

interface Collected {
  messages: (Omit<WebSocketMessage, "data"> & { text: string })[];
  errors: string[];
}

function parse(chunks: Uint8Array[], options: WebSocketOptions = {}): Collected {
  const out: Collected = { messages: [], errors: [] };
  const p = createWebSocketParser({
    onMessage: ({ data, ...m }) => out.messages.push({ ...m, text: dec.decode(data) }),
    onError: (e) => out.errors.push(`${e.code}: ${e.message}`),
  }, options);
  for (const c of chunks) p.feed(c);
  p.end();
  return out;
}

const brief = (c: Collected) => c.messages.map((m) => [m.kind, m.text]);
const DEFLATE = { windowBits: 15, noContextTakeover: false };

Deno.test("websocket: RFC 6455 5.7 examples, whole and at every split point", () => {
  const server = hex(
    "81 05 48 65 6c 6c 6f" + // unmasked text "Hello"
      "01 03 48 65 6c | 80 02 6c 6f" + // fragmented "Hel" + "lo"
      "89 05 48 65 6c 6c 6f" + // unmasked ping "Hello"
      "82 7e 0100" + "00".repeat(256), // 256 bytes binary, 16-bit length
  );
  const out = assertSameForAllChunkings(server, (c) => parse(c, { sender: "server" }));
  assert.deepEqual(brief(out).slice(0, 3), [["text", "Hello"], ["text", "Hello"], [
    "ping",
    "Hello",
  ]]);
  assert.equal(out.messages[1].frames, 2);
  assert.equal(out.messages[3].kind, "binary");
  assert.equal(out.messages[3].wireSize, 256);
  assert.deepEqual(out.messages.map((m) => [m.firstByte, m.lastByte]), [
    [0, 6],
    [7, 15],
    [16, 22],
    [23, 23 + 4 + 256 - 1],
  ]);
  assert.deepEqual(out.errors, []);

  const client = hex(
    "81 85 37 fa 21 3d 7f 9f 4d 51 58" + // masked text "Hello"
      "8a 85 37 fa 21 3d 7f 9f 4d 51 58", // masked pong "Hello"
  );
  const c = assertSameForAllChunkings(client, (ch) => parse(ch, { sender: "client" }));
  assert.deepEqual(brief(c), [["text", "Hello"], ["pong", "Hello"]]);
  assert.deepEqual(c.errors, []);
  // 64 KiB binary with a 64-bit length
  const big = hex("82 7f 0000000000010000" + "61".repeat(65536));
  const b = parse([big]);
  assert.equal(b.messages[0].wireSize, 65536);
  assert.equal(b.messages[0].text, "a".repeat(65536));
});

Deno.test("websocket: RFC 7692 7.2.3 examples (permessage-deflate)", () => {
  const input = hex(
    "c1 07 f2 48 cd c9 c9 07 00" + // 7.2.3.1 one compressed block
      "41 03 f2 48 cd | 80 04 c9 c9 07 00" + // 7.2.3.1 fragmented
      "c1 0b 00 05 00 fa ff 48 65 6c 6c 6f 00" + // 7.2.3.3 no compression
      "c1 0d f2 48 05 00 00 00 ff ff ca c9 c9 07 00", // 7.2.3.5 two blocks
  );
  // each of these restarts the window at a byte boundary, so with or without takeover
  for (const noContextTakeover of [false, true]) {
    const out = assertSameForAllChunkings(
      input,
      (c) => parse(c, { deflate: { windowBits: 15, noContextTakeover } }),
    );
    assert.deepEqual(brief(out), Array(4).fill(["text", "Hello"]));
    assert.ok(out.messages.every((m) => m.compressed));
    assert.deepEqual(out.errors, []);
  }
  // 7.2.3.2: the second "Hello" refers back into the first: only with context takeover
  const shared = hex("c1 07 f2 48 cd c9 c9 07 00 c1 05 f2 00 11 00 00");
  assert.deepEqual(brief(parse([shared], { deflate: DEFLATE })), [["text", "Hello"], [
    "text",
    "Hello",
  ]]);
  const fresh = parse([shared], { deflate: { windowBits: 15, noContextTakeover: true } });
  assert.match(fresh.messages[1].error ?? "", /too far back/);
  // 7.2.3.4: BFINAL set; the window still carries on
  const fin = parse([hex("c1 08 f3 48 cd c9 c9 07 00 00 c1 05 f2 00 11 00 00")], {
    deflate: DEFLATE,
  });
  assert.deepEqual(brief(fin), [["text", "Hello"], ["text", "Hello"]]);
});

/** Messages as a permessage-deflate sender makes them (one deflater, tail removed). */
function compressMessages(texts: string[], noContextTakeover = false): Promise<Uint8Array[]> {
  return compressAt(texts, 15, noContextTakeover);
}

function jsonEvents(n: number, seed: number): string[] {
  const rand = seededRandom(seed);
  return Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      type: i === 0 ? "response.created" : "response.output_text.delta",
      sequence_number: i,
      item_id: "msg_0123456789abcdef",
      delta: "x".repeat(Math.floor(rand() * 40)) + "ünï ✓",
    }));
}

/** Client frames: each message cut into fragments of at most `frag` bytes, pings between. */
function clientStream(payloads: Uint8Array[], frag: number, compressed: boolean): Uint8Array {
  const rand = seededRandom(7);
  const frames: Uint8Array[] = [];
  const mask = () => Uint8Array.from({ length: 4 }, () => Math.floor(rand() * 256));
  for (const p of payloads) {
    for (let at = 0; at === 0 || at < p.length; at += frag) {
      const last = at + frag >= p.length;
      frames.push(encodeWebSocketFrame({
        opcode: at === 0 ? 1 : 0,
        rsv1: compressed && at === 0,
        fin: last,
        payload: p.subarray(at, at + frag),
        mask: mask(),
      }));
      if (!last) frames.push(encodeWebSocketFrame({ opcode: 9, payload: utf8("p"), mask: mask() }));
    }
  }
  return concatBytes(frames);
}

Deno.test("websocket: fragmented compressed messages with pings between, every split point", async () => {
  const texts = jsonEvents(12, 1);
  const payloads = await compressMessages(texts);
  const input = clientStream(payloads, 9, true);
  const out = assertSameForAllChunkings(
    input,
    (c) => parse(c, { deflate: DEFLATE, sender: "client" }),
  );
  const data = out.messages.filter((m) => m.kind === "text");
  assert.deepEqual(data.map((m) => m.text), texts);
  assert.ok(data.every((m) => m.compressed && !m.incomplete && !m.error));
  assert.ok(data.some((m) => m.frames > 2));
  // the pings come out between the fragments, in stream order
  assert.ok(out.messages.filter((m) => m.kind === "ping").length > 10);
  for (let i = 1; i < out.messages.length; i++) {
    assert.ok(out.messages[i].lastByte > out.messages[i - 1].lastByte);
  }
  assert.deepEqual(out.errors, []);
});

Deno.test("websocket: a message larger than the window, and without context takeover", async () => {
  const rand = seededRandom(3);
  const big = JSON.stringify({
    type: "response.create",
    input: Array.from({ length: 3000 }, (_, i) => ({ role: "user", text: `line ${i} ${rand()}` })),
  });
  assert.ok(big.length > 100_000);
  const texts = ["first", big, "after " + big.slice(0, 200)];
  for (const noContextTakeover of [false, true]) {
    const payloads = await compressMessages(texts, noContextTakeover);
    const input = clientStream(payloads, 16_000, true);
    const out = assertSameForAllChunkings(
      input,
      (c) => parse(c, { deflate: { windowBits: 15, noContextTakeover }, sender: "client" }),
      { splitPointLimit: 300, skipByteByByte: true, randomRuns: 5, maxRandomChunk: 5000 },
    );
    assert.deepEqual(out.messages.filter((m) => m.kind === "text").map((m) => m.text), texts);
    assert.deepEqual(out.errors, []);
  }
});

Deno.test("websocket: a truncated stream keeps earlier messages, flags the cut one", async () => {
  const rand = seededRandom(5);
  const texts = Array.from(
    { length: 6 },
    () =>
      JSON.stringify({ delta: Array.from({ length: 300 }, () => rand().toString(36)).join(" ") }),
  );
  const payloads = await compressMessages(texts);
  const input = clientStream(payloads, 500, true);
  const whole = parse([input], { deflate: DEFLATE, sender: "client" }).messages
    .filter((m) => m.kind === "text");
  // cut inside the fourth message
  const cutAt = whole[3].firstByte + Math.floor((whole[3].lastByte - whole[3].firstByte) / 2);
  const out = parse([input.subarray(0, cutAt)], { deflate: DEFLATE, sender: "client" });
  const text = out.messages.filter((m) => m.kind === "text");
  assert.deepEqual(text.slice(0, 3).map((m) => m.text), texts.slice(0, 3));
  assert.equal(text.length, 4);
  assert.equal(text[3].incomplete, true);
  const arrived = utf8(text[3].text.replace(/\uFFFD$/, ""));
  assert.ok(arrived.length > 0, "what arrived of it, inflated");
  assert.deepEqual(utf8(texts[3]).subarray(0, arrived.length), arrived);
  assert.equal(out.errors.length, 1);
  assert.match(out.errors[0], /^truncated: stream ended inside a frame/);
});

Deno.test("websocket: bombs are bounded and reported; later messages still parse", async () => {
  const bomb = zlib.deflateRawSync(new Uint8Array(30_000_000).fill(32), {
    finishFlush: zlib.constants.Z_SYNC_FLUSH,
  }).subarray(0, -4);
  const plain = encodeWebSocketFrame({ opcode: 1, payload: utf8("after") });
  // inflate ratio: 30 MB out of a few KB is refused, bounded, and reported
  const out = parse(
    [concatBytes([encodeWebSocketFrame({ opcode: 1, rsv1: true, payload: bomb }), plain])],
    { deflate: { windowBits: 15, noContextTakeover: true } },
  );
  assert.match(out.messages[0].error ?? "", /exceeds 256 times its \d+ compressed bytes/);
  assert.ok(out.messages[0].text.length <= 256 * out.messages[0].wireSize);
  assert.deepEqual(out.messages[1].text, "after");
  assert.ok(out.errors.some((e) => e.startsWith("output-limit:")));
  // maxMessageSize bounds it below the ratio too
  const small = parse([encodeWebSocketFrame({ opcode: 1, rsv1: true, payload: bomb })], {
    deflate: DEFLATE,
    maxMessageSize: 1000,
  });
  assert.match(small.messages[0].error ?? "", /maxMessageSize \(1000 bytes\)/);
  // a frame larger than maxBufferSize: counted, skipped, parsing goes on
  const p = createWebSocketParser({
    onMessage: (m) => got.push(m),
    onError: (e) => errs.push(e.message),
  }, { maxBufferSize: 1000 });
  const got: WebSocketMessage[] = [];
  const errs: string[] = [];
  const huge = encodeWebSocketFrame({ opcode: 2, payload: new Uint8Array(50_000) });
  for (const c of [huge, plain]) {
    for (let i = 0; i < c.length; i += 4096) p.feed(c.subarray(i, i + 4096));
  }
  p.end();
  assert.ok(p.peakBufferCapacity <= 1000);
  assert.equal(got[0].wireSize, 50_000);
  assert.equal(got[0].data.length, 0);
  assert.match(got[0].error ?? "", /more than maxBufferSize/);
  assert.equal(dec.decode(got[1].data), "after");
  assert.equal(errs.length, 1);
  // with context takeover, a skipped compressed message loses the window for later ones
  const r5 = seededRandom(11);
  const first = Array.from({ length: 500 }, () => r5().toString(36)).join(" ");
  const [a, b] = await compressMessages([first, first + "!"]);
  assert.ok(a.length > 1000 && b.length < 100);
  const lost = parse([
    encodeWebSocketFrame({ opcode: 1, rsv1: true, payload: a }),
    encodeWebSocketFrame({ opcode: 1, rsv1: true, payload: b }),
  ], { deflate: DEFLATE, maxBufferSize: 100 });
  assert.match(lost.messages[0].error ?? "", /more than maxBufferSize/);
  assert.match(lost.messages[1].error ?? "", /window was lost/);
});

Deno.test("websocket: protocol violations stop the parser with one clear error", () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ["RSV2", hex("a1 01 41"), /RSV2\/RSV3/],
    ["reserved opcode", hex("83 01 41"), /reserved opcode 0x3/],
    ["RSV1 without extension", hex("c1 01 41"), /no extension agreed/],
    ["lone continuation", hex("80 01 41"), /no message started/],
    ["data inside fragments", hex("01 01 41 01 01 42"), /inside a fragmented one/],
    ["long control frame", concatBytes([hex("89 7e 00 80"), new Uint8Array(128)]), /125 bytes/],
    ["fragmented close", hex("08 00"), /fragmented/],
    ["2^63 length", hex("82 7f ff ff ff ff ff ff ff ff"), /above 2\^53/],
  ];
  for (const [name, bytes, re] of cases) {
    const out = parse([bytes, hex("81 02 6f 6b")]);
    assert.equal(out.errors.length, 2, name);
    assert.match(out.errors[0], re, name);
    assert.ok(!out.messages.some((m) => m.text === "ok"), `${name}: nothing parsed after it`);
    // what was not parsed is said: the bytes from the failing frame on, the "ok" frame's too
    const from = name === "data inside fragments" ? 3 : 0;
    assert.equal(
      out.errors[1],
      `framing: not parsed after the error above: ${bytes.length + 4 - from} bytes from its ` +
        `frame on (the messages in them are lost) (at stream offset ${from})`,
      name,
    );
  }
  // a masked server frame is reported once, and parsed
  const masked = hex("81 85 37 fa 21 3d 7f 9f 4d 51 58 81 85 37 fa 21 3d 7f 9f 4d 51 58");
  const m = parse([masked], { sender: "server" });
  assert.deepEqual(brief(m), [["text", "Hello"], ["text", "Hello"]]);
  assert.equal(m.errors.length, 1);
  assert.match(m.errors[0], /server frame masked/);
  // a close frame with its code and reason
  const close = parse([
    encodeWebSocketFrame({ opcode: 8, payload: concatBytes([hex("03e8"), utf8("bye")]) }),
  ]);
  assert.equal(close.messages[0].closeCode, 1000);
  assert.equal(close.messages[0].closeReason, "bye");
});

Deno.test("websocket: a fragmented message begun before a framing error is reported cut short, at every split point", () => {
  // "Hel" (text, not final), "lo" (continuation, not final), then a frame with a reserved
  // opcode (0x3), then "ok": the two fragments were read; what follows is not parsed
  const stream = concatBytes([
    encodeWebSocketFrame({ opcode: 1, fin: false, payload: utf8("Hel") }),
    encodeWebSocketFrame({ opcode: 0, fin: false, payload: utf8("lo") }),
    hex("83 01 41"),
    hex("81 02 6f 6b"),
  ]);
  const failing = 5 + 4; // the reserved-opcode frame's first byte
  const whole = parse([stream]);
  assert.deepEqual(
    whole.messages.map((m) => [m.kind, m.text, m.incomplete, m.frames, m.firstByte, m.lastByte]),
    [["text", "Hello", true, 2, 0, failing - 1]],
  );
  assert.deepEqual(whole.errors, [
    `framing: reserved opcode 0x3 (at stream offset ${failing})`,
    `framing: not parsed after the error above: ${stream.length - failing} bytes from its ` +
    `frame on (the messages in them are lost) (at stream offset ${failing})`,
  ]);
  for (let k = 1; k < stream.length; k++) {
    assert.deepEqual(parse([stream.subarray(0, k), stream.subarray(k)]), whole, `split at ${k}`);
  }
  assert.deepEqual(parse(Array.from(stream, (b) => Uint8Array.of(b))), whole, "byte by byte");
});

Deno.test("websocket: a compressed stream read from its middle, unknown history as NULs, every split point", async () => {
  // a server's messages with context takeover, as a sender makes them; the recording begins at
  // the fourth, so the window the first three left is unknown. Events like the first three
  // copy from it (damaged: even their `":"` is a 3-byte match); text with nothing in common
  // with them (capitals) does not (whole), nor text that repeats only what came after the join
  const rand = seededRandom(9);
  const fresh = () =>
    Array.from({ length: 300 }, () => "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[Math.floor(rand() * 26)])
      .join("");
  const a = fresh();
  const texts = [...jsonEvents(3, 5), a, ...jsonEvents(2, 6), a + fresh() + a];
  const payloads = await compressMessages(texts);
  const frames = payloads.map((p) => encodeWebSocketFrame({ opcode: 1, rsv1: true, payload: p }));
  const input = concatBytes(frames.slice(3));
  const joined = { ...DEFLATE, unknownHistory: true };
  const out = assertSameForAllChunkings(
    input,
    (c) => parse(c, { deflate: joined, sender: "server" }),
  );
  assert.deepEqual(out.errors, []);
  const sent = texts.slice(3);
  assert.equal(out.messages.length, sent.length);
  const whole = out.messages.map((m, i) => {
    if (m.text === sent[i]) return true;
    // a reference to the unseen history decodes to as many NULs as it stood for: the message
    // keeps its length, and every byte not from that history is the byte sent
    const got = utf8(m.text);
    const want = utf8(sent[i]);
    assert.equal(got.length, want.length, `message ${i} keeps its length`);
    assert.ok(got.includes(0), `message ${i}: not as sent, so it must hold NULs`);
    got.forEach((b, k) => assert.ok(b === 0 || b === want[k], `message ${i} byte ${k}`));
    return false;
  });
  assert.deepEqual(whole, [true, false, false, true]);
  // without the preset the first reference back fails, and the window is lost for good: the
  // last message, whole above, is lost too
  const lost = parse([input], { deflate: DEFLATE, sender: "server" });
  assert.match(lost.errors[0], /distance too far back/);
  assert.deepEqual(lost.messages.map((m) => !m.error), [true, false, false, false]);
});

/** Raw-deflate messages at `windowBits`, sync-flushed, the 00 00 ff ff tail removed. */
async function compressAt(texts: string[], windowBits: number, noContext: boolean) {
  const out: Uint8Array[] = [];
  let d = zlib.createDeflateRaw({ windowBits });
  for (const t of texts) {
    if (noContext) d = zlib.createDeflateRaw({ windowBits });
    const parts: Uint8Array[] = [];
    const onData = (c: Uint8Array) => parts.push(new Uint8Array(c));
    d.on("data", onData);
    d.write(utf8(t));
    await new Promise<void>((r) => d.flush(zlib.constants.Z_SYNC_FLUSH, () => r()));
    d.off("data", onData);
    const all = concatBytes(parts);
    assert.deepEqual(all.subarray(-4), hex("0000ffff"));
    out.push(all.subarray(0, -4));
  }
  return out;
}

// RFC 7692 7.1.1/7.1.2 (as agreed in a 101's Sec-WebSocket-Extensions), 7.2.3.6 (an empty
// compressed message), RFC 6455 5.4/5.5 (a ping and a pong between fragments of a message, a
// UTF-8 character cut between fragments) and 5.5.1 (a close with a UTF-8 reason).
Deno.test("websocket: agreed server_max_window_bits=10 and client_no_context_takeover, per direction, every split", async () => {
  const agreed = acceptedDeflate(
    parseExtensions([
      "permessage-deflate; client_no_context_takeover; server_max_window_bits=10",
    ])!,
  )!;
  assert.deepEqual(agreed, {
    serverNoContextTakeover: false,
    clientNoContextTakeover: true,
    serverMaxWindowBits: 10,
    clientMaxWindowBits: 15,
  });
  const rand = seededRandom(11);
  // each message repeats text from 600 bytes back, within a 1024-byte window, and from the
  // previous message (context takeover on the server's side)
  const line = () => `{"delta":"${Math.floor(rand() * 1e9)} ünï ✓"}`;
  const texts = Array.from({ length: 4 }, () => {
    const s = Array.from({ length: 30 }, line).join(",");
    return s + s.slice(0, 600);
  });
  // and an empty message last: RFC 7692 7.2.1 makes it the single octet 0x00
  const serverPayloads = await compressAt([...texts, ""], 10, false);
  const clientPayloads = await compressAt([...texts, ""], 15, true);
  assert.deepEqual(serverPayloads.at(-1), hex("00"));
  assert.ok(serverPayloads[1].length < texts[1].length / 2, "compressed across messages");
  const rand2 = seededRandom(5);
  const maskFor = (client: boolean) =>
    client ? Uint8Array.from({ length: 4 }, () => Math.floor(rand2() * 256)) : undefined;
  const stream = (payloads: Uint8Array[], client: boolean) => {
    const mask = () => maskFor(client);
    const frames: Uint8Array[] = [];
    const [first, ...rest] = payloads;
    // the first message in three fragments, the middle one empty, a ping and a pong between
    const cut = [0, 40, 40, first.length];
    for (let i = 0; i < 3; i++) {
      frames.push(encodeWebSocketFrame({
        opcode: i === 0 ? 1 : 0,
        rsv1: i === 0,
        fin: i === 2,
        payload: first.subarray(cut[i], cut[i + 1]),
        mask: mask(),
      }));
      if (i === 0) {
        frames.push(encodeWebSocketFrame({ opcode: 9, payload: utf8("hb"), mask: mask() }));
      }
      if (i === 1) {
        frames.push(encodeWebSocketFrame({ opcode: 10, payload: utf8(""), mask: mask() }));
      }
    }
    for (const p of rest) {
      frames.push(encodeWebSocketFrame({ opcode: 1, rsv1: true, payload: p, mask: mask() }));
    }
    // an uncompressed text message, "é" cut between its two fragments
    const e = utf8("caf\u00e9!");
    frames.push(
      encodeWebSocketFrame({ opcode: 1, fin: false, payload: e.subarray(0, 4), mask: mask() }),
    );
    frames.push(encodeWebSocketFrame({ opcode: 0, payload: e.subarray(4), mask: mask() }));
    frames.push(encodeWebSocketFrame({
      opcode: 8,
      payload: concatBytes([hex("03e9"), utf8("going away ✓")]),
      mask: mask(),
    }));
    return concatBytes(frames);
  };
  for (
    const [sender, payloads, deflate] of [
      ["server", serverPayloads, {
        windowBits: agreed.serverMaxWindowBits,
        noContextTakeover: agreed.serverNoContextTakeover,
      }],
      ["client", clientPayloads, {
        windowBits: agreed.clientMaxWindowBits,
        noContextTakeover: agreed.clientNoContextTakeover,
      }],
    ] as const
  ) {
    const input = stream(payloads, sender === "client");
    const out = assertSameForAllChunkings(input, (c) => parse(c, { deflate, sender }));
    assert.deepEqual(out.errors, [], sender);
    assert.deepEqual(brief(out), [
      ["ping", "hb"],
      ["pong", ""],
      ["text", texts[0]],
      ...texts.slice(1).map((t) => ["text", t]),
      ["text", ""],
      ["text", "café!"],
      ["close", dec.decode(concatBytes([hex("03e9"), utf8("going away ✓")]))],
    ], sender);
    const data = out.messages.filter((m) => m.kind === "text");
    assert.deepEqual(data.map((m) => [m.compressed, m.frames]), [
      [true, 3],
      [true, 1],
      [true, 1],
      [true, 1],
      [true, 1],
      [false, 2],
    ]);
    const close = out.messages.at(-1)!;
    assert.equal(close.closeCode, 1001);
    assert.equal(close.closeReason, "going away ✓");
  }
});

// RFC 6455 5.5.1: "If there is a body, the first two bytes of the body MUST be a 2-byte unsigned
// integer ... representing a status code"; 7.4.1/7.4.2 (and the IANA registry, 11.7): the codes
// that may be sent. These leave the framing intact: reported, the close kept, parsing goes on.
Deno.test("websocket: a close frame with a 1-byte body or a code not to be sent is reported, every split", () => {
  const input = concatBytes([
    encodeWebSocketFrame({ opcode: 8, payload: hex("03") }),
    hex("81 02 6f 6b"), // "ok" after it, still read
  ]);
  const out = assertSameForAllChunkings(input, (c) => parse(c, { sender: "server" }));
  assert.deepEqual(brief(out), [["close", "\u0003"], ["text", "ok"]]);
  assert.equal(out.messages[0].closeCode, undefined);
  assert.match(out.messages[0].error ?? "", /1-byte body/);
  assert.deepEqual(out.errors, [
    "syntax: message 0: close frame with a 1-byte body (RFC 6455 5.5.1: a body starts with a " +
    "2-byte status code) (at stream offset 0)",
  ]);
  // an empty body is allowed (no code), as is every code 7.4 lets an endpoint send
  for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1011, 1012, 1013, 1014, 3000, 4999]) {
    const ok = parse([
      encodeWebSocketFrame({ opcode: 8, payload: hex(code.toString(16).padStart(4, "0")) }),
    ]);
    assert.deepEqual(ok.errors, [], `${code}`);
    assert.equal(ok.messages[0].closeCode, code);
  }
  assert.deepEqual(parse([hex("88 00")]).errors, []);
  for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535]) {
    const bad = parse([
      encodeWebSocketFrame({ opcode: 8, payload: hex(code.toString(16).padStart(4, "0")) }),
    ]);
    assert.equal(bad.errors.length, 1, `${code}`);
    assert.match(bad.errors[0], new RegExp(`status code ${code}: .*RFC 6455 7\\.4`), `${code}`);
    assert.equal(bad.messages[0].closeCode, code, "kept as sent");
  }
});

// RFC 6455 5.6: text "is interpreted as UTF-8 [RFC3629]"; 8.1: "When an endpoint is to interpret
// a byte stream as UTF-8 but finds that the byte stream is not, in fact, a valid UTF-8 stream,
// that endpoint MUST _Fail the WebSocket Connection_". Checked on the whole message: after its
// fragments are joined (a character may be cut between them, see above) and it is inflated.
Deno.test("websocket: text not valid UTF-8 is reported; it and the messages after it are kept, every split", () => {
  // a valid compressed message whose bytes are then replaced: deflate any bytes raw
  const rawDeflate = (b: Uint8Array) =>
    new Uint8Array(zlib.deflateRawSync(b, { finishFlush: zlib.constants.Z_SYNC_FLUSH })).subarray(
      0,
      -4,
    );
  const surrogate = hex("ce ba e1 bd b9 cf 83 ce bc ce b5 ed a0 80 65 64 69 74 65 64");
  const input = concatBytes([
    encodeWebSocketFrame({ opcode: 1, payload: utf8("before") }),
    // a lone surrogate in one frame
    encodeWebSocketFrame({ opcode: 1, payload: surrogate }),
    // an overlong "/" in the second fragment of a message
    encodeWebSocketFrame({ opcode: 1, fin: false, payload: utf8("frag") }),
    encodeWebSocketFrame({ opcode: 0, payload: hex("c0 af") }),
    // a compressed message that inflates to a stray continuation byte
    encodeWebSocketFrame({ opcode: 1, rsv1: true, payload: rawDeflate(hex("41 80 42")) }),
    // binary is not text: any bytes
    encodeWebSocketFrame({ opcode: 2, payload: hex("ff fe") }),
    // a close whose reason is not UTF-8
    encodeWebSocketFrame({ opcode: 8, payload: hex("03 e8 ff") }),
    encodeWebSocketFrame({ opcode: 1, payload: utf8("after ✓") }),
  ]);
  const out = assertSameForAllChunkings(
    input,
    (c) => parse(c, { deflate: { windowBits: 15, noContextTakeover: true } }),
  );
  assert.deepEqual(out.messages.map((m) => [m.kind, !!m.error]), [
    ["text", false],
    ["text", true],
    ["text", true],
    ["text", true],
    ["binary", false],
    ["close", true],
    ["text", false],
  ]);
  assert.equal(out.messages[6].text, "after ✓");
  assert.deepEqual(out.messages.map((m) => m.invalidUtf8 ?? false), [
    false,
    true,
    true,
    true,
    false,
    true,
    false,
  ]);
  assert.equal(out.messages[2].frames, 2);
  assert.ok(out.messages[3].compressed);
  assert.match(out.messages[1].error!, /not valid UTF-8/);
  assert.match(out.messages[5].error!, /reason that is not valid UTF-8/);
  assert.equal(out.messages[5].closeCode, 1000);
  assert.deepEqual(out.errors, [
    "syntax: text message 1 is not valid UTF-8 (RFC 6455 5.6, 8.1: the receiver fails the " +
    "connection); it and the messages after it are kept as sent (at stream offset 8)",
    "syntax: message 5: close frame with a reason that is not valid UTF-8 (RFC 6455 5.5.1, 8.1) " +
    `(at stream offset ${out.messages[5].firstByte})`,
    "syntax: 3 text messages in all are not valid UTF-8",
  ]);
  // kept as sent: the bytes, not a decoding of them
  const raw = createWebSocketParser({ onMessage: (m) => kept.push(m.data) });
  const kept: Uint8Array[] = [];
  raw.feed(encodeWebSocketFrame({ opcode: 1, payload: surrogate }));
  raw.end();
  assert.deepEqual(kept[0], surrogate);
  // a message cut short inside a character is not reported as bad UTF-8: only as cut
  const cut = parse([
    encodeWebSocketFrame({ opcode: 1, payload: utf8("caf\u00e9") }).subarray(0, -1),
  ]);
  assert.equal(cut.messages[0].incomplete, true);
  assert.equal(cut.messages[0].error, undefined);
  assert.deepEqual(cut.errors.map((e) => e.split(":")[0]), ["truncated"]);
});
