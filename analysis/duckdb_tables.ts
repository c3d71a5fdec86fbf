/**
 * Creating the declared tables in DuckDB and filling them fast: rows go in through the
 * appender, 2048 at a time as data chunks, from column arrays (raw tables straight from Arrow)
 * or from row objects (the analysis tables). The chunks are filled through DuckDB's C API, not
 * value by value: fixed-width values, validity and strings of up to 12 bytes in one copy per
 * column, longer strings and bytes one call each, a string repeated in every row of a chunk
 * (the recording's name) as a constant vector.
 *
 * Every value is checked against its column's declaration first (a null in a NOT NULL column,
 * an int32 out of range, a string that is not JSON in a JSON column, ...): a row that does not
 * fit is set aside and reported to `onReject` with its index and why, so one odd row never
 * costs the table (without `onReject`, the first such row throws). Columns that arrive as
 * typed arrays (Arrow's non-null fixed-width columns) are valid by construction.
 */
import duckdb from "@duckdb/node-bindings";
import { type DuckDBAppender, type DuckDBConnection, DuckDBDataChunk } from "../kit/duckdb.ts";
import { type ColType, ddl, type TableDef } from "../kit/columns.ts";
import type { Columns, ColumnValues } from "../recording/arrow_input.ts";

const CHUNK = 2048;

/** A row left out of a table: its index in what was given, and why. */
export interface RejectedRow {
  row: number;
  why: string;
}

export interface AppendOptions {
  /** told of every row left out; without it the first one throws */
  onReject?: (r: RejectedRow) => void;
  /** the table appended to, when not `def.name` (a working table of the same columns) */
  into?: string;
}

export async function createTables(
  c: DuckDBConnection,
  defs: readonly TableDef[],
  opts: { notNull?: boolean } = {},
): Promise<void> {
  for (const d of defs) await c.run(ddl(d, d.name, opts));
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Why `v` does not fit a column of `type`, or null when it does (null values aside). */
export function misfit(type: ColType, v: unknown): string | null {
  switch (type) {
    case "int64":
      if (typeof v === "bigint") return v >= INT64_MIN && v <= INT64_MAX ? null : "out of range";
      return Number.isSafeInteger(v) ? null : "not an integer";
    case "int32":
      return Number.isInteger(v) && (v as number) >= -0x80000000 && (v as number) <= 0x7fffffff
        ? null
        : "not a 32-bit integer";
    case "float64":
      return typeof v === "number" ? null : "not a number";
    case "bool":
      return typeof v === "boolean" ? null : "not a boolean";
    case "utf8":
      return typeof v === "string" ? null : "not a string";
    case "json":
      if (typeof v !== "string") return "not a string";
      try {
        JSON.parse(v);
        return null;
      } catch {
        return "not JSON";
      }
    case "binary":
      return v instanceof Uint8Array ? null : "not bytes";
    case "list_utf8":
      return Array.isArray(v) && v.every((x) => typeof x === "string")
        ? null
        : "not a list of strings";
  }
}

const isTyped = (a: ColumnValues) =>
  a instanceof BigInt64Array || a instanceof Int32Array || a instanceof Float64Array;

/** Rows of the columns that do not fit `def`, with why (the first misfit of each row). */
function rejectedRows(
  def: TableDef,
  cols: ColumnValues[],
  n: number,
): Map<number, string> {
  const bad = new Map<number, string>();
  def.columns.forEach((c, j) => {
    const src = cols[j];
    if (isTyped(src)) return;
    for (let i = 0; i < n; i++) {
      const v = src[i];
      if (v === null || v === undefined) {
        if (!c.nullable && !bad.has(i)) bad.set(i, `${c.name} is null`);
        continue;
      }
      const why = misfit(c.type, v);
      if (why && !bad.has(i)) bad.set(i, `${c.name} ${why}`);
    }
  });
  return bad;
}

type Vec = ReturnType<typeof duckdb.data_chunk_get_vector>;

/** DuckDB keeps strings of up to 12 bytes inside the 16-byte string entry itself. */
const INLINE = 12;
const encoder = new TextEncoder();

/** Marks the null rows (`valid[i]` 0) in `vec`'s validity; nothing when there are none. */
function setValidity(vec: Vec, valid: Uint8Array, nulls: number, m: number): void {
  if (nulls === 0) return;
  const mask = new Uint8Array(Math.ceil(m / 64) * 8);
  for (let i = 0; i < m; i++) if (valid[i]) mask[i >> 3] |= 1 << (i & 7);
  duckdb.vector_ensure_validity_writable(vec);
  duckdb.copy_data_to_vector_validity(vec, 0, mask.buffer, 0, mask.byteLength);
}

/**
 * Strings or bytes `at(0..m)` (null where not valid) into a VARCHAR/BLOB vector: the short ones
 * written into the 16-byte entries in one copy, the long ones assigned one by one; the same
 * non-null string in every row becomes a constant vector.
 */
function fillVarLen(vec: Vec, m: number, at: (i: number) => unknown, nulls: Uint8Array): number {
  const first = at(0);
  if (typeof first === "string" && m > 1) {
    let same = true;
    for (let i = 1; i < m && same; i++) same = at(i) === first;
    if (same) {
      duckdb.vector_reference_value(vec, duckdb.create_varchar(first));
      return 0;
    }
  }
  const entries = new Uint8Array(16 * m);
  const view = new DataView(entries.buffer);
  const long: number[] = [];
  let n = 0;
  for (let i = 0; i < m; i++) {
    const v = at(i);
    if (v === null || v === undefined) {
      nulls[i] = 0;
      n++;
      continue;
    }
    nulls[i] = 1;
    if (typeof v === "string") {
      if (v.length <= INLINE) {
        const r = encoder.encodeInto(v, entries.subarray(16 * i + 4, 16 * i + 4 + INLINE));
        if (r.read === v.length) {
          view.setUint32(16 * i, r.written, true);
          continue;
        }
        entries.fill(0, 16 * i + 4, 16 * i + 16);
      }
    } else if ((v as Uint8Array).length <= INLINE) {
      view.setUint32(16 * i, (v as Uint8Array).length, true);
      entries.set(v as Uint8Array, 16 * i + 4);
      continue;
    }
    long.push(i);
  }
  duckdb.copy_data_to_vector(vec, 0, entries.buffer, 0, entries.byteLength);
  for (const i of long) {
    const v = at(i);
    if (typeof v === "string") duckdb.vector_assign_string_element(vec, i, v);
    else duckdb.vector_assign_string_element_len(vec, i, v as Uint8Array);
  }
  return n;
}

/** Values `at(0..m)` of a column of `type` into `vec` (nulls as invalid rows). */
function fillVector(vec: Vec, type: ColType, m: number, at: (i: number) => unknown): void {
  const valid = new Uint8Array(m);
  let nulls = 0;
  const fixed = <T extends { [i: number]: number | bigint; buffer: ArrayBufferLike }>(
    out: T,
    put: (v: unknown) => number | bigint,
  ) => {
    for (let i = 0; i < m; i++) {
      const v = at(i);
      if (v === null || v === undefined) nulls++;
      else (valid[i] = 1, out[i] = put(v));
    }
    duckdb.copy_data_to_vector(
      vec,
      0,
      out.buffer as ArrayBuffer,
      0,
      (out.buffer as ArrayBuffer).byteLength,
    );
  };
  switch (type) {
    case "int64":
      fixed(new BigInt64Array(m), (v) => typeof v === "bigint" ? v : BigInt(v as number));
      break;
    case "int32":
      fixed(new Int32Array(m), (v) => v as number);
      break;
    case "float64":
      fixed(new Float64Array(m), (v) => v as number);
      break;
    case "bool":
      fixed(new Uint8Array(m), (v) => v ? 1 : 0);
      break;
    case "utf8":
    case "json":
    case "binary":
      nulls = fillVarLen(vec, m, at, valid);
      break;
    case "list_utf8": {
      const entries = new BigUint64Array(2 * m);
      let total = 0;
      for (let i = 0; i < m; i++) {
        const v = at(i) as string[] | null | undefined;
        if (v === null || v === undefined) {
          nulls++;
          continue;
        }
        valid[i] = 1;
        entries[2 * i] = BigInt(total);
        entries[2 * i + 1] = BigInt(v.length);
        total += v.length;
      }
      duckdb.copy_data_to_vector(vec, 0, entries.buffer, 0, entries.byteLength);
      duckdb.list_vector_reserve(vec, total);
      duckdb.list_vector_set_size(vec, total);
      if (total > 0) {
        const items: string[] = [];
        for (let i = 0; i < m; i++) for (const x of (at(i) as string[] | null) ?? []) items.push(x);
        const child = duckdb.list_vector_get_child(vec);
        const cv = new Uint8Array(total);
        setValidity(child, cv, fillVarLen(child, total, (k) => items[k], cv), total);
      }
      break;
    }
  }
  setValidity(vec, valid, nulls, m);
}

/** Appends `n` rows given as columns (in `def` order) through an appender, skipping `skip`. */
function appendChunks(
  appender: DuckDBAppender,
  def: TableDef,
  cols: ColumnValues[],
  n: number,
  skip: Map<number, string>,
): void {
  const types = def.columns.map((_, i) => appender.columnType(i));
  const wrapped = DuckDBDataChunk.create(types, CHUNK);
  const chunk = wrapped.chunk;
  const keep = skip.size ? [...Array(n).keys()].filter((i) => !skip.has(i)) : null;
  const total = keep ? keep.length : n;
  for (let base = 0; base < total; base += CHUNK) {
    const m = Math.min(CHUNK, total - base);
    duckdb.data_chunk_reset(chunk);
    def.columns.forEach((c, j) => {
      const src = cols[j];
      const at = keep ? (i: number) => src[keep[base + i]] : (i: number) => src[base + i];
      fillVector(duckdb.data_chunk_get_vector(chunk, j), c.type, m, at);
    });
    duckdb.data_chunk_set_size(chunk, m);
    appender.appendDataChunk(wrapped);
  }
}

async function append(
  c: DuckDBConnection,
  def: TableDef,
  cols: ColumnValues[],
  n: number,
  opts: AppendOptions,
): Promise<void> {
  if (n === 0) return;
  const bad = rejectedRows(def, cols, n);
  if (bad.size && !opts.onReject) {
    const [row, why] = bad.entries().next().value!;
    throw new Error(`${def.name} row ${row}: ${why}`);
  }
  for (const [row, why] of bad) opts.onReject!({ row, why });
  const appender = await c.createAppender(opts.into ?? def.name);
  try {
    appendChunks(appender, def, cols, n, bad);
  } finally {
    appender.closeSync();
  }
}

/**
 * Appends columns (e.g. straight from an Arrow file) to table `def`. `extra` fills columns
 * missing from `cols`.
 */
export async function appendColumns(
  c: DuckDBConnection,
  def: TableDef,
  cols: Columns,
  extra: Record<string, unknown> = {},
  opts: AppendOptions = {},
): Promise<void> {
  const at = (name: string): ColumnValues =>
    cols.values[name] ?? new Array(cols.length).fill(extra[name] ?? null);
  await append(c, def, def.columns.map((col) => at(col.name)), cols.length, opts);
}

/** Appends row objects to table `def`. */
export async function appendRows(
  c: DuckDBConnection,
  def: TableDef,
  rows: readonly Record<string, unknown>[],
  opts: AppendOptions = {},
): Promise<void> {
  // a column added later (`added`) that a row leaves out takes its declared value, as in files
  const n = rows.length;
  const cols = def.columns.map((col) => {
    const name = col.name;
    const absent = col.absent?.value ?? null;
    const out = new Array(n);
    for (let i = 0; i < n; i++) {
      const v = rows[i][name];
      out[i] = v === undefined ? absent : v;
    }
    return out as ColumnValues;
  });
  await append(c, def, cols, rows.length, opts);
}
