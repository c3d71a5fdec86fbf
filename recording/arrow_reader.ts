/**
 * Reads Arrow stream files back with apache-arrow, row by row (tests, small recordings):
 * a file cut short (a capture killed or out of disk mid-write) gives the batches before the
 * damage and says what stopped the reading.
 */
import * as arrow from "apache-arrow";
import { cutAtDamagedHeader } from "./arrow_header.ts";

/**
 * Reads the rows of an Arrow stream file, batch by batch, tolerating a cut-off end (a capture
 * killed or out of disk mid-write): the batches before the damage are returned, and
 * `damaged` says what stopped the reading.
 */
export function readArrowFile(path: string): {
  rows: Record<string, unknown>[];
  batches: number;
  damaged?: string;
} {
  const rows: Record<string, unknown>[] = [];
  let batches = 0;
  let damaged: string | undefined;
  let fault: string | null = null;
  try {
    // a damaged header would have apache-arrow loop on it: read up to it, then say it
    const cut = cutAtDamagedHeader(Deno.readFileSync(path));
    fault = cut.fault;
    const reader = arrow.RecordBatchReader.from(cut.bytes);
    for (const batch of reader) {
      // a damaged count would have this loop make objects without end: every column but a
      // Null one must hold the batch's rows in its buffers
      const short = batch.schema.fields.find((f) =>
        !holds(batch.getChild(f.name)!.data[0], batch.numRows)
      );
      if (short) {
        throw new Error(`a batch of ${batch.numRows} rows whose column ${short.name} holds fewer`);
      }
      batches++;
      const fields = batch.schema.fields;
      for (let i = 0; i < batch.numRows; i++) {
        const o: Record<string, unknown> = {};
        for (const f of fields) {
          const v = batch.getChild(f.name)!.get(i);
          o[f.name] = v instanceof arrow.Vector ? [...v] : v;
        }
        rows.push(o);
      }
    }
  } catch (e) {
    damaged = (e as Error).message;
  }
  damaged ??= fault ?? undefined;
  return { rows, batches, ...(damaged ? { damaged } : {}) };
}

/**
 * Whether `d` (one column of a batch) holds `n` rows in its buffers: its validity, offsets or
 * values reach that far. A Null column has no buffers and holds any number.
 */
function holds(d: arrow.Data, n: number): boolean {
  if (n === 0 || arrow.DataType.isNull(d.type)) return true; // (an empty batch may omit buffers)
  const end = d.offset + n;
  if (d.length < n) return false;
  if (d.nullBitmap?.length && d.nullBitmap.length * 8 < end) return false;
  if (d.valueOffsets) return d.valueOffsets.length >= end + 1;
  if (arrow.DataType.isBool(d.type)) return (d.values?.length ?? 0) * 8 >= end;
  if (d.values) return d.values.length >= end * d.stride;
  return d.children.every((c) => holds(c, n)); // a struct: its fields
}

/** The rows of an Arrow stream file; throws if the file is damaged. */
export function readArrowRows(path: string): Record<string, unknown>[] {
  const r = readArrowFile(path);
  if (r.damaged) throw new Error(`${path}: ${r.damaged}`);
  return r.rows;
}
