/**
 * Prints query results for people and programs: an aligned text table, CSV (RFC 4180 quoting)
 * or JSON (an array of objects). Big integers print exactly; blobs print as their UTF-8 text
 * when they are text, else as `<N bytes>` (table) or base64 (CSV, JSON). CSV and JSON can be
 * written as the rows come (`streamResult`), a chunk at a time, so an answer of millions of rows
 * never needs its size in memory; the table needs every row first (to align its columns).
 * The table is for a terminal: control and bidi characters in its cells (a file name holding
 * `ESC]52;`, say) are shown as escapes (kit/control_chars.ts), never written raw; CSV and JSON
 * keep the text exact (JSON escapes C0 controls itself).
 */
import { showControls } from "../kit/control_chars.ts";

export type OutputFormat = "table" | "csv" | "json";

export interface ResultSet {
  columns: string[];
  rows: unknown[][];
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function blobText(b: Uint8Array, format: OutputFormat): string {
  try {
    return utf8.decode(b);
  } catch {
    if (format === "table") return `<${b.length} bytes>`;
    let s = "";
    for (let i = 0; i < b.length; i += 0x8000) {
      s += String.fromCharCode(...b.subarray(i, i + 0x8000));
    }
    return `base64:${btoa(s)}`;
  }
}

/** A plain JS value for output: bigint, blobs, lists and structs made printable. */
export function plain(v: unknown, format: OutputFormat): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") {
    return format === "json" && Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  }
  if (v instanceof Uint8Array) return blobText(v, format);
  if (Array.isArray(v)) return v.map((x) => plain(x, format));
  if (typeof v === "object") {
    const o = v as Record<string, unknown>;
    if ("bytes" in o && o.bytes instanceof Uint8Array) return blobText(o.bytes, format);
    if ("items" in o && Array.isArray(o.items)) return o.items.map((x) => plain(x, format));
    if ("entries" in o && typeof o.entries === "object") return plain(o.entries, format);
    const s = String(v);
    if (s !== "[object Object]") return s;
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, plain(x, format)]));
  }
  return v;
}

function cellText(v: unknown): string {
  if (v === null) return "";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

function csvCell(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** The formats whose text can be written as the rows come. */
export type StreamFormat = "csv" | "json";

/**
 * Text of CSV or JSON written in pieces: `head` before any row, `rows(chunk)` for each chunk of
 * rows in turn, `tail` after the last; together they are exactly `formatResult`'s text.
 */
function pieces(columns: string[], format: StreamFormat) {
  let n = 0;
  if (format === "csv") {
    return {
      head: () => columns.map(csvCell).join(",") + "\r\n",
      rows: (chunk: unknown[][]) => {
        let text = "";
        for (const row of chunk) {
          text += row.map((v) => csvCell(cellText(plain(v, format)))).join(",") + "\r\n";
        }
        return text;
      },
      tail: () => "",
    };
  }
  // JSON.stringify(objects, null, 2), an object at a time: each indented by two spaces
  return {
    head: () => "",
    rows: (chunk: unknown[][]) => {
      let text = "";
      for (const row of chunk) {
        const obj = Object.fromEntries(columns.map((c, i) => [c, plain(row[i], format)]));
        text += (n++ === 0 ? "[\n" : ",\n") +
          JSON.stringify(obj, null, 2).replaceAll("\n", "\n  ").replace(/^/, "  ");
      }
      return text;
    },
    tail: () => (n === 0 ? "[]\n" : "\n]\n"),
  };
}

/**
 * Writes a result in CSV or JSON as its rows come, chunk by chunk, through `out`; returns the
 * number of rows. The same text as `formatResult` of the whole.
 */
export async function streamResult(
  columns: string[],
  chunks: AsyncIterable<unknown[][]> | Iterable<unknown[][]>,
  format: StreamFormat,
  out: (text: string) => void,
): Promise<number> {
  const p = pieces(columns, format);
  let rows = 0;
  out(p.head());
  for await (const chunk of chunks) {
    rows += chunk.length;
    const text = p.rows(chunk);
    if (text) out(text);
  }
  out(p.tail());
  return rows;
}

export function formatResult(r: ResultSet, format: OutputFormat, maxWidth = 60): string {
  if (format === "json" || format === "csv") {
    const p = pieces(r.columns, format);
    return p.head() + p.rows(r.rows) + p.tail();
  }
  const rows = r.rows.map((row) => row.map((v) => plain(v, format)));
  const clip = (s: string) => {
    const one = showControls(s.replace(/\s+/g, " "));
    return one.length > maxWidth ? one.slice(0, maxWidth - 1) + "…" : one;
  };
  const cells = rows.map((row) => row.map((v) => clip(cellText(v))));
  // a loop, not Math.max(...column): spread as arguments, a column of ~125k rows overflows the
  // stack ("Maximum call stack size exceeded": a big answer printed nothing)
  const columns = r.columns.map(showControls);
  const widths = columns.map((c) => c.length);
  for (const row of cells) {
    for (let i = 0; i < widths.length; i++) widths[i] = Math.max(widths[i], row[i].length);
  }
  const numeric = r.columns.map((_, i) =>
    rows.length > 0 &&
    rows.every((row) =>
      row[i] === null || typeof row[i] === "number" || /^-?\d+(\.\d+)?$/.test(String(row[i]))
    )
  );
  const line = (vals: string[]) =>
    vals.map((v, i) => numeric[i] ? v.padStart(widths[i]) : v.padEnd(widths[i])).join("  ")
      .trimEnd();
  const out = [line(columns), widths.map((w) => "-".repeat(w)).join("  ")];
  for (const row of cells) out.push(line(row));
  out.push(`(${rows.length} row${rows.length === 1 ? "" : "s"})`);
  return out.join("\n") + "\n";
}
