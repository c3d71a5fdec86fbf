/**
 * Recorded text shown to a person: a file name, a command line, a prompt or a host name is the
 * agent's (or its model's) choice and may hold characters that act instead of being seen. A
 * terminal runs ESC sequences (`ESC]52;` writes the clipboard, `ESC[2J` clears the screen,
 * `ESC]8;` makes a hidden link), a bidi override (U+202E) reverses what follows so `evil‮txt.exe`
 * reads `evilexe.txt`, and XML (an SVG chart) cannot hold C0 controls at all: the whole file
 * is refused by its reader.
 *
 * Other characters hide: zero-width ones (U+200B, U+2060, U+FEFF), the soft hyphen, tag
 * characters (U+E0000-U+E007F, an invisible copy of ASCII), Hangul fillers (U+3164) and the
 * interlinear annotation marks (U+FFF9-U+FFFB) make two names that look alike differ, or hide
 * words; U+2028 and U+2029 break a line in some viewers; a lone surrogate is no character.
 *
 * `showControls` writes each such character as its escape, visible and inert. They are chosen
 * by Unicode property, not listed: the controls (Cc) other than tab, line feed and carriage
 * return, surrogates (Cs), the line and paragraph separators (Zl, Zp), the default ignorable
 * code points (which hold the bidi controls U+061C, U+200E-U+200F, U+202A-U+202E, U+2066-U+2069,
 * the zero-width characters, variation selectors, tags and fillers), the noncharacters, and
 * U+FFF9-U+FFFB. A zero width joiner between two pictographs and a variation selector 16 after
 * one (or before a keycap, U+20E3) are kept: they build the emoji shown (woman technologist,
 * red heart, keycap one). The escape
 * is `\xNN` up to U+00FF, `\uNNNN` up to U+FFFF, `\u{XXXXX}` above. Everything else, including
 * tab and line breaks (the caller lays them out), is kept; text without such characters is
 * returned unchanged, and the function is idempotent. The data outputs (CSV, JSON, Parquet,
 * OTLP, the tables) keep the text exact; this is for what is shown.
 */

// Kept: tab and line breaks; a ZWJ inside an emoji sequence; VS16 after a pictograph or
// before a keycap. Everything else of the classes below is escaped.
const KEPT = String.raw`(?![\t\n\r])` +
  String
    .raw`(?!(?<=\p{Extended_Pictographic}[\p{Emoji_Modifier}\uFE0F]?)\u200D(?=\p{Extended_Pictographic}))` +
  String.raw`(?!(?<=\p{Extended_Pictographic})\uFE0F|\uFE0F(?=\u20E3))`;
const CONTROLS = new RegExp(
  KEPT +
    String
      .raw`[\p{Cc}\p{Cs}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\p{Noncharacter_Code_Point}\uFFF9-\uFFFB]`,
  "gu",
);

function escapeOf(c: string): string {
  const n = c.codePointAt(0)!;
  const h = n.toString(16);
  return n <= 0xff
    ? `\\x${h.padStart(2, "0")}`
    : n <= 0xffff
    ? `\\u${h.padStart(4, "0")}`
    : `\\u{${h}}`;
}

/** The text with every control, bidi and hidden character written as its visible escape. */
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

/**
 * Text of several lines for a terminal (a log message): `showControls`, and a carriage return
 * written `\r` (it would move back and overwrite the start of the line); line feeds are kept.
 */
export function showLines(text: string): string {
  return showControls(text).replace(/\r/g, "\\r");
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
