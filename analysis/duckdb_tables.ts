/**
 * Creating the declared tables in DuckDB and filling them fast: rows go in through the
 * appender, 2048 at a time as data chunks, from column arrays (raw tables straight from Arrow)
 * or from row objects (the analysis tables).
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

export async function createTables(c: DuckDBConnection, defs: readonly TableDef[]): Promise<void> {
  for (const d of defs) await c.run(ddl(d));
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

/** Appends `n` rows given as columns (in `def` order) through an appender. */
function appendChunks(
  appender: DuckDBAppender,
  def: TableDef,
  columnAt: (name: string) => ColumnValues,
  n: number,
): void {
  const types = def.columns.map((_, i) => appender.columnType(i));
  const chunk = DuckDBDataChunk.create(types, CHUNK);
  const cols = def.columns.map((c) => columnAt(c.name));
  for (let base = 0; base < n; base += CHUNK) {
    const m = Math.min(CHUNK, n - base);
    chunk.rowCount = m;
    const out = def.columns.map((c, j) => {
      const src = cols[j];
      const a = new Array(m);
      const plain = c.type !== "binary" && c.type !== "list_utf8";
      for (let i = 0; i < m; i++) {
        const v = src[base + i];
        a[i] = plain ? (v === undefined ? null : v) : convert(c.type, v);
      }
      return a;
    });
    chunk.setColumns(out as never);
    appender.appendDataChunk(chunk);
  }
}

/** Appends columns (e.g. straight from an Arrow file) to table `def`. `extra` fills columns missing from `cols`. */
export async function appendColumns(
  c: DuckDBConnection,
  def: TableDef,
  cols: Columns,
  extra: Record<string, unknown> = {},
): Promise<void> {
  if (cols.length === 0) return;
  const appender = await c.createAppender(def.name);
  const filled = new Map<string, ColumnValues>();
  const at = (name: string): ColumnValues => {
    if (cols.values[name]) return cols.values[name];
    let f = filled.get(name);
    if (!f) filled.set(name, f = new Array(cols.length).fill(extra[name] ?? null));
    return f;
  };
  try {
    appendChunks(appender, def, at, cols.length);
  } finally {
    appender.closeSync();
  }
}

/** Appends row objects to table `def`. */
export async function appendRows(
  c: DuckDBConnection,
  def: TableDef,
  rows: readonly Record<string, unknown>[],
): Promise<void> {
  if (rows.length === 0) return;
  const appender = await c.createAppender(def.name);
  try {
    appendChunks(
      appender,
      def,
      (name) => rows.map((r) => r[name] ?? null) as ColumnValues,
      rows.length,
    );
  } finally {
    appender.closeSync();
  }
}
