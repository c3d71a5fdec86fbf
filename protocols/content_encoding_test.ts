import assert from "node:assert/strict";
import * as zlib from "node:zlib";
import {
  createContentDecoder,
  decodeContent,
  decodeContentSync,
  parseContentEncoding,
  supportedContentCodings,
} from "./content_encoding.ts";
import { ProtocolError } from "./protocol_error.ts";
import { chunkings, hex, utf8 } from "./testing.ts";
import { concatBytes } from "../kit/bytes.ts";

const text = utf8(
  Array.from({ length: 300 }, (_, i) => `data: {"i":${i},"text":"héllo wörld"}\n\n`).join(""),
);
// deno-lint-ignore no-explicit-any
const z = zlib as any;
const u8 = (b: Uint8Array) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

const ENCODED: [string, Uint8Array][] = [
  ["gzip", u8(zlib.gzipSync(text))],
  ["x-gzip", u8(zlib.gzipSync(text))],
  ["deflate", u8(zlib.deflateSync(text))], // zlib-wrapped, as RFC 9110 specifies
  ["deflate", u8(zlib.deflateRawSync(text))], // raw, as some servers send
  ["br", u8(zlib.brotliCompressSync(text))],
  ["zstd", u8(z.zstdCompressSync(text))],
  ["gzip, br", u8(zlib.brotliCompressSync(zlib.gzipSync(text)))],
  // RFC 1952 2.2: a gzip body may be several members; RFC 8878 3.1: a zstd body several frames,
  // skippable ones among them (one of size 0)
  [
    "gzip",
    concatBytes([u8(zlib.gzipSync(text.subarray(0, 999))), u8(zlib.gzipSync(text.subarray(999)))]),
  ],
  [
    "zstd",
    concatBytes([
      hex("50 2a 4d 18 03 00 00 00 01 02 03"),
      u8(z.zstdCompressSync(text.subarray(0, 999))),
      hex("5f 2a 4d 18 00 00 00 00"),
      hex("28 b5 2f fd 20 00 | 01 00 00"), // an empty frame: one empty raw block
      u8(z.zstdCompressSync(text.subarray(999), {
        params: { [zlib.constants.ZSTD_c_checksumFlag]: 1 },
      })),
    ]),
  ],
  [
    "deflate, zstd",
    concatBytes([
      u8(z.zstdCompressSync(zlib.deflateSync(text).subarray(0, 50))),
      u8(z.zstdCompressSync(zlib.deflateSync(text).subarray(50))),
    ]),
  ],
  ["identity", text],
  ["", text],
];

async function decodeChunks(
  encoding: string,
  chunks: Uint8Array[],
  maxOutputSize?: number,
): Promise<{ out: Uint8Array; errors: ProtocolError[]; inputEnds: number[] }> {
  const parts: Uint8Array[] = [];
  const errors: ProtocolError[] = [];
  const inputEnds: number[] = [];
  const d = createContentDecoder(encoding, {
    onData: (c, info) => {
      parts.push(c.slice());
      inputEnds.push(info.inputEnd);
    },
    onError: (e) => errors.push(e),
  }, { maxOutputSize });
  for (const c of chunks) d.feed(c);
  await d.end();
  return { out: concatBytes(parts), errors, inputEnds };
}

Deno.test("this runtime decodes gzip, deflate (zlib and raw), br and zstd", () => {
  assert.deepEqual(supportedContentCodings(), {
    gzip: true,
    deflate: true,
    "deflate-raw": true,
    br: true,
    zstd: true,
  });
});

Deno.test("parseContentEncoding lists codings in applied order", () => {
  assert.deepEqual(parseContentEncoding("gzip"), ["gzip"]);
  assert.deepEqual(parseContentEncoding(["GZIP, identity", " br "]), ["gzip", "br"]);
  assert.deepEqual(parseContentEncoding(undefined), []);
});

Deno.test("every coding decodes identically for whole, byte-by-byte, split and random chunks", async () => {
  for (const [encoding, encoded] of ENCODED) {
    for (
      const { label, chunks } of chunkings(encoded, { splitPointLimit: 24, randomRuns: 5 })
    ) {
      const { out, errors, inputEnds } = await decodeChunks(encoding, chunks);
      assert.deepEqual(errors, [], `${encoding} ${label}`);
      assert.deepEqual(out, text, `${encoding} ${label}`);
      // inputEnd never decreases and never exceeds the input.
      for (let i = 1; i < inputEnds.length; i++) assert.ok(inputEnds[i] >= inputEnds[i - 1]);
      assert.ok(inputEnds.every((n) => n <= encoded.length));
    }
  }
});

Deno.test("decompression bombs stop at maxOutputSize", async () => {
  const zeros = new Uint8Array(64 * 1024 * 1024);
  const limit = 1024 * 1024;
  for (
    const [encoding, bomb] of [
      ["gzip", u8(zlib.gzipSync(zeros))],
      ["br", u8(zlib.brotliCompressSync(zeros))],
      ["zstd", u8(z.zstdCompressSync(zeros))],
    ] as const
  ) {
    assert.ok(bomb.length < 200_000);
    const { out, errors } = await decodeChunks(encoding, [bomb], limit);
    assert.equal(errors.length, 1, encoding);
    assert.equal(errors[0].code, "output-limit");
    assert.equal(out.length, limit, encoding);
  }
});

Deno.test("corrupt, truncated and unknown encodings are reported, not thrown", async () => {
  const gz = u8(zlib.gzipSync(text));
  const corrupt = gz.slice();
  corrupt[0] = 0;
  let r = await decodeChunks("gzip", [corrupt]);
  assert.equal(r.errors[0]?.code, "compression");
  r = await decodeChunks("gzip", [gz.subarray(0, gz.length - 20)]);
  assert.equal(r.errors[0]?.code, "truncated");
  // The decoded prefix of a truncated body is still delivered.
  assert.ok(r.out.length > 0);
  assert.deepEqual(r.out, text.subarray(0, r.out.length));
  r = await decodeChunks("compress", [gz]);
  assert.equal(r.errors[0]?.code, "unsupported");
  r = await decodeChunks("br", [utf8("definitely not brotli")]);
  assert.equal(r.errors.length, 1);
  await assert.rejects(decodeContent("zstd", utf8("nope")), ProtocolError);
  assert.deepEqual(await decodeContent("gzip", gz), text);
});

Deno.test("decodeContentSync: every coding as the streaming decoder, bombs bounded, errors typed", () => {
  for (const [encoding, encoded] of ENCODED) {
    assert.deepEqual(new Uint8Array(decodeContentSync(encoding, encoded)), text, encoding);
  }
  const bomb = u8(zlib.gzipSync(new Uint8Array(64 * 1024 * 1024)));
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      assert.ok(e instanceof ProtocolError, String(e));
      return e.code;
    }
    return "decoded";
  };
  assert.equal(
    code(() => decodeContentSync("gzip", bomb, { maxOutputSize: 1024 * 1024 })),
    "output-limit",
  );
  assert.equal(code(() => decodeContentSync("gzip", utf8("not gzip"))), "compression");
  assert.equal(code(() => decodeContentSync("gzip", bomb.subarray(0, 100))), "truncated");
  assert.equal(code(() => decodeContentSync("compress", text)), "unsupported");
});

Deno.test("zstd: skippable frames are counted not decoded; over 65,536 frames is an error", async () => {
  const skippable = hex("50 2a 4d 18 00 00 00 00");
  const frame = u8(z.zstdCompressSync(text));
  const frames = (n: number) => Array.from({ length: n }, () => skippable);
  const ok = concatBytes([...frames(1000), frame]);
  const r = await decodeChunks("zstd", [ok]);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.out, text);
  // the skipped bytes still count as handed over: output maps past them
  assert.ok(r.inputEnds.every((n) => n >= 1000 * skippable.length && n <= ok.length));
  assert.deepEqual(new Uint8Array(decodeContentSync("zstd", ok)), text);

  const many = concatBytes([...frames(65_536), frame]);
  for (const chunks of [[many], [many.subarray(0, 1000), many.subarray(1000)]]) {
    const bad = await decodeChunks("zstd", chunks);
    assert.equal(bad.errors.length, 1);
    assert.equal(bad.errors[0].code, "compression");
    assert.match(bad.errors[0].message, /zstd: more than 65536 frames in one body/);
  }
  assert.throws(
    () => decodeContentSync("zstd", many),
    (e) => e instanceof ProtocolError && e.code === "compression" && /65536 frames/.test(e.message),
  );
});

Deno.test("zstd: a body cut inside a frame is truncated, at every split and every cut", async () => {
  const a = u8(z.zstdCompressSync(text.subarray(0, 500)));
  const b = u8(z.zstdCompressSync(text.subarray(500)));
  const cut3 = b.subarray(0, b.length - 3);
  for (const { label, chunks } of chunkings(cut3, { randomRuns: 3 })) {
    const r = await decodeChunks("zstd", chunks);
    assert.deepEqual(r.errors.map((e) => [e.code, e.message]), [
      ["truncated", "zstd data ends inside a frame"],
    ], label);
  }
  const syncCode = (body: Uint8Array) => {
    try {
      decodeContentSync("zstd", body);
      return "decoded";
    } catch (e) {
      assert.ok(e instanceof ProtocolError, String(e));
      return e.code;
    }
  };
  assert.equal(syncCode(cut3), "truncated");
  const body = concatBytes([a, b]);
  for (let n = 1; n < body.length; n++) {
    const want = n === a.length ? "decoded" : "truncated";
    const r = await decodeChunks("zstd", [body.subarray(0, n)]);
    assert.equal(r.errors[0]?.code ?? "decoded", want, `${n} of ${body.length} bytes`);
    assert.equal(syncCode(body.subarray(0, n)), want, `sync, ${n} of ${body.length} bytes`);
    // what came before the cut frame is still delivered
    if (n > a.length) assert.deepEqual(r.out.subarray(0, 500), text.subarray(0, 500));
  }
});

Deno.test("decodeContentSync: a bomb of every coding stops at maxOutputSize; a body of exactly that size decodes", () => {
  const size = 4 * 1024 * 1024;
  const zeros = new Uint8Array(size);
  const bombs: [string, Uint8Array][] = [
    ["gzip", u8(zlib.gzipSync(zeros))],
    ["deflate", u8(zlib.deflateSync(zeros))],
    ["deflate", u8(zlib.deflateRawSync(zeros))],
    ["br", u8(zlib.brotliCompressSync(zeros))],
    ["zstd", u8(z.zstdCompressSync(zeros))],
    ["gzip, br", u8(zlib.brotliCompressSync(zlib.gzipSync(zeros)))],
  ];
  for (const [encoding, bomb] of bombs) {
    assert.ok(bomb.length * 100 < size, `${encoding}: ${bomb.length} bytes is no bomb`);
    assert.equal(decodeContentSync(encoding, bomb, { maxOutputSize: size }).length, size);
    assert.throws(
      () => decodeContentSync(encoding, bomb, { maxOutputSize: size - 1 }),
      (e) => e instanceof ProtocolError && e.code === "output-limit",
      encoding,
    );
  }
});
