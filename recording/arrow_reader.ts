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
      // every row takes a bit of some buffer at least: more rows than the file has bits is a
      // damaged count, which would otherwise have this loop make objects without end
      if (batch.numRows > 8 * cut.bytes.length) {
        throw new Error(`a batch of ${batch.numRows} rows in ${cut.bytes.length} bytes`);
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

/** The rows of an Arrow stream file; throws if the file is damaged. */
export function readArrowRows(path: string): Record<string, unknown>[] {
  const r = readArrowFile(path);
  if (r.damaged) throw new Error(`${path}: ${r.damaged}`);
  return r.rows;
}
