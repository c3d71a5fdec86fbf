/**
 * Reads a recording's Arrow IPC stream files into plain column arrays, batch by batch, and
 * checks them against the capture table declarations. A damaged file (cut short, corrupt) gives
 * the batches before the damage plus a one-line description of what is wrong; a column that is
 * missing or of the wrong type makes the whole file unusable (said the same way).
 */
import * as arrow from "apache-arrow";
import type { ColType, TableDef } from "../kit/columns.ts";
import { cutAtDamagedHeader } from "./arrow_header.ts";

/** One column's values: typed arrays for the fixed-width types, arrays otherwise. */
export type ColumnValues =
  | BigInt64Array
  | Int32Array
  | Float64Array
  | (bigint | null)[]
  | (number | null)[]
  | (boolean | null)[]
  | (string | null)[]
  | (Uint8Array | null)[]
  | (string[] | null)[];

/** A table's rows as columns, in the declaration's column order. */
export interface Columns {
  length: number;
  /** by column name */
  values: Record<string, ColumnValues>;
}

export interface ArrowRead {
  columns: Columns;
  batches: number;
  /** what stopped the reading, if the file is damaged */
  damaged?: string;
  /**
   * the damage is inside a batch (its buffers do not hold its rows) or a message header, not a
   * file cut short
   */
  corrupt?: boolean;
}

const ARROW_TYPE: Record<ColType, (t: arrow.DataType) => boolean> = {
  int64: (t) => arrow.DataType.isInt(t) && t.bitWidth === 64,
  int32: (t) => arrow.DataType.isInt(t) && t.bitWidth === 32,
  float64: (t) => arrow.DataType.isFloat(t),
  bool: (t) => arrow.DataType.isBool(t),
  utf8: (t) => arrow.DataType.isUtf8(t) || arrow.DataType.isLargeUtf8(t),
  json: (t) => arrow.DataType.isUtf8(t),
  binary: (t) => arrow.DataType.isBinary(t) || arrow.DataType.isLargeBinary(t),
  list_utf8: (t) => arrow.DataType.isList(t),
};

/**
 * Why rows [base, base+n) of `d` cannot be read as `type` without reading outside its buffers,
 * or null when they can: a batch cut short or with a flipped bit in its header decodes (Arrow's
 * reader clamps each buffer to the body it has) with buffers too short for its rows, or offsets
 * past its data or falling back (the format requires them to rise). Reading such a batch gives
 * made-up values here and, where the loader hands DuckDB addresses inside the buffers
 * (`analysis/arrow_load.ts`), a crash; both readers call it the same damage.
 */
export function bufferFault(type: ColType, d: arrow.Data, n: number, base = 0): string | null {
  if (n === 0) return null; // nothing is read (the buffers of an empty batch may be empty)
  if (d.length < base + n) return `${d.length} values for ${base + n} rows`;
  const start = d.offset + base;
  const end = start + n;
  const bm = d.nullBitmap;
  if (bm && bm.length > 0 && d.nullCount !== 0 && bm.length * 8 < end) {
    return "validity bitmap shorter than its rows";
  }
  if (type === "int64" || type === "int32" || type === "float64") {
    return (d.values as ArrayLike<unknown>).length < end ? "values shorter than its rows" : null;
  }
  if (type === "bool") {
    return (d.values as Uint8Array).length * 8 < end ? "values shorter than its rows" : null;
  }
  const offs = d.valueOffsets as Int32Array | BigInt64Array; // 64-bit for the large types
  if (!offs || offs.length < end + 1) return "offsets shorter than its rows";
  const within = type === "list_utf8" ? d.children[0].length : (d.values as Uint8Array).length;
  const [first, last] = [Number(offs[start]), Number(offs[end])];
  if (first < 0 || last > within) return "offsets outside its data";
  for (let i = start; i < end; i++) {
    if (offs[i + 1] < offs[i]) return "offsets that fall back";
  }
  if (type !== "list_utf8") return null;
  // the strings the lists hold: the child's rows [first, last)
  const fault = bufferFault("utf8", d.children[0], last - first, first);
  return fault && `its strings' ${fault}`;
}

/**
 * The batches left out of a file for `bufferFault`s: the framing of an IPC stream does not
 * depend on what a batch's buffers hold, so the batches after a damaged one are read on.
 */
export class SkippedBatches {
  batches = 0;
  rows = 0;
  /** rows read before the first one left out, and why it was */
  first?: { after: number; why: string };

  /** The fault of a batch of `numRows` as table `def` (`data`: column j's, null if not read). */
  static faultOf(
    def: TableDef,
    numRows: number,
    data: (j: number) => arrow.Data | null,
  ): string | null {
    for (const [j, c] of def.columns.entries()) {
      const d = data(j);
      const why = d && bufferFault(c.type, d, numRows);
      if (why) return `column ${c.name}: ${why}`;
    }
    return null;
  }

  add(rows: number, readBefore: number, why: string): void {
    this.batches++;
    this.rows += rows;
    this.first ??= { after: readBefore, why };
  }

  /** In one line, with what else stopped the reading (`then`); undefined when none. */
  said(then?: string): string | undefined {
    if (!this.first) return then;
    const left = `${this.rows} row${this.rows === 1 ? "" : "s"} in ${this.batches} ` +
      `batch${this.batches === 1 ? "" : "es"} left out, the first after ${this.first.after} ` +
      `rows (${this.first.why})`;
    return then ? `${left}; ${then}` : left;
  }
}

/** An empty set of columns for `def`. */
export function emptyColumns(def: TableDef): Columns {
  const values: Record<string, ColumnValues> = {};
  for (const c of def.columns) values[c.name] = [];
  return { length: 0, values };
}

function vectorValues(v: arrow.Vector, type: ColType, nullable: boolean): ColumnValues {
  if (!nullable && v.nullCount === 0) {
    if (type === "int64") return v.toArray() as BigInt64Array;
    if (type === "int32") return v.toArray() as Int32Array;
    if (type === "float64") return v.toArray() as Float64Array;
  }
  const n = v.length;
  const out = new Array(n);
  if (type === "list_utf8") {
    for (let i = 0; i < n; i++) {
      const x = v.get(i) as arrow.Vector | null;
      out[i] = x === null ? null : [...x] as string[];
    }
    return out;
  }
  for (let i = 0; i < n; i++) out[i] = v.get(i) ?? null;
  return out;
}

function concatColumn(parts: ColumnValues[], type: ColType): ColumnValues {
  if (parts.length === 1) return parts[0];
  const n = parts.reduce((s, p) => s + p.length, 0);
  if (parts.every((p) => p instanceof BigInt64Array)) {
    const out = new BigInt64Array(n);
    let o = 0;
    for (const p of parts as BigInt64Array[]) (out.set(p, o), o += p.length);
    return out;
  }
  if (parts.every((p) => p instanceof Int32Array)) {
    const out = new Int32Array(n);
    let o = 0;
    for (const p of parts as Int32Array[]) (out.set(p, o), o += p.length);
    return out;
  }
  const out: unknown[] = new Array(n);
  let o = 0;
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) out[o++] = p[i];
  }
  void type;
  return out as ColumnValues;
}

/**
 * Reads `bytes` (an Arrow IPC stream) as table `def`. Never throws for bad content: problems
 * come back in `damaged` (batches before the damage are kept) or as an error string.
 */
export function readArrowColumns(bytes: Uint8Array, def: TableDef): ArrowRead | { error: string } {
  const parts: Record<string, ColumnValues[]> = {};
  for (const c of def.columns) parts[c.name] = [];
  let length = 0;
  let batches = 0;
  let damaged: string | undefined;
  const skipped = new SkippedBatches();
  let reader: arrow.RecordBatchReader;
  const cut = cutAtDamagedHeader(bytes);
  if (cut.fault && cut.message === 0) return { error: `not an Arrow IPC stream (${cut.fault})` };
  try {
    reader = arrow.RecordBatchReader.from(cut.bytes);
    reader.open();
  } catch (e) {
    return { error: `not an Arrow IPC stream (${oneLine(e)})` };
  }
  try {
    if (!reader.schema) return { error: "not an Arrow IPC stream (no schema message)" };
    const absent = new Set<string>();
    for (const c of def.columns) {
      const f = reader.schema.fields.find((x) => x.name === c.name);
      if (!f && c.absent) {
        absent.add(c.name); // a file written before the column was added
        continue;
      }
      if (!f) return { error: `column ${c.name} is missing` };
      if (!ARROW_TYPE[c.type](f.type)) {
        return { error: `column ${c.name} has type ${f.type}, expected ${c.type}` };
      }
    }
    for (const batch of reader) {
      const fault = SkippedBatches.faultOf(
        def,
        batch.numRows,
        (j) =>
          absent.has(def.columns[j].name) ? null : batch.getChild(def.columns[j].name)!.data[0],
      );
      if (fault) {
        skipped.add(batch.numRows, length, fault);
        continue;
      }
      batches++;
      for (const c of def.columns) {
        parts[c.name].push(
          absent.has(c.name)
            ? new Array(batch.numRows).fill(c.absent!.value)
            : vectorValues(batch.getChild(c.name)!, c.type, c.nullable),
        );
      }
      length += batch.numRows;
    }
  } catch (e) {
    damaged = `damaged after ${length} rows (${oneLine(e)})`;
  }
  if (cut.fault && !damaged) damaged = `damaged after ${length} rows (${cut.fault})`;
  const values: Record<string, ColumnValues> = {};
  for (const c of def.columns) {
    values[c.name] = parts[c.name].length ? concatColumn(parts[c.name], c.type) : [];
  }
  damaged = skipped.said(damaged);
  return {
    columns: { length, values },
    batches,
    ...(damaged ? { damaged } : {}),
    ...(skipped.batches || cut.fault ? { corrupt: true } : {}),
  };
}

export function oneLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  const line = m.split("\n")[0].trim();
  return line.length > 200 ? line.slice(0, 200) + "…" : line;
}
