/**
 * Header checks: every committed recording's headers are sound (nothing real is cut), and a
 * damaged count in a schema or a batch is said in the format's words, the stream cut before it.
 */
import { filePath } from "../kit/file_path.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import * as arrow from "apache-arrow";
import { cutAtDamagedHeader, framedMessages, HeaderCheck } from "./arrow_header.ts";
import { readArrowFile } from "./arrow_reader.ts";
import { EOS } from "./arrow_ipc.ts";

const ROOT = filePath("..", import.meta.url);

function arrowFiles(dir: string): string[] {
  return [...Deno.readDirSync(dir)].flatMap((e) =>
    e.isDirectory
      ? arrowFiles(join(dir, e.name))
      : e.name.endsWith(".arrow")
      ? [join(dir, e.name)]
      : []
  );
}

const FILES = [...arrowFiles(join(ROOT, "datasets")), ...arrowFiles(join(ROOT, "tests/fixtures"))];

Deno.test("arrow header: every committed recording's headers are sound, its streams kept whole", () => {
  assert.ok(FILES.length > 50, `set-up: ${FILES.length} files`);
  for (const f of FILES) {
    const bytes = Deno.readFileSync(f);
    const cut = cutAtDamagedHeader(bytes);
    assert.equal(cut.fault, null, f);
    assert.equal(cut.bytes, bytes, f);
  }
});

/** `clean` with the 4-byte word at `at` set to `word`. */
function withWord(clean: Uint8Array, at: number, word: number): Uint8Array {
  const bytes = clean.slice();
  new DataView(bytes.buffer).setUint32(at, word, true);
  return bytes;
}

Deno.test("arrow header: a count of billions in a schema or a batch is said, the stream cut before its message", () => {
  const clean = Deno.readFileSync(join(ROOT, "datasets/demo-claude/net.arrow"));
  const messages = [...framedMessages(clean)];
  assert.ok(messages.length >= 2, "set-up: a schema and a batch");
  const said = new Map<number, Set<string>>();
  for (const [i, { at, header }] of messages.slice(0, 2).entries()) {
    const start = header.byteOffset - clean.byteOffset;
    for (let w = start; w + 4 <= start + header.length; w += 4) {
      const cut = cutAtDamagedHeader(withWord(clean, w, 0x7fffffff));
      if (!cut.fault) continue;
      assert.equal(cut.message, i, `word ${w}: the damaged message is the one cut`);
      // what is before it is kept byte for byte, and the stream closed
      assert.deepEqual(cut.bytes, new Uint8Array([...clean.subarray(0, at), ...EOS]));
      const words = said.get(i) ?? new Set();
      words.add(cut.fault.replace(/\d+/g, "N"));
      said.set(i, words);
    }
  }
  assert.ok(
    said.get(0)?.has(
      "a message header is damaged: the schema's field list (N entries) lies past its N bytes",
    ),
    [...said.get(0) ?? []].join("\n"),
  );
  const batch = [...said.get(1) ?? []].join("\n");
  assert.match(batch, /the batch's (column|buffer) list \(N entries\) lies past its N bytes/);
  assert.match(batch, /a buffer \(N\+N\) lies past the N-byte body/);
});

/** A flatbuffer written by hand: space taken in 4-byte steps, vtables, tables, offsets. */
class Flat {
  readonly buf: Uint8Array;
  readonly dv: DataView;
  private pos = 0;
  constructor(size: number) {
    this.buf = new Uint8Array(size);
    this.dv = new DataView(this.buf.buffer);
  }
  alloc(n: number): number {
    const p = this.pos;
    this.pos += (n + 3) & ~3;
    return p;
  }
  vtable(slots: number[]): number {
    const v = this.alloc(2 * slots.length);
    slots.forEach((x, i) => this.dv.setUint16(v + 2 * i, x, true));
    return v;
  }
  /** The table at `t` is laid out by the vtable at `v`. */
  table(t: number, v: number): void {
    this.dv.setInt32(t, t - v, true);
  }
  /** The offset at `at` points (forward) to `to`. */
  ref(at: number, to: number): void {
    this.dv.setUint32(at, to - at, true);
  }
  done(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

/**
 * A schema message header begun by hand: the root offset, the message (a Schema header), the
 * schema and its list of `n` fields, whose tables the caller lays out with `vField` (the
 * vtable of `fieldSlots`) after it, with `vType` for an empty type table, and points
 * `entry(i)` at.
 */
function schemaHeader(size: number, fieldSlots: number[], n: number) {
  const h = new Flat(size);
  h.alloc(4); // the root's offset
  const vMessage = h.vtable([10, 12, 0, 8, 4]); // header_type at 8, header at 4
  const vSchema = h.vtable([8, 8, 0, 4]); // fields at 4
  const vField = h.vtable(fieldSlots);
  const vType = h.vtable([4, 4]); // no member
  const message = h.alloc(12);
  h.ref(0, message);
  h.table(message, vMessage);
  h.buf[message + 8] = 1; // a Schema
  const schema = h.alloc(8);
  h.table(schema, vSchema);
  h.ref(message + 4, schema);
  const list = h.alloc(4 + 4 * n);
  h.ref(schema + 4, list);
  h.dv.setUint32(list, n, true);
  return { h, vField, vType, entry: (i: number) => list + 4 + 4 * i };
}

/**
 * A schema header whose fields each list the next field `k` times, `d` deep: a few hundred
 * bytes that name k^d fields (offsets only point forward, so it is not a cycle).
 */
function sharedFields(k: number, d: number): Uint8Array {
  // type_type at 12, type at 8, children at 4
  const { h, vField, vType, entry } = schemaHeader(
    64 + 40 * (d + 2) + 4 * k * (d + 1) + 64,
    [16, 16, 0, 0, 12, 8, 0, 4],
    1,
  );
  const fields: number[] = [];
  const lists: number[] = [];
  for (let i = 0; i <= d; i++) {
    fields.push(h.alloc(16));
    lists.push(h.alloc(4 + 4 * (i < d ? k : 0)));
  }
  const type = h.alloc(8);
  h.table(type, vType);
  h.ref(entry(0), fields[0]);
  for (let i = 0; i <= d; i++) {
    const [f, v] = [fields[i], lists[i]];
    h.table(f, vField);
    h.buf[f + 12] = 13; // Struct_
    h.ref(f + 8, type);
    h.ref(f + 4, v);
    const n = i < d ? k : 0;
    h.dv.setUint32(v, n, true);
    for (let j = 0; j < n; j++) h.ref(v + 4 + 4 * j, fields[i + 1]);
  }
  return h.done();
}

Deno.test("arrow header: fields listed again and again (2^30 of them in 940 bytes) are said at once, not walked", () => {
  const header = sharedFields(2, 30);
  assert.ok(header.length < 1000);
  assert.equal(
    new HeaderCheck().check(header),
    "a message header is damaged: a field is listed twice",
  );
  // one of each is a sound schema
  assert.equal(new HeaderCheck().check(sharedFields(1, 30)), null);
});

Deno.test("arrow header: streams other writers make (dictionaries, nested and large types, metadata, empty) are sound and read whole", () => {
  const dict = new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32());
  const dictList = new arrow.Dictionary(
    new arrow.List(new arrow.Field("item", new arrow.Utf8(), true)),
    new arrow.Int32(),
  );
  const item = (t: arrow.DataType) => new arrow.Field("item", t, true);
  const withMeta = new arrow.Table({ a: arrow.vectorFromArray([1, 2], new arrow.Int32()) });
  withMeta.schema.metadata.set("k", "v");
  const tables: [string, arrow.Table][] = [
    ["dictionary", new arrow.Table({ a: arrow.vectorFromArray(["x", "y", "x"], dict) })],
    [
      "dictionary and int",
      new arrow.Table({
        a: arrow.vectorFromArray(["x", "y", "x"], dict),
        b: arrow.vectorFromArray([1, 2, 3], new arrow.Int32()),
      }),
    ],
    [
      "dictionary of lists",
      new arrow.Table({
        a: arrow.vectorFromArray([["a"], ["b"], ["a"]], dictList),
      }),
    ],
    ["large utf8", new arrow.Table({ a: arrow.vectorFromArray(["x"], new arrow.LargeUtf8()) })],
    [
      "nested lists",
      new arrow.Table({
        a: arrow.vectorFromArray(
          [[[1]], [[2, 3]]],
          new arrow.List(item(new arrow.List(item(new arrow.Int32())))),
        ),
      }),
    ],
    [
      "struct",
      new arrow.Table({
        a: arrow.vectorFromArray(
          [{ x: 1, y: "a" }],
          new arrow.Struct([
            new arrow.Field("x", new arrow.Int32()),
            new arrow.Field("y", new arrow.Utf8()),
          ]),
        ),
      }),
    ],
    [
      "null",
      new arrow.Table({
        a: arrow.vectorFromArray([null, null], new arrow.Null()),
        b: arrow.vectorFromArray([1, 2], new arrow.Int32()),
      }),
    ],
    ["metadata", withMeta],
    ["empty", new arrow.Table({ a: arrow.vectorFromArray([], new arrow.Int32()) })],
  ];
  const tmp = Deno.makeTempDirSync();
  try {
    for (const [name, t] of tables) {
      const bytes = arrow.tableToIPC(t, "stream");
      assert.equal(cutAtDamagedHeader(bytes).fault, null, name);
      Deno.writeFileSync(join(tmp, "t.arrow"), bytes);
      const r = readArrowFile(join(tmp, "t.arrow"));
      assert.equal(r.damaged, undefined, name);
      assert.equal(r.rows.length, t.numRows, name);
    }
  } finally {
    Deno.removeSync(tmp, { recursive: true });
  }
});

Deno.test("arrow header: an Arrow IPC file is read by its stream, its footer never decoded; one whose schema is in the footer only is said", () => {
  const stream = Deno.readFileSync(join(ROOT, "datasets/demo-claude/net.arrow"));
  const rows = (bytes: Uint8Array) => {
    const tmp = Deno.makeTempFileSync({ suffix: ".arrow" });
    try {
      Deno.writeFileSync(tmp, bytes);
      return readArrowFile(tmp);
    } finally {
      Deno.removeSync(tmp);
    }
  };
  // as C++ (pyarrow) writes a file: magic, the stream, a footer (here a damaged one: a field
  // count of 2^31-1 in it had apache-arrow build objects until it ran out of memory)
  const magic = new TextEncoder().encode("ARROW1\0\0");
  const footer = new Uint8Array(64).fill(0xff);
  const tail = new Uint8Array(10);
  new DataView(tail.buffer).setInt32(0, footer.length, true);
  tail.set(new TextEncoder().encode("ARROW1"), 4);
  const file = new Uint8Array([...magic, ...stream, ...footer, ...tail]);
  const viaStream = rows(stream);
  const viaFile = rows(file);
  assert.equal(viaFile.damaged, undefined);
  assert.deepEqual(viaFile.rows, viaStream.rows);
  // as apache-arrow's JS writer makes one: the batches with no schema before them
  const js = arrow.tableToIPC(arrow.tableFromIPC(stream), "file");
  const said = rows(js);
  assert.equal(said.rows.length, 0);
  assert.equal(
    said.damaged,
    "an Arrow IPC file with its schema in its footer only: write it as a stream",
  );
});

Deno.test("arrow header: a batch claiming 2^31 rows its columns do not hold is said, not read row by row", () => {
  const clean = Deno.readFileSync(join(ROOT, "datasets/demo-claude/net.arrow"));
  const [, batch] = [...framedMessages(clean)];
  // the batch's row count: the first int64 of its RecordBatch table, found as the value equal
  // to the file's row count nearest the header's start
  const rowsInFile = readArrowFile(join(ROOT, "datasets/demo-claude/net.arrow")).rows.length;
  const start = batch.header.byteOffset - clean.byteOffset;
  const view = new DataView(clean.buffer, clean.byteOffset);
  let at = -1;
  for (let p = start; p + 8 <= start + batch.header.length; p += 4) {
    if (view.getBigInt64(p, true) === BigInt(rowsInFile)) {
      at = p;
      break;
    }
  }
  assert.ok(at > 0, "set-up: the batch's row count");
  const bytes = clean.slice();
  const dv = new DataView(bytes.buffer);
  // the batch's count and every column's length
  for (let p = start; p + 8 <= start + batch.header.length; p += 4) {
    if (dv.getBigInt64(p, true) === BigInt(rowsInFile)) dv.setBigInt64(p, 1n << 31n, true);
  }
  const tmp = Deno.makeTempFileSync({ suffix: ".arrow" });
  try {
    Deno.writeFileSync(tmp, bytes);
    const r = readArrowFile(tmp);
    assert.equal(r.rows.length, 0);
    assert.match(r.damaged ?? "", /^a batch of 2147483648 rows whose column \w+ holds fewer$/);
  } finally {
    Deno.removeSync(tmp);
  }
});

/** A schema header of `f` Null fields, each its own table, all naming one `l`-byte string. */
function sharedName(f: number, l: number): Uint8Array {
  // name at 4, type_type at 12, type at 8
  const { h, vField, vType, entry } = schemaHeader(
    64 + 4 * f + 16 * f + 16 + l + 8,
    [12, 16, 4, 0, 12, 8],
    f,
  );
  const fields = Array.from({ length: f }, () => h.alloc(16));
  const type = h.alloc(4);
  h.table(type, vType);
  const name = h.alloc(4 + l + 1);
  h.dv.setUint32(name, l, true);
  h.buf.fill(0x61, name + 4, name + 4 + l);
  fields.forEach((t, i) => {
    h.ref(entry(i), t);
    h.table(t, vField);
    h.ref(t + 4, name);
    h.ref(t + 8, type);
    h.buf[t + 12] = 1; // Null
  });
  return h.done();
}

Deno.test("arrow header: many fields sharing one long name (each decoded again by apache-arrow) are said", () => {
  // a few fields on one name pass: a writer may share a string
  assert.equal(new HeaderCheck().check(sharedName(3, 100)), null);
  const header = sharedName(2000, 1000);
  assert.equal(
    new HeaderCheck().check(header),
    `a message header is damaged: its lists add up to more than twice its ${header.length} bytes`,
  );
});

Deno.test("arrow header: a Null column holds any number of rows (valid, no buffers)", () => {
  const t = new arrow.Table({
    a: arrow.vectorFromArray(new Array(20000).fill(null), new arrow.Null()),
  });
  const tmp = Deno.makeTempFileSync({ suffix: ".arrow" });
  try {
    Deno.writeFileSync(tmp, arrow.tableToIPC(t, "stream"));
    const r = readArrowFile(tmp);
    assert.equal(r.damaged, undefined);
    assert.equal(r.rows.length, 20000);
  } finally {
    Deno.removeSync(tmp);
  }
});
