/**
 * Benchmark (not a test) of loading one raw table of a recording into DuckDB through DuckDB's C
 * API, called with Deno FFI (`Deno.dlopen` of the `libduckdb.so` that node-api's binding links),
 * against the analysis's own path (node-api's appender, `analysis/arrow_load.ts`). Both fill
 * DuckDB data chunks of 2048 rows from the Arrow file's buffers (fixed-width columns and
 * validity by one copy, strings as `string_t` entries pointing into Arrow's data buffer); the
 * C API way can hand the append and the close to a thread of Deno's own (`nonblocking`), so the
 * JS thread only fills chunks. Prints, per way, wall and CPU seconds of this process and the JS
 * thread's busy time, and a row count and order-free hash of the table written, to check that
 * the ways give the same rows.
 *
 *   deno run -A bench/capi_ingest.ts RECORDING_DIR [--table file] [--rounds 3]
 *
 * Each way writes a fresh database in a temporary directory (removed after). Issue #15's session
 * 26 section of reports/bench/analysis.md has what it measured and why the way was not taken.
 */
import { filePath } from "../kit/file_path.ts";
import * as arrow from "apache-arrow";
import { DuckDBInstance } from "../kit/duckdb.ts";
import { join } from "node:path";
import { intOption, parseCommand, runCommand, usageError } from "../kit/cli.ts";
import { type ColType, ddl, type TableDef } from "../kit/columns.ts";
import { RAW_TABLES } from "../analysis/schema.ts";
import { RAW_FILES } from "../analysis/recording_input.ts";
import { IpcFile, loadArrowFile } from "../analysis/arrow_load.ts";
import { bufferAddress, INLINE, pointTo } from "../analysis/duckdb_strings.ts";

/** node-api's own copy of the library (its binding links it dynamically). */
function libPath(): string {
  const store = filePath("../node_modules/.deno/", import.meta.url);
  const dir = [...Deno.readDirSync(store)].find((e) =>
    e.name.startsWith("@duckdb+node-bindings-linux-x64@")
  );
  if (!dir) throw new Error(`no @duckdb/node-bindings-linux-x64 under ${store}`);
  return `${store}${dir.name}/node_modules/@duckdb/node-bindings-linux-x64/libduckdb.so`;
}

const P = "pointer" as const;
const SYMBOLS = {
  duckdb_open: { parameters: ["buffer", "buffer"], result: "i32" },
  duckdb_close: { parameters: ["buffer"], result: "void" },
  duckdb_connect: { parameters: [P, "buffer"], result: "i32" },
  duckdb_disconnect: { parameters: ["buffer"], result: "void" },
  duckdb_query: { parameters: [P, "buffer", P], result: "i32" },
  duckdb_appender_create: { parameters: [P, P, "buffer", "buffer"], result: "i32" },
  duckdb_appender_column_type: { parameters: [P, "u64"], result: P },
  duckdb_append_data_chunk: { parameters: [P, P], result: "i32" },
  duckdb_append_data_chunk_off: {
    name: "duckdb_append_data_chunk",
    parameters: [P, P],
    result: "i32",
    nonblocking: true,
  },
  duckdb_appender_close: { parameters: [P], result: "i32" },
  duckdb_appender_close_off: {
    name: "duckdb_appender_close",
    parameters: [P],
    result: "i32",
    nonblocking: true,
  },
  duckdb_appender_error: { parameters: [P], result: P },
  duckdb_appender_destroy: { parameters: ["buffer"], result: "i32" },
  duckdb_create_data_chunk: { parameters: ["buffer", "u64"], result: P },
  duckdb_data_chunk_reset: { parameters: [P], result: "void" },
  duckdb_data_chunk_set_size: { parameters: [P, "u64"], result: "void" },
  duckdb_data_chunk_get_vector: { parameters: [P, "u64"], result: P },
  duckdb_vector_get_data: { parameters: [P], result: P },
  duckdb_vector_ensure_validity_writable: { parameters: [P], result: "void" },
  duckdb_vector_get_validity: { parameters: [P], result: P },
  duckdb_vector_assign_string_element_len: {
    parameters: [P, "u64", "buffer", "u64"],
    result: "void",
  },
  duckdb_create_varchar_length: { parameters: ["buffer", "u64"], result: P },
  duckdb_vector_reference_value: { parameters: [P, P], result: "void" },
} as const;

type Lib = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

const CHUNK = 2048;
const WIDTH: Partial<Record<ColType, number>> = { int64: 8, int32: 4, float64: 8 };
const TEXT: ColType[] = ["bool", "utf8", "json", "binary"];

function cpuSeconds(): number {
  const f = Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** A pointer out of an out-parameter slot. */
function slot(): { buf: BigUint64Array; ptr: Deno.PointerValue } {
  const buf = new BigUint64Array(1);
  return { buf, ptr: Deno.UnsafePointer.of(buf) };
}

function cstr(s: string): Uint8Array {
  return new TextEncoder().encode(s + "\0");
}

/** Writable bytes of native memory. */
function bytesAt(p: Deno.PointerValue, n: number): Uint8Array {
  return new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(p!, n));
}

function isValid(d: arrow.Data, i: number): boolean {
  const bm = d.nullBitmap;
  if (!bm || bm.length === 0 || d.nullCount === 0) return true;
  const j = d.offset + i;
  return (bm[j >> 3] & (1 << (j & 7))) !== 0;
}

/** One column's rows [base, base+n) of `d` into vector `vec` (as arrow_load.ts fills it). */
function fill(
  lib: Lib,
  vec: Deno.PointerValue,
  type: ColType,
  d: arrow.Data,
  base: number,
  n: number,
) {
  if (d.nullBitmap && d.nullBitmap.length && d.nullCount) {
    lib.duckdb_vector_ensure_validity_writable(vec);
    const mask = bytesAt(lib.duckdb_vector_get_validity(vec), Math.ceil(n / 64) * 8);
    mask.fill(0);
    for (let i = 0; i < n; i++) if (isValid(d, base + i)) mask[i >> 3] |= 1 << (i & 7);
  }
  const data = lib.duckdb_vector_get_data(vec);
  const width = WIDTH[type];
  if (width) {
    const values = d.values as BigInt64Array | Int32Array | Float64Array;
    const src = new Uint8Array(
      values.buffer,
      values.byteOffset + (d.offset + base) * width,
      n * width,
    );
    bytesAt(data, n * width).set(src);
    return;
  }
  if (type === "bool") {
    const out = bytesAt(data, n);
    const bits = d.values as Uint8Array;
    for (let i = 0; i < n; i++) {
      const j = d.offset + base + i;
      out[i] = (bits[j >> 3] >> (j & 7)) & 1;
    }
    return;
  }
  if (type !== "utf8" && type !== "json" && type !== "binary") {
    throw new Error(`type ${type} is not handled here`);
  }
  const offs = d.valueOffsets as Int32Array;
  const bytes = d.values as Uint8Array;
  const o = d.offset + base;
  const entries = bytesAt(data, 16 * n);
  entries.fill(0);
  const words = new Uint32Array(entries.buffer, entries.byteOffset, 4 * n);
  const address = bufferAddress(bytes);
  const text = type !== "binary";
  for (let i = 0; i < n; i++) {
    if (!isValid(d, base + i)) continue;
    const a = offs[o + i];
    const len = offs[o + i + 1] - a;
    if (len <= INLINE) {
      words[4 * i] = len;
      for (let k = 0; k < len; k++) entries[16 * i + 4 + k] = bytes[a + k];
      continue;
    }
    let high = 0;
    if (text) { for (let k = a; k < a + len; k++) high |= bytes[k]; }
    if (address === null || high >= 0x80) {
      lib.duckdb_vector_assign_string_element_len(
        vec,
        BigInt(i),
        bytes.subarray(a, a + len),
        BigInt(len),
      );
      continue;
    }
    pointTo(entries, words, i, bytes, address, a, len);
  }
}

interface Way {
  wall: number;
  cpu: number;
  /** the JS thread's busy time (wall less the time spent awaiting the native thread) */
  js: number;
  rows: number;
  print: string;
}

/** The table loaded through the C API; `off`: appends and the close on Deno's own thread. */
async function viaCapi(
  lib: Lib,
  db: string,
  def: TableDef,
  path: string,
  recording: string,
  off: boolean,
): Promise<Way> {
  const t0 = performance.now();
  const c0 = cpuSeconds();
  let waited = 0;
  const dbSlot = slot();
  if (lib.duckdb_open(cstr(db), dbSlot.buf) !== 0) throw new Error("duckdb_open failed");
  const dbh = Deno.UnsafePointer.create(dbSlot.buf[0]);
  const conSlot = slot();
  if (lib.duckdb_connect(dbh, conSlot.buf) !== 0) throw new Error("duckdb_connect failed");
  const con = Deno.UnsafePointer.create(conSlot.buf[0]);
  const query = (sql: string) => {
    if (lib.duckdb_query(con, cstr(sql), null) !== 0) throw new Error(`query failed: ${sql}`);
  };
  query("SET threads = 1");
  query(ddl(def, def.name, { notNull: false }));
  const appSlot = slot();
  if (lib.duckdb_appender_create(con, null, cstr(def.name), appSlot.buf) !== 0) {
    throw new Error("duckdb_appender_create failed");
  }
  const app = Deno.UnsafePointer.create(appSlot.buf[0]);
  const types = new BigUint64Array(def.columns.length);
  def.columns.forEach((_, j) => {
    types[j] = Deno.UnsafePointer.value(lib.duckdb_appender_column_type(app, BigInt(j))) as bigint;
  });
  // two chunks: one filled by the JS thread while the other is appended
  const chunks = [0, 1].map(() => lib.duckdb_create_data_chunk(types, BigInt(def.columns.length)));
  const rec = new TextEncoder().encode(recording);
  let pending: Promise<number> | null = null;
  let which = 0;
  let rows = 0;
  const wait = async () => {
    if (!pending) return;
    const w = performance.now();
    const rc = await pending;
    waited += performance.now() - w;
    pending = null;
    if (rc !== 0) throw new Error("duckdb_append_data_chunk failed");
  };
  const file = await Deno.open(path);
  const ipc = new IpcFile(file);
  const err = await ipc.open();
  if (err) throw new Error(err);
  for await (const batch of ipc.batches()) {
    const datas = def.columns.map((col) =>
      col.name === "recording" ? null : batch.getChild(col.name)!.data[0]
    );
    for (let base = 0; base < batch.numRows; base += CHUNK) {
      const n = Math.min(CHUNK, batch.numRows - base);
      const chunk = chunks[which];
      lib.duckdb_data_chunk_reset(chunk);
      def.columns.forEach((col, j) => {
        const vec = lib.duckdb_data_chunk_get_vector(chunk, BigInt(j));
        if (!datas[j]) {
          lib.duckdb_vector_reference_value(
            vec,
            lib.duckdb_create_varchar_length(rec, BigInt(rec.length)),
          );
        } else fill(lib, vec, col.type, datas[j]!, base, n);
      });
      lib.duckdb_data_chunk_set_size(chunk, BigInt(n));
      if (off) {
        await wait();
        pending = lib.duckdb_append_data_chunk_off(app, chunk);
        which = 1 - which;
      } else if (lib.duckdb_append_data_chunk(app, chunk) !== 0) {
        throw new Error("duckdb_append_data_chunk failed");
      }
      rows += n;
    }
    // the batch's buffer is reused by the next read: its strings must be copied by then
    await wait();
  }
  file.close();
  if (off) {
    const w = performance.now();
    const rc = await lib.duckdb_appender_close_off(app);
    waited += performance.now() - w;
    if (rc !== 0) throw new Error("duckdb_appender_close failed");
  } else if (lib.duckdb_appender_close(app) !== 0) throw new Error("duckdb_appender_close failed");
  lib.duckdb_appender_destroy(appSlot.buf);
  query("CHECKPOINT");
  lib.duckdb_disconnect(conSlot.buf);
  lib.duckdb_close(dbSlot.buf);
  const wall = performance.now() - t0;
  return {
    wall,
    cpu: cpuSeconds() - c0,
    js: wall - waited,
    rows,
    print: await fingerprint(db, def),
  };
}

/** The table loaded as analyze.ts loads it (node-api's appender). */
async function viaNodeApi(
  db: string,
  def: TableDef,
  path: string,
  recording: string,
): Promise<Way> {
  const t0 = performance.now();
  const c0 = cpuSeconds();
  const inst = await DuckDBInstance.create(db, { threads: "1" });
  const c = await inst.connect();
  await c.run(ddl(def, def.name, { notNull: false }));
  const r = await loadArrowFile(c, def, path, { recording });
  if (r.error || r.damaged) throw new Error(`${path}: ${r.error ?? r.damaged}`);
  await c.run("CHECKPOINT");
  c.closeSync();
  inst.closeSync();
  const wall = performance.now() - t0;
  return {
    wall,
    cpu: cpuSeconds() - c0,
    js: wall,
    rows: r.rows,
    print: await fingerprint(db, def),
  };
}

/** Row count and an order-sensitive hash (rowid order) of the table. */
async function fingerprint(db: string, def: TableDef): Promise<string> {
  const inst = await DuckDBInstance.create(db, { access_mode: "READ_ONLY" });
  const c = await inst.connect();
  const cols = def.columns.map((x) => `"${x.name}"`).join(", ");
  const r = await c.runAndReadAll(
    `SELECT count(*)::VARCHAR || ' ' || sum(hash(rowid, ${cols}))::VARCHAR FROM "${def.name}"`,
  );
  c.closeSync();
  inst.closeSync();
  return String(r.getRows()[0][0]);
}

async function main(args: string[]) {
  const { values, positionals } = parseCommand(args, {
    table: { type: "string", default: "file" },
    rounds: { type: "string", default: "3" },
  });
  if (positionals.length !== 1) throw usageError("give one recording directory");
  const def = RAW_TABLES.find((t) => t.name === values.table);
  if (!def) throw usageError(`no raw table ${values.table}`);
  const rounds = intOption("rounds", values.rounds, 1)!;
  const dir = positionals[0];
  const path = join(dir, RAW_FILES[def.name]);
  const odd = def.columns.find((c) => !(c.type in WIDTH) && !TEXT.includes(c.type));
  if (odd) {
    throw usageError(
      `${def.name}.${odd.name} is ${odd.type}: the C API way here fills fixed-width, bool and ` +
        "string columns only",
    );
  }
  try {
    Deno.statSync(path);
  } catch (e) {
    throw usageError(`${path}: ${(e as Error).message}`);
  }
  const lib = Deno.dlopen(libPath(), SYMBOLS).symbols;
  const tmp = await Deno.makeTempDir({ prefix: "capi-ingest-" });
  try {
    for (let r = 0; r < rounds; r++) {
      for (const way of ["node-api", "capi", "capi-off"] as const) {
        const db = join(tmp, `${way}-${r}.duckdb`);
        const w = way === "node-api"
          ? await viaNodeApi(db, def, path, "rec")
          : await viaCapi(lib, db, def, path, "rec", way === "capi-off");
        console.log(
          `${r + 1} ${way.padEnd(9)} wall ${(w.wall / 1000).toFixed(2)} s  CPU ${
            w.cpu.toFixed(2)
          } s  ` +
            `JS thread ${(w.js / 1000).toFixed(2)} s  rows ${w.rows}  ${w.print}`,
        );
        await Deno.remove(db);
      }
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

if (import.meta.main) {
  await runCommand(
    "capi_ingest",
    "usage: deno run -A bench/capi_ingest.ts DIR [--table T] [--rounds N]",
    main,
  );
}
