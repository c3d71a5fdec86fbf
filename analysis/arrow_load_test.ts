/**
 * The streaming Arrow loader gives DuckDB exactly the rows the column reader gives
 * (`recording_input.ts` + `duckdb_tables.ts`), in the same order, for every dataset and fixture
 * recording; and on damaged files — cut at every kind of place, garbage, empty, another table's
 * file — it loads the same rows and says the same words.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "../kit/duckdb.ts";
import type { Column, TableDef } from "../kit/columns.ts";
import { withNames } from "../kit/sql_runner.ts";
import * as arrow from "apache-arrow";
import { loadArrowFile } from "./arrow_load.ts";
import { framedMessages } from "../recording/arrow_header.ts";
import { appendColumns, createTables } from "./duckdb_tables.ts";
import { readTable } from "./recording_input.ts";
import { RAW_TABLES, rawTlsTable } from "./schema.ts";
import { ArrowStreamWriter } from "../recording/arrow_writer.ts";
import { fileTable } from "../recording/schema.ts";
import { readParts, writeRecording } from "../recording/recording_builder.ts";
import { COMMITTED_RECORDINGS, FIXTURES } from "./testing.ts";

const RECORDINGS = COMMITTED_RECORDINGS;

async function db() {
  const i = await DuckDBInstance.create(":memory:");
  const c = await i.connect();
  await c.run("ATTACH ':memory:' AS old");
  await createTables(c, RAW_TABLES);
  return { c, close: () => (c.closeSync(), i.closeSync()) };
}

/** Loads `def` from `dir` both ways: the old way into `old.*`, the streaming way into `main.*`. */
async function both(c: DuckDBConnection, dir: string, def: TableDef) {
  const problems: { source: string; message: string }[] = [];
  const cols = readTable(dir, def, problems);
  await c.run("USE old");
  await c.run(withNames("DROP TABLE IF EXISTS {{table}}", { table: def.name }));
  await createTables(c, [def]);
  await appendColumns(c, def, cols, { recording: "r" });
  await c.run("USE memory");
  await c.run(withNames("DROP TABLE IF EXISTS {{table}}", { table: def.name }));
  await createTables(c, [def]);
  const load = await loadArrowFile(c, def, `${dir}/${def.name}.arrow`, { recording: "r" });
  const said = load.error ?? load.damaged;
  return { problems: problems.map((p) => p.message), said, load };
}

async function sameRows(c: DuckDBConnection, table: string): Promise<void> {
  const r = await c.runAndReadAll(
    withNames(
      `SELECT (SELECT count(*) FROM old.{{table}}), (SELECT count(*) FROM memory.{{table}}),
       (SELECT count(*) FROM (SELECT rowid, * FROM old.{{table}} EXCEPT ALL SELECT rowid, * FROM memory.{{table}})),
       (SELECT count(*) FROM (SELECT rowid, * FROM memory.{{table}} EXCEPT ALL SELECT rowid, * FROM old.{{table}}))`,
      { table },
    ),
  );
  const [a, b, onlyOld, onlyNew] = r.getRows()[0].map(Number);
  assert.equal(b, a, `${table}: rows`);
  assert.equal(onlyOld + onlyNew, 0, `${table}: the same rows in the same order`);
}

Deno.test("arrow_load: every recording loads the same rows as the column reader", async () => {
  const { c, close } = await db();
  try {
    for (const dir of RECORDINGS) {
      for (const def of RAW_TABLES) {
        const r = await both(c, dir, def);
        assert.deepEqual(r.said ? [r.said] : [], r.problems, `${dir} ${def.name}`);
        await sameRows(c, def.name);
      }
    }
  } finally {
    close();
  }
});

Deno.test("arrow_load: damaged files load the same rows and say the same words", async () => {
  const { c, close } = await db();
  const tmp = await Deno.makeTempDir({ prefix: "sl-arrow-load-" });
  try {
    const src = `${FIXTURES}claude_tool_marker`;
    const whole = Deno.readFileSync(join(src, "tls.arrow"));
    const cuts = [
      0,
      3,
      7,
      8,
      40,
      200,
      1000,
      whole.length >> 2,
      whole.length >> 1,
      whole.length - 9,
      whole.length - 8,
      whole.length - 1,
    ];
    const cases: [string, Uint8Array][] = [
      ...cuts.map((n): [string, Uint8Array] => [`cut at ${n}`, whole.subarray(0, n)]),
      ["garbage", new TextEncoder().encode("this is not an arrow stream at all, not even close")],
      ["file.arrow as tls", Deno.readFileSync(join(src, "file.arrow"))],
      [
        "a flipped byte in a batch",
        (() => {
          const b = whole.slice();
          b[whole.length >> 1] ^= 0xff;
          return b;
        })(),
      ],
    ];
    for (const [name, bytes] of cases) {
      Deno.writeFileSync(join(tmp, "tls.arrow"), bytes);
      const r = await both(c, tmp, rawTlsTable);
      assert.deepEqual(r.said ? [r.said] : [], r.problems, name);
      await sameRows(c, "tls");
    }
    Deno.removeSync(join(tmp, "tls.arrow"));
    const missing = await both(c, tmp, rawTlsTable);
    assert.deepEqual([missing.said], missing.problems);
    assert.equal(missing.said, "missing");
  } finally {
    close();
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("arrow_load: a file written before a column was added reads as the declared value; a missing required column is an error", async () => {
  const { c, close } = await db();
  const tmp = await Deno.makeTempDir({ prefix: "sl-arrow-load-" });
  const sample: Record<string, unknown> = {
    utf8: "x",
    bool: false,
    int64: 7n,
    int32: 7,
    float64: 7,
    binary: new Uint8Array([1]),
    list_utf8: ["x"],
    json: "{}",
  };
  const write = (cols: readonly Column[]) => {
    const path = join(tmp, "file.arrow");
    Deno.removeSync(path, { recursive: true }); // rm -f: the tmp dir holds a placeholder at first
    const w = ArrowStreamWriter.create(path, { ...fileTable, columns: cols } as TableDef);
    const row = Object.fromEntries(cols.map((x) => [x.name, sample[x.type]]));
    w.append(row as never);
    w.append(row as never);
    w.close();
    return path;
  };
  try {
    const def = RAW_TABLES.find((d) => d.name === "file")!;
    const addedCols = fileTable.columns.filter((x) => x.absent);
    assert.ok(addedCols.length > 0, "the file table has columns added later");
    Deno.writeFileSync(join(tmp, "file.arrow"), new Uint8Array());
    const old = fileTable.columns.filter((x) => !x.absent);
    const load = await loadArrowFile(c, def, write(old), { recording: "r" });
    assert.equal(load.error ?? load.damaged, undefined);
    assert.equal(load.rows, 2);
    for (const col of addedCols) {
      const r = await c.runAndReadAll(
        withNames("SELECT DISTINCT {{column}}::VARCHAR FROM {{table}}", {
          table: "file",
          column: col.name,
        }),
      );
      const want = col.absent!.value === null ? null : String(col.absent!.value);
      assert.deepEqual(r.getRows().map((x) => x[0]), [want], `${col.name}: its declared value`);
    }

    const required = old.find((x) => !x.nullable)!;
    const bad = await loadArrowFile(c, def, write(old.filter((x) => x !== required)), {
      recording: "r",
    });
    assert.equal(bad.error, `column ${required.name} is missing`);
  } finally {
    close();
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("arrow_load: long strings, non-ASCII text and high bytes load as the column reader reads them", async () => {
  const { c, close } = await db();
  const tmp = await Deno.makeTempDir({ prefix: "sl-arrow-load-" });
  try {
    const parts = readParts(`${FIXTURES}claude_tool_marker`);
    const texts = [
      "/a/b", // short
      "/work/some/longer/path.ts", // long ASCII
      "/tmp/ünïcödé-directory/file.txt", // long, non-ASCII
      "/x/é", // short, non-ASCII
      "/tmp/" + "🙂".repeat(20), // long, 4-byte characters
      "exactly-12-b", // at the inline bound
      "exactly-13-by",
    ];
    const file = parts.file.map((r, i) => ({
      ...r,
      path: texts[i % texts.length],
      path2: i % 3 === 0 ? null : texts[(i + 1) % texts.length],
    }));
    const process = parts.process.map((r, i) => ({
      ...r,
      argv: i % 4 === 0 ? null : texts.slice(i % texts.length).concat(texts.slice(0, 2)),
    }));
    const tls = parts.tls.map((r, i) => ({
      ...r,
      data: Uint8Array.from({ length: (i * 7) % 40 }, (_, k) => (k * 37 + i) & 0xff),
    }));
    const dir = join(tmp, "rec");
    writeRecording(dir, {
      manifest: parts.manifest as unknown as Record<string, unknown>,
      process: { rows: process, batchRows: 7 },
      file: { rows: file, batchRows: 5 },
      net: parts.net,
      tls: { rows: tls, batchRows: 3 },
    });
    for (const def of RAW_TABLES.filter((d) => ["process", "file", "tls"].includes(d.name))) {
      const r = await both(c, dir, def);
      assert.deepEqual(r.said ? [r.said] : [], r.problems, def.name);
      assert.ok(r.load.rows > 0, def.name);
      await sameRows(c, def.name);
    }
    const paths = await c.runAndReadAll("SELECT DISTINCT path FROM memory.file ORDER BY path");
    assert.deepEqual(paths.getRows().map((x) => x[0]), [...texts].sort());
  } finally {
    close();
    await Deno.remove(tmp, { recursive: true });
  }
});

/** The Arrow buffers a column of type `t` lays out in a batch (its children's too). */
const buffersOf = (t: arrow.DataType): number =>
  (arrow.DataType.isUtf8(t) || arrow.DataType.isBinary(t) ? 3 : 2) +
  (t.children ?? []).reduce((n: number, f: arrow.Field) => n + buffersOf(f.type), 0);

/**
 * The offsets buffer of column `name` in batch `nth` of the Arrow stream `bytes`, as a view into
 * `bytes` (so writing it damages the file), found from the stream's own schema and the batch's
 * metadata.
 */
function offsetsOf(bytes: Uint8Array, name: string, nth: number): Int32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  let pos = 0;
  let batch = -1;
  let fields: arrow.Field[] = [];
  while (pos < bytes.length) {
    const len = view.getInt32(pos + 4, true);
    const m = arrow.Message.decode(bytes.subarray(pos + 8, pos + 8 + len));
    const body = pos + 8 + len;
    if (m.headerType === arrow.MessageHeader.Schema) fields = (m.header() as arrow.Schema).fields;
    if (m.headerType === arrow.MessageHeader.RecordBatch && ++batch === nth) {
      const index = fields.slice(0, fields.findIndex((f) => f.name === name))
        .reduce((n, f) => n + buffersOf(f.type), 0) + 1;
      const header = m.header() as unknown as { buffers: { offset: number; length: number }[] };
      const region = header.buffers[index];
      return new Int32Array(
        bytes.buffer,
        bytes.byteOffset + body + region.offset,
        region.length / 4,
      );
    }
    pos = body + Number(m.bodyLength);
  }
  throw new Error(`no batch ${nth}`);
}

Deno.test("arrow_load: a batch whose offsets point outside its buffers is left out, named, not a crash; the batches after it are read", async () => {
  const { c, close } = await db();
  const tmp = await Deno.makeTempDir({ prefix: "sl-arrow-load-" });
  try {
    const parts = readParts(`${FIXTURES}claude_tool_marker`);
    const dir = join(tmp, "rec");
    writeRecording(dir, {
      manifest: parts.manifest as unknown as Record<string, unknown>,
      process: {
        rows: parts.process.map((r) => ({ ...r, argv: ["sh", "-c", "a long argument"] })),
        batchRows: 4,
      },
      file: { rows: parts.file, batchRows: 5 },
      net: parts.net,
      tls: parts.tls,
    });
    const clean = {
      file: Deno.readFileSync(join(dir, "file.arrow")),
      process: Deno.readFileSync(join(dir, "process.arrow")),
    };
    const cases: [string, string, string, (o: Int32Array) => void, string][] = [
      [
        "an offset past the data",
        "file",
        "path",
        (o) => o[o.length - 1] = 0x7ffffff0,
        "column path: offsets outside its data",
      ],
      [
        "offsets that fall back",
        "file",
        "path",
        (o) => o[1] = o[2] + 100,
        "column path: offsets that fall back",
      ],
      [
        "a negative first offset",
        "file",
        "path",
        (o) => o[0] = -64,
        "column path: offsets outside its data",
      ],
      [
        "a list past its strings",
        "process",
        "argv",
        (o) => o[o.length - 1] = 1 << 20,
        "column argv: offsets outside its data",
      ],
    ];
    for (const [name, table, column, damage, why] of cases) {
      const def = RAW_TABLES.find((d) => d.name === table)!;
      const bytes = clean[table as "file" | "process"].slice();
      damage(offsetsOf(bytes, column, 1));
      const path = join(dir, `${table}.arrow`);
      Deno.writeFileSync(path, bytes);
      await c.run(withNames("DELETE FROM {{table}}", { table }));
      const load = await loadArrowFile(c, def, path, { recording: "r" });
      // the second batch left out, the batches before and after it read
      const first = table === "file" ? 5 : 4;
      const total = parts[table as "file" | "process"].length;
      const kept = total - Math.min(first, total - first);
      assert.ok(total > 2 * first, "set-up: a batch after the damaged one");
      assert.equal(
        load.damaged,
        `${first} rows in 1 batch left out, the first after ${first} rows (${why})`,
        name,
      );
      assert.equal(load.corrupt, true, name);
      assert.equal(load.rows, kept, `${name}: the batches before and after the damage are loaded`);
      const problems: { source: string; message: string }[] = [];
      const cols = readTable(dir, def, problems);
      assert.deepEqual(
        problems.map((p) => p.message),
        [load.damaged],
        `${name}: the column reader`,
      );
      assert.equal(cols.length, kept, `${name}: the column reader`);
      const n = await c.runAndReadAll(withNames("SELECT count(*) FROM {{table}}", { table }));
      assert.equal(Number(n.getRows()[0][0]), kept, name);
    }
  } finally {
    close();
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("arrow_load: any word of a header damaged (a count of billions, a negative one): both readers say it alike, keep the same rows, and neither runs out of memory", async () => {
  // apache-arrow trusts a header's list lengths: one such word in a schema made it build
  // objects until the process died (64 random bytes in net.arrow, found by fuzzing)
  const { c, close } = await db();
  const tmp = await Deno.makeTempDir({ prefix: "sl-arrow-load-" });
  try {
    const def = RAW_TABLES.find((d) => d.name === "net")!;
    const clean = Deno.readFileSync("datasets/demo-claude/net.arrow");
    const [schema, batch] = [...framedMessages(clean)].map(({ header }) =>
      [header.byteOffset - clean.byteOffset, header.length] as const
    );
    assert.ok(batch, "set-up: a schema and a batch");
    const said = new Set<string>();
    for (const [start, len] of [schema, batch]) {
      for (let at = start; at + 4 <= start + len; at += 4) {
        for (const word of [0x7fffffff, 0xfffffff0]) {
          const bytes = clean.slice();
          new DataView(bytes.buffer).setUint32(at, word, true);
          Deno.writeFileSync(join(tmp, "net.arrow"), bytes);
          const r = await both(c, tmp, def);
          const where = `word at ${at} = ${word.toString(16)}`;
          assert.deepEqual(r.said ? [r.said] : [], r.problems, where);
          await sameRows(c, "net");
          if (r.said) said.add(r.said.replace(/\d+/g, "N"));
          // said as damage, not as a file cut short, where the rows the manifest lists are missing
          if (/^damaged after \d+ rows \(a message header/.test(r.said ?? "")) {
            assert.equal(r.load.corrupt, true, where);
          }
        }
      }
    }
    const words = [...said].join("\n");
    // said in the format's words, not apache-arrow's stumbles
    assert.doesNotMatch(words, /destructure|not safe to convert|Unrecognized type|undefined/);
    assert.match(words, /the schema's field list \(N entries\) lies past its N bytes/);
    assert.match(words, /damaged after N rows \(a message header is damaged: /);
  } finally {
    close();
    await Deno.remove(tmp, { recursive: true });
  }
});
