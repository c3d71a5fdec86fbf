import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  HpackDecoder,
  type HpackField,
  huffmanMaskSymbols,
  maskHeaderBlock,
  partialMask,
  readInteger,
} from "./hpack.ts";
import {
  HUFFMAN_CODES,
  huffmanDecode,
  huffmanEncode,
  huffmanEncodedLength,
} from "./hpack_huffman.ts";
import { encodeIndexed, encodeLiteral, encodeSizeUpdate } from "./hpack_encode.ts";
import { ProtocolError } from "./protocol_error.ts";
import { hex, seededRandom, toHex } from "./testing.ts";
import { latin1Decode, latin1Encode } from "./latin1.ts";

interface VectorBlock {
  hex: string;
  headers: [string, string][];
  table: [string, string, number][];
  tableSize: number;
}
interface VectorSequence {
  name: string;
  tableSize: number;
  blocks: VectorBlock[];
}
const vectors: { sequences: VectorSequence[] } = JSON.parse(
  readFileSync(new URL("./testdata/rfc7541_appendix_c.json", import.meta.url), "utf8"),
);

function tableWithSizes(d: HpackDecoder): [string, string, number][] {
  return d.dynamicTable().map(([n, v]) => [n, v, n.length + v.length + 32]);
}

const pairs = (fields: HpackField[]) => fields.map((f): [string, string] => [f.name, f.value]);

Deno.test("HPACK decodes every RFC 7541 Appendix C vector with the right dynamic table", () => {
  assert.equal(vectors.sequences.length, 8);
  for (const seq of vectors.sequences) {
    const decoder = new HpackDecoder({ tableSize: seq.tableSize });
    seq.blocks.forEach((block, i) => {
      const fields = decoder.decode(hex(block.hex));
      const where = `${seq.name} block ${i + 1}`;
      assert.deepEqual(pairs(fields), block.headers, where);
      assert.deepEqual(tableWithSizes(decoder), block.table, where);
      assert.equal(decoder.tableSize, block.tableSize, where);
    });
  }
});

Deno.test("HPACK decodes Appendix C vectors identically one representation at a time", () => {
  // decodeNext over every prefix: null until complete, never mutating state when null.
  for (const seq of vectors.sequences) {
    const whole = new HpackDecoder({ tableSize: seq.tableSize });
    const stepwise = new HpackDecoder({ tableSize: seq.tableSize });
    for (const block of seq.blocks) {
      const bytes = hex(block.hex);
      const expected = whole.decode(bytes);
      const got: HpackField[] = [];
      stepwise.beginBlock();
      let pos = 0;
      let available = pos;
      while (pos < bytes.length) {
        const step = stepwise.decodeNext(bytes, pos, available);
        if (step === null) {
          available++;
          assert.ok(available <= bytes.length, "decodeNext never completed");
          continue;
        }
        if (step.kind === "field") got.push(step.field);
        pos = step.next;
      }
      stepwise.endBlock();
      assert.deepEqual(got, expected, seq.name);
      assert.deepEqual(stepwise.dynamicTable(), whole.dynamicTable());
    }
  }
});

Deno.test("HPACK reports value byte ranges, Huffman and literal flags", () => {
  // C.2.1: 40 | 0a "custom-key" | 0d "custom-header"
  const [f] = new HpackDecoder().decode(hex(vectors.sequences[0].blocks[0].hex));
  assert.equal(f.representation, "literal-incremental");
  assert.equal(f.literal, true);
  assert.deepEqual(f.nameRange, { offset: 2, length: 10, huffman: false, prefixOffset: 1 });
  assert.deepEqual(f.valueRange, { offset: 13, length: 13, huffman: false, prefixOffset: 12 });
  // C.4.1: 82 86 84 41 8c <12 Huffman octets for www.example.com>
  const fields = new HpackDecoder().decode(hex(vectors.sequences[5].blocks[0].hex));
  assert.deepEqual(fields.map((x) => x.representation), [
    "indexed",
    "indexed",
    "indexed",
    "literal-incremental",
  ]);
  assert.equal(fields[0].valueRange, null);
  assert.equal(fields[0].index, 2);
  assert.equal(fields[3].index, 1); // :authority name from the static table
  assert.deepEqual(fields[3].valueRange, { offset: 5, length: 12, huffman: true, prefixOffset: 4 });
  // C.2.3 never indexed
  const [pw] = new HpackDecoder().decode(hex(vectors.sequences[2].blocks[0].hex));
  assert.equal(pw.representation, "literal-never-indexed");
});

Deno.test("Huffman table is a complete canonical prefix code", () => {
  assert.equal(HUFFMAN_CODES.length, 257);
  // Kraft sum of a complete prefix code is exactly 1 (2^30 in units of 2^-30).
  let kraft = 0;
  for (const [, bits] of HUFFMAN_CODES) kraft += 2 ** (30 - bits);
  assert.equal(kraft, 2 ** 30);
  // Canonical: sorting by (length, symbol) and counting up reproduces every transcribed code,
  // which cross-checks each hex code against its length column.
  const order = HUFFMAN_CODES.map(([, bits], sym) => ({ sym, bits })).sort((a, b) =>
    a.bits - b.bits || a.sym - b.sym
  );
  let code = 0;
  let prevBits = order[0].bits;
  for (const { sym, bits } of order) {
    code *= 2 ** (bits - prevBits);
    prevBits = bits;
    assert.equal(HUFFMAN_CODES[sym][0], code, `symbol ${sym}`);
    code++;
  }
  assert.equal(HUFFMAN_CODES[256][0], 2 ** 30 - 1); // EOS is all ones
});

Deno.test("Huffman encode matches the RFC examples and round-trips every octet", () => {
  const enc = (s: string) => toHex(huffmanEncode(new TextEncoder().encode(s)));
  assert.equal(enc("www.example.com"), "f1e3c2e5f23a6ba0ab90f4ff"); // C.4.1
  assert.equal(enc("no-cache"), "a8eb10649cbf"); // C.4.2
  assert.equal(enc("custom-key"), "25a849e95ba97d7f"); // C.4.3
  assert.equal(enc("302"), "6402"); // C.6.1
  const all = Uint8Array.from({ length: 256 * 3 }, (_, i) => (i * 7) % 256);
  const coded = huffmanEncode(all);
  assert.equal(coded.length, huffmanEncodedLength(all));
  assert.deepEqual(huffmanDecode(coded, 0, coded.length, all.length), all);
});

function assertHpackError(fn: () => unknown, pattern: RegExp) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ProtocolError, `expected ProtocolError, got ${err}`);
    assert.match(err.message, pattern);
    return true;
  });
}

Deno.test("HPACK rejects hostile input with errors, not crashes", () => {
  const d = () => new HpackDecoder();
  assertHpackError(() => d().decode(hex("be")), /index 62 out of range/); // empty dynamic table
  assertHpackError(() => d().decode(hex("ff 80 01")), /index 255 out of range/);
  assertHpackError(() => d().decode(hex("80")), /index 0/);
  assertHpackError(() => d().decode(hex("ff ff ff ff ff 0f")), /integer exceeds/);
  // Huffman "0" (00000) followed by padding 000: padding must be ones.
  assertHpackError(() => d().decode(hex("00 01 61 81 00")), /padding is not a prefix of EOS/);
  // 16 one-bits complete no symbol: padding longer than 7 bits.
  assertHpackError(() => d().decode(hex("00 01 61 82 ff ff")), /padding longer than 7 bits/);
  // 30 one-bits decode to EOS.
  assertHpackError(() => d().decode(hex("00 01 61 84 ff ff ff ff")), /EOS/);
  // A 1 MB string is refused from its length prefix alone, before its octets arrive.
  const big = hex("00 01 61 7f" + "c1 c3 3f".replace(/ /g, "")); // 127 + 0x41 + 0x43<<7 + 0x3f<<14
  assertHpackError(() => d().decode(big), /exceeds the limit 65536/);
  const dec = new HpackDecoder();
  dec.beginBlock();
  assertHpackError(() => dec.decodeNext(big, 0, big.length), /exceeds the limit/);
  // Size update beyond the cap, and after a field.
  assertHpackError(
    () => d().decode(Uint8Array.from(encodeSizeUpdate(1 << 20))),
    /size update to 1048576 exceeds the limit 65536/,
  );
  assertHpackError(() => d().decode(hex("82 20")), /after the first field/);
  assertHpackError(() => d().decode(hex("40 0a 63 75")), /ends mid-field/);
  // A header list bomb: one 4000-octet entry referenced 300 times.
  const bomb = [...encodeLiteral("x", "v".repeat(4000), "incremental")];
  for (let i = 0; i < 300; i++) bomb.push(...encodeIndexed(62));
  assertHpackError(() => d().decode(Uint8Array.from(bomb)), /header list exceeds/);
  // After an error the decoder refuses to continue (its table state is undefined).
  const broken = new HpackDecoder();
  assert.throws(() => broken.decode(hex("be")));
  assertHpackError(() => broken.decode(hex("82")), /unusable after an earlier error/);
});

Deno.test("HPACK random bytes never crash the decoder", () => {
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  let errors = 0;
  for (let run = 0; run < 2000; run++) {
    const block = Uint8Array.from({ length: 1 + Math.floor(rand() * 64) }, () => rand() * 256);
    try {
      new HpackDecoder({ maxStringLength: 4096 }).decode(block);
    } catch (err) {
      assert.ok(err instanceof ProtocolError, `non-protocol error: ${err}`);
      errors++;
    }
  }
  assert.ok(errors > 1000, `random input should mostly fail, failed ${errors} times`);
});

Deno.test("table size updates evict and an oversized entry empties the table", () => {
  const d = new HpackDecoder();
  d.decode(Uint8Array.from([
    ...encodeLiteral("a", "1", "incremental"),
    ...encodeLiteral("b", "2", "incremental"),
  ]));
  assert.deepEqual(d.dynamicTable(), [["b", "2"], ["a", "1"]]);
  d.decode(Uint8Array.from([...encodeSizeUpdate(34), ...encodeIndexed(62)]));
  assert.deepEqual(d.dynamicTable(), [["b", "2"]]);
  assert.equal(d.tableMaxSize, 34);
  d.decode(Uint8Array.from(encodeLiteral("ccc", "3", "incremental"))); // 36 > 34
  assert.deepEqual(d.dynamicTable(), []);
});

Deno.test("HPACK integers: RFC 7541 C.1 examples", () => {
  assert.deepEqual(readInteger(hex("0a"), 0, 1, 5), { value: 10, next: 1 }); // C.1.1
  assert.deepEqual(readInteger(hex("1f 9a 0a"), 0, 3, 5), { value: 1337, next: 3 }); // C.1.2
  assert.deepEqual(readInteger(hex("2a"), 0, 1, 8), { value: 42, next: 1 }); // C.1.3
  assert.equal(readInteger(hex("1f 9a"), 0, 2, 5), null);
});

// ---- masking ----

const SECRET = (name: string) =>
  ["authorization", "x-api-key", "x-goog-api-key", "cookie"].includes(name);

function latin1(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

Deno.test("maskHeaderBlock masks literal secrets in place with '*' and clears the H bit", () => {
  const block = Uint8Array.from([
    ...encodeIndexed(2),
    ...encodeLiteral("x-api-key", "sk-ant-api03-SECRET", "never", true),
    ...encodeLiteral(23, "Bearer abc.def", "without", false),
    ...encodeLiteral("user-agent", "claude-cli/1.0", "without", true),
  ]);
  const masked = maskHeaderBlock(block, new HpackDecoder(), SECRET);
  assert.equal(masked.length, block.length);
  assert.ok(!latin1(masked).includes("Bearer"));
  const fields = new HpackDecoder().decode(masked);
  const orig = new HpackDecoder().decode(block);
  const apiKey = orig[1].valueRange!;
  assert.deepEqual(pairs(fields), [
    [":method", "GET"],
    ["x-api-key", "*".repeat(apiKey.length)], // L Huffman octets -> L asterisks
    ["authorization", "**************"],
    ["user-agent", "claude-cli/1.0"],
  ]);
  assert.equal(fields[1].valueRange!.huffman, false);
  // Everything outside the two value strings (and the H bit) is byte-for-byte identical.
  for (let i = 0; i < block.length; i++) {
    const inValue = [orig[1], orig[2]].some((f) =>
      i >= f.valueRange!.offset && i < f.valueRange!.offset + f.valueRange!.length
    );
    if (inValue) assert.equal(masked[i], 0x2a);
    else if (i === apiKey.prefixOffset) assert.equal(masked[i], block[i] & 0x7f);
    else assert.equal(masked[i], block[i], `byte ${i}`);
  }
});

Deno.test("maskHeaderBlock keeps the dynamic table consistent across blocks", () => {
  // A small table so entries get evicted; secrets inserted with incremental indexing, some
  // Huffman-coded (decoded length != coded length), then referenced by index later.
  const token = "Bearer sk-ant-oat01-" + "abcdefghij".repeat(4);
  const blocks = [
    [
      ...encodeSizeUpdate(300),
      ...encodeLiteral(23, token, "incremental", true),
      ...encodeLiteral("x-request-id", "req_0001", "incremental", true),
    ],
    [...encodeIndexed(63), ...encodeIndexed(62), ...encodeLiteral(32, "a=1; b=2", "incremental")],
    [
      ...encodeLiteral("x-goog-api-key", "\u00ff\u00fe\u00fd\u00fc", "incremental", true),
      ...encodeIndexed(63), // cookie entry
      ...encodeLiteral("x-big", "y".repeat(150), "incremental"), // forces evictions
      ...encodeIndexed(63),
    ],
    [...encodeIndexed(62), ...encodeIndexed(63)],
  ].map((b) => Uint8Array.from(b));

  const masker = new HpackDecoder();
  const plain = new HpackDecoder(); // decodes the original stream
  const reader = new HpackDecoder(); // decodes the masked stream, knowing nothing
  for (const block of blocks) {
    const masked = maskHeaderBlock(block, masker, SECRET);
    assert.equal(masked.length, block.length);
    const original = plain.decode(block);
    const seen = reader.decode(masked);
    assert.equal(seen.length, original.length);
    seen.forEach((f, i) => {
      assert.equal(f.name, original[i].name);
      if (SECRET(f.name)) {
        assert.notEqual(f.value, original[i].value);
        assert.ok(!f.value.includes(original[i].value.slice(0, 3)), `not masked: ${f.value}`);
        assert.equal(f.value.length, original[i].value.length);
      } else {
        assert.equal(f.value, original[i].value);
      }
    });
    // Entry sizes are preserved, so eviction and every index stay aligned with the original.
    assert.equal(reader.tableSize, plain.tableSize);
    assert.deepEqual(reader.dynamicTable(), masker.dynamicTable());
    assert.ok(!latin1(masked).includes("sk-ant"));
  }
  // The last block referenced the masked authorization entry by index.
  assert.equal(reader.dynamicTable().length, plain.dynamicTable().length);
});

Deno.test("huffmanMaskSymbols hits every reachable (symbols, octets) combination exactly", () => {
  for (let count = 1; count <= 48; count++) {
    for (let octets = Math.ceil((5 * count) / 8); 8 * octets - 7 <= 30 * count; octets++) {
      const symbols = huffmanMaskSymbols(count, octets);
      assert.ok(symbols, `no mask for ${count} symbols in ${octets} octets`);
      assert.equal(symbols.length, count);
      assert.equal(huffmanEncode(symbols).length, octets, `${count} in ${octets}`);
      assert.ok(!symbols.includes(0) && !symbols.includes(10) && !symbols.includes(13));
    }
  }
});

Deno.test("partialMask keeps decoded and wire length, masks only the given positions", () => {
  const rand = seededRandom(7);
  // URL-ish characters (5 to 8 bit codes), and a few with long codes (the per-character path)
  const common = "abcdef0123456789-_ABCDEFGHIJKLMNOPQRSTUVWXYZ/?=&.~%+";
  const rare = "\u00e9\u0001{}^|\\";
  let huffmanCases = 0;
  let perCharacter = 0;
  for (let n = 0; n < 3000; n++) {
    const len = 1 + Math.floor(rand() * 60);
    const pool = rand() < 0.2 ? common + rare : common;
    let value = "";
    for (let i = 0; i < len; i++) value += pool[Math.floor(rand() * pool.length)];
    const positions = [...value].map((_, i) => i).filter(() => rand() < 0.5);
    if (positions.length === 0) continue;
    const huffman = rand() < 0.7;
    const wire = huffman ? huffmanEncode(latin1Encode(value)) : latin1Encode(value);
    const mask = partialMask({ length: wire.length, huffman }, value, positions);
    assert.ok(mask, `no mask for ${JSON.stringify(value)}`);
    assert.equal(mask.huffman, huffman);
    assert.equal(mask.octets.length, wire.length, "wire length changed");
    const decoded = huffman
      ? latin1Decode(huffmanDecode(mask.octets, 0, mask.octets.length, 4096))
      : latin1Decode(mask.octets);
    assert.equal(decoded, mask.value);
    assert.equal(decoded.length, value.length, "decoded length changed (HPACK entry size)");
    const secret = new Set(positions);
    const bits = (c: string) => HUFFMAN_CODES[c.charCodeAt(0)][1];
    const secretBits = positions.map((i) => bits(value[i]));
    // Masks of 5 to 8 bit codes adding up to the secret's bits, else one of each code length.
    const total = secretBits.reduce((a, b) => a + b, 0);
    const summed = total >= 5 * positions.length && total <= 8 * positions.length;
    for (let i = 0; i < value.length; i++) {
      if (!secret.has(i)) assert.equal(decoded[i], value[i], `kept character ${i} changed`);
      else if (!huffman) assert.equal(decoded[i], "*");
      else if (summed) assert.match(decoded[i], /[0_x*]/);
      else assert.equal(bits(decoded[i]), bits(value[i]));
    }
    if (huffman) huffmanCases++;
    if (huffman && !summed) perCharacter++;
  }
  assert.ok(huffmanCases > 1500 && perCharacter > 5, `${huffmanCases} / ${perCharacter}`);
});
