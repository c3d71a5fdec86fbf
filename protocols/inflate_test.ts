import assert from "node:assert/strict";
import * as zlib from "node:zlib";
import { RawInflater } from "./inflate.ts";
import { concatBytes, hex, seededRandom, utf8 } from "./testing.ts";

const Z = zlib.constants;

/** Text with the repetition of real JSON traffic, and some noise. */
function sampleText(n: number, seed: number): Uint8Array {
  const rand = seededRandom(seed);
  const words = ["response", "output_text", "delta", '{"type":', "item_id", "ü✓", "\n", "0123"];
  const parts: string[] = [];
  let len = 0;
  while (len < n) {
    const w = rand() < 0.1
      ? String.fromCharCode(32 + Math.floor(rand() * 90))
      : words[Math.floor(rand() * words.length)];
    parts.push(w);
    len += w.length;
  }
  return utf8(parts.join("")).subarray(0, n);
}

function randomBytes(n: number, seed: number): Uint8Array {
  const rand = seededRandom(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
}

Deno.test("inflate: decodes what node:zlib deflates, at every level and strategy", () => {
  const inputs = [
    new Uint8Array(0),
    utf8("a"),
    sampleText(100, 1),
    sampleText(70_000, 2),
    randomBytes(40_000, 3),
    new Uint8Array(300_000).fill(0x41),
  ];
  const strategies = [Z.Z_DEFAULT_STRATEGY, Z.Z_FILTERED, Z.Z_HUFFMAN_ONLY, Z.Z_RLE, Z.Z_FIXED];
  for (const input of inputs) {
    for (const level of [0, 1, 6, 9]) {
      for (const strategy of strategies) {
        const packed = zlib.deflateRawSync(input, { level, strategy });
        const r = new RawInflater().inflate(packed, 1 << 24);
        assert.equal(r.error, undefined, `level ${level} strategy ${strategy}`);
        assert.equal(r.final, true);
        assert.deepEqual(r.data, input);
      }
    }
  }
});

/** Messages compressed as permessage-deflate does: one deflater, a sync flush after each. */
async function syncFlushed(messages: Uint8Array[], windowBits = 15): Promise<Uint8Array[]> {
  const d = zlib.createDeflateRaw({ windowBits });
  const out: Uint8Array[] = [];
  let pending: Uint8Array[] = [];
  d.on("data", (c: Uint8Array) => pending.push(new Uint8Array(c)));
  for (const m of messages) {
    d.write(m);
    await new Promise<void>((r) => d.flush(Z.Z_SYNC_FLUSH, () => r()));
    out.push(concatBytes(pending));
    pending = [];
  }
  d.end();
  return out;
}

Deno.test("inflate: the window carries over from one sync-flushed unit to the next", async () => {
  const messages = Array.from({ length: 12 }, (_, i) => sampleText(500 + i * 3000, 10 + i));
  const packed = await syncFlushed(messages);
  // later messages refer back into earlier ones: smaller than alone
  assert.ok(packed[5].length < zlib.deflateRawSync(messages[5]).length);
  const inf = new RawInflater();
  for (let i = 0; i < messages.length; i++) {
    const r = inf.inflate(packed[i], 1 << 24);
    assert.equal(r.error, undefined);
    assert.equal(r.final, false, "a sync flush is no final block");
    assert.deepEqual(r.data, messages[i]);
  }
  // without the window the second unit cannot be decoded
  const fresh = new RawInflater().inflate(packed[1], 1 << 24);
  assert.equal(fresh.error?.code, "compression");
  assert.match(fresh.error!.message, /too far back/);
});

Deno.test("inflate: honours a smaller window, and a unit larger than the window", async () => {
  const big = sampleText(200_000, 7);
  for (const bits of [9, 12, 15]) {
    const packed = await syncFlushed([sampleText(5000, 8), big, sampleText(3000, 9)], bits);
    const inf = new RawInflater(bits);
    assert.deepEqual(inf.inflate(packed[0], 1 << 24).data, sampleText(5000, 8));
    assert.deepEqual(inf.inflate(packed[1], 1 << 24).data, big);
    assert.deepEqual(inf.inflate(packed[2], 1 << 24).data, sampleText(3000, 9));
  }
  // a 32 KiB distance is refused by a decoder told the window is 512 bytes
  const far = await syncFlushed([
    concatBytes([sampleText(1000, 1), randomBytes(20_000, 2), sampleText(1000, 1)]),
  ]);
  const r = new RawInflater(9).inflate(far[0], 1 << 24);
  assert.match(r.error?.message ?? "", /too far back/);
});

Deno.test("inflate: RFC 1951 blocks by hand: stored, fixed, and two blocks with BFINAL", () => {
  // RFC 7692 7.2.3.3: a stored block holding "Hello", then the tail
  assert.deepEqual(
    new RawInflater().inflate(hex("00 05 00 fa ff 48 65 6c 6c 6f 00 00 00 ff ff"), 100).data,
    utf8("Hello"),
  );
  // RFC 7692 7.2.3.4: fixed Huffman with BFINAL set: decoding stops there
  const fin = new RawInflater().inflate(hex("f3 48 cd c9 c9 07 00 00 00 00 ff ff"), 100);
  assert.deepEqual(fin.data, utf8("Hello"));
  assert.equal(fin.final, true);
  // RFC 7692 7.2.3.5: two blocks, the first one flushed
  assert.deepEqual(
    new RawInflater().inflate(hex("f2 48 05 00 00 00 ff ff ca c9 c9 07 00 00 00 ff ff"), 100).data,
    utf8("Hello"),
  );
});

Deno.test("inflate: bombs stop at the output bound, damage is reported, never thrown", () => {
  const bomb = zlib.deflateRawSync(new Uint8Array(50_000_000));
  const t0 = performance.now();
  const r = new RawInflater().inflate(bomb, 1_000_000);
  assert.equal(r.error?.code, "output-limit");
  assert.equal(r.data.length <= 1_000_000, true);
  assert.ok(performance.now() - t0 < 5000);
  // truncated: what was decoded is kept
  const packed = zlib.deflateRawSync(sampleText(20_000, 4));
  const cut = new RawInflater().inflate(packed.subarray(0, packed.length >> 1), 1 << 24);
  assert.equal(cut.error?.code, "truncated");
  assert.ok(cut.data.length > 0);
  assert.deepEqual(cut.data, sampleText(20_000, 4).subarray(0, cut.data.length));
  // corrupt: block type 3, a bad stored length, garbage
  assert.equal(new RawInflater().inflate(hex("07"), 10).error?.code, "compression");
  assert.equal(new RawInflater().inflate(hex("00 05 00 00 00"), 10).error?.code, "compression");
  const rand = seededRandom(99);
  for (let i = 0; i < 300; i++) {
    const junk = Uint8Array.from(
      { length: 1 + Math.floor(rand() * 200) },
      () => Math.floor(rand() * 256),
    );
    const out = new RawInflater().inflate(junk, 4096);
    assert.ok(out.data.length <= 4096);
  }
});
