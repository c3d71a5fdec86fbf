/**
 * Creating the declared tables in DuckDB and filling them fast: rows go in through the
 * appender, 2048 at a time as data chunks, from column arrays (raw tables straight from Arrow)
 * or from row objects (the analysis tables).
 *
 * Every value is checked against its column's declaration first (a null in a NOT NULL column,
 * an int32 out of range, a string that is not JSON in a JSON column, ...): a row that does not
 * fit is set aside and reported to `onReject` with its index and why, so one odd row never
 * costs the table (without `onReject`, the first such row throws). Columns that arrive as
 * typed arrays (Arrow's non-null fixed-width columns) are valid by construction.
 */
import {
  type DuckDBAppender,
  DuckDBBlobValue,
  type DuckDBConnection,
  DuckDBDataChunk,
  listValue,
} from "@duckdb/node-api";
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

function convert(type: ColType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (type) {
    case "binary":
      return new DuckDBBlobValue(v as Uint8Array);
    case "list_utf8":
      return listValue(v as string[]);
    default:
      return v;
  }
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
  const chunk = DuckDBDataChunk.create(types, CHUNK);
  const keep = skip.size ? [...Array(n).keys()].filter((i) => !skip.has(i)) : null;
  const total = keep ? keep.length : n;
  for (let base = 0; base < total; base += CHUNK) {
    const m = Math.min(CHUNK, total - base);
    chunk.rowCount = m;
    const out = def.columns.map((c, j) => {
      const src = cols[j];
      const a = new Array(m);
      const plain = c.type !== "binary" && c.type !== "list_utf8";
      for (let i = 0; i < m; i++) {
        const v = src[keep ? keep[base + i] : base + i];
        a[i] = plain ? (v === undefined ? null : v) : convert(c.type, v);
      }
      return a;
    });
    chunk.setColumns(out as never);
    appender.appendDataChunk(chunk);
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
  const cols = def.columns.map((col) =>
    rows.map((r) => {
      const v = r[col.name];
      return v === undefined ? col.absent?.value ?? null : v;
    }) as ColumnValues
  );
  await append(c, def, cols, rows.length, opts);
}
