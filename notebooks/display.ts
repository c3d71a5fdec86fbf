/**
 * What a notebook cell shows: values that Jupyter displays (the Deno kernel calls the
 * `Symbol.for("Jupyter.display")` method of a cell's last value) — rows as a Markdown table,
 * Markdown text, and Vega-Lite charts rendered to SVG (headless, with `reports/vega.ts`), each
 * with a plain-text form for consoles and for the tests that read executed notebooks.
 */
import { renderSvg, type VegaLiteSpec } from "../reports/vega.ts";
import { showControls } from "../kit/control_chars.ts";

/** A value Jupyter shows through its MIME bundle. */
export interface Displayable {
  [key: symbol]: () => Record<string, string>;
}

export type Rows = Record<string, unknown>[];

const DISPLAY = Symbol.for("Jupyter.display");

function displayable(bundle: Record<string, string>): Displayable {
  return { [DISPLAY]: () => bundle };
}

/** A cell value as text: bigints as numbers, lists joined, long texts cut. */
export function cellText(v: unknown, max = 120): string {
  if (v === null || v === undefined) return "";
  let s: string;
  if (typeof v === "bigint") s = v.toString();
  else if (typeof v === "number") {
    s = Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  } else if (Array.isArray(v)) s = v.map((x) => cellText(x, max)).join(" ");
  else if (typeof v === "object") {
    const items = (v as { items?: unknown[] }).items;
    s = Array.isArray(items)
      ? items.map((x) => cellText(x, max)).join(" ")
      : JSON.stringify(v, (_k, x) => typeof x === "bigint" ? Number(x) : x);
  } else s = String(v);
  s = s.replace(/\s+/g, " ").trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/**
 * Recorded text as Markdown that shows it as it is: the characters Markdown or HTML would act
 * on (`<img onerror>` rendered or dropped by the sanitizer, `[text](url)` a link, `$x$` math,
 * `*`, `_`, backticks) backslash-escaped (CommonMark escapes any ASCII punctuation), and control
 * and bidi characters shown as escapes (kit/control_chars.ts).
 */
export function markdownText(s: string): string {
  return showControls(s).replace(/[\\`*_[\]<>&|~$]/g, "\\$&");
}

function rowsTable(
  rows: Rows,
  opts: { max?: number; columns?: string[] },
  esc: (s: string) => string,
): string {
  const max = opts.max ?? 50;
  if (!rows.length) return "_(no rows)_";
  const cols = opts.columns ?? Object.keys(rows[0]);
  const lines = [
    `| ${cols.map(esc).join(" | ")} |`,
    `| ${cols.map(() => "---").join(" | ")} |`,
    ...rows.slice(0, max).map((r) => `| ${cols.map((c) => esc(cellText(r[c]))).join(" | ")} |`),
  ];
  if (rows.length > max) lines.push("", `… ${rows.length - max} more rows`);
  return lines.join("\n");
}

/** Rows as a Markdown table (at most `max` rows; says how many more there are). */
export function markdownTable(rows: Rows, opts: { max?: number; columns?: string[] } = {}): string {
  return rowsTable(rows, opts, markdownText);
}

/** Shows rows as a table: Markdown, and the same table as plain text (only `|` escaped). */
export function table(rows: Rows, opts: { max?: number; columns?: string[] } = {}): Displayable {
  const plain = rowsTable(rows, opts, (s) => showControls(s).replaceAll("|", "\\|"));
  return displayable({ "text/markdown": markdownTable(rows, opts), "text/plain": plain });
}

/** Shows Markdown. */
export function markdown(text: string): Displayable {
  return displayable({ "text/markdown": text, "text/plain": text });
}

/** Shows a Vega-Lite chart (as SVG); the text form names the chart and its marks. */
export async function chart(spec: VegaLiteSpec): Promise<Displayable> {
  const svg = await renderSvg(spec);
  const marks = (svg.match(/role="graphics-symbol"/g) ?? []).length;
  const title = typeof spec.title === "string"
    ? spec.title
    : (spec.title as { text?: string } | undefined)?.text ?? "chart";
  return displayable({ "image/svg+xml": svg, "text/plain": `[chart: ${title}, ${marks} marks]` });
}

interface JupyterNamespace {
  display(value: unknown): Promise<void>;
}

/** How long `show` lets the kernel flush what it displayed before the cell goes on, ms. */
export const FLUSH_MS = 150;

/**
 * Shows values in the cell's output (Jupyter `display_data`). Notebooks show everything
 * through this rather than through a cell's last value, and it waits a moment afterwards: the
 * Deno kernel hands outputs to a task that publishes them and gives that task only a few
 * milliseconds before telling Jupyter the cell is done; on a busy machine a headless run
 * (nbconvert, which stops listening at "done") then loses them. Outside a kernel, prints the
 * text form.
 */
export async function show(...values: (Displayable | Promise<Displayable>)[]): Promise<void> {
  const jupyter = (Deno as unknown as { jupyter?: JupyterNamespace }).jupyter;
  for (const v of values) {
    const d = await v;
    if (jupyter) await jupyter.display(d);
    else console.log(d[DISPLAY]()["text/plain"]);
  }
  if (jupyter) await new Promise((resolve) => setTimeout(resolve, FLUSH_MS));
}
