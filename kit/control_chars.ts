/**
 * Recorded text shown to a person: a file name, a command line, a prompt or a host name is the
 * agent's (or its model's) choice and may hold characters that act instead of being seen. A
 * terminal runs ESC sequences (`ESC]52;` writes the clipboard, `ESC[2J` clears the screen,
 * `ESC]8;` makes a hidden link), a bidi override (U+202E) reverses what follows so `evil‮txt.exe`
 * reads `evilexe.txt`, and XML (an SVG chart) cannot hold C0 controls at all: the whole file
 * is refused by its reader.
 *
 * `showControls` writes each such character as its escape, visible and inert: a C0 control
 * other than tab, line feed and carriage return, DEL and the C1 controls as `\xNN`; the bidi
 * controls (U+061C, U+200E-U+200F, U+202A-U+202E, U+2066-U+2069) and the noncharacters
 * U+FFFE-U+FFFF as `\uNNNN`. Everything else, including tab and line breaks (the caller lays
 * them out), is kept; text without such characters is returned unchanged, and the function is
 * idempotent. The data outputs (CSV, JSON, Parquet, OTLP, the tables) keep the text exact;
 * this is for what is shown.
 */

const CONTROLS =
  // deno-lint-ignore no-control-regex
  /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufffe\uffff]/g;

function escapeOf(c: string): string {
  const n = c.charCodeAt(0);
  return n <= 0xff
    ? `\\x${n.toString(16).padStart(2, "0")}`
    : `\\u${n.toString(16).padStart(4, "0")}`;
}

/** The text with every control and bidi character written as its visible escape. */
export function showControls(text: string): string {
  return text.replace(CONTROLS, escapeOf);
}

/**
 * Text for one line of a terminal (a problem, a finding, a path in a summary): `showControls`,
 * and a line feed or carriage return written `\n`, `\r`, so recorded text cannot start a line
 * of its own that looks like the program's.
 */
export function showLine(text: string): string {
  return showControls(text).replace(/[\r\n]/g, (c) => c === "\n" ? "\\n" : "\\r");
}

/** A value (a chart spec, rows) with `showControls` applied to every string in it. */
export function showControlsIn<T>(value: T): T {
  if (typeof value === "string") return showControls(value) as T;
  if (Array.isArray(value)) return value.map(showControlsIn) as T;
  if (
    value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype
  ) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, showControlsIn(v)]),
    ) as T;
  }
  return value;
}
