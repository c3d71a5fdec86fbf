/**
 * Prints query results for people and programs: an aligned text table, CSV (RFC 4180 quoting)
 * or JSON (an array of objects). Big integers print exactly; blobs print as their UTF-8 text
 * when they are text, else as `<N bytes>` (table) or base64 (CSV, JSON).
 */

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

export function formatResult(r: ResultSet, format: OutputFormat, maxWidth = 60): string {
  const rows = r.rows.map((row) => row.map((v) => plain(v, format)));
  if (format === "json") {
    const objs = rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c, row[i]])));
    return JSON.stringify(objs, null, 2) + "\n";
  }
  if (format === "csv") {
    const lines = [r.columns.map(csvCell).join(",")];
    for (const row of rows) lines.push(row.map((v) => csvCell(cellText(v))).join(","));
    return lines.join("\r\n") + "\r\n";
  }
  const clip = (s: string) => {
    const one = s.replace(/\s+/g, " ");
    return one.length > maxWidth ? one.slice(0, maxWidth - 1) + "…" : one;
  };
  const cells = rows.map((row) => row.map((v) => clip(cellText(v))));
  // a loop, not Math.max(...column): spread as arguments, a column of ~125k rows overflows the
  // stack ("Maximum call stack size exceeded": a big answer printed nothing)
  const widths = r.columns.map((c) => c.length);
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
  const out = [line(r.columns), widths.map((w) => "-".repeat(w)).join("  ")];
  for (const row of cells) out.push(line(row));
  out.push(`(${rows.length} row${rows.length === 1 ? "" : "s"})`);
  return out.join("\n") + "\n";
}
