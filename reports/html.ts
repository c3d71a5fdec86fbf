/**
 * Safe HTML from untrusted text: prompts, answers, commands and paths contain anything, so
 * every piece of text that goes into the page passes through `escapeHtml` (element content
 * and attribute values alike), and JSON embedded in a `<script>` block through `scriptJson`.
 * The `h` tag builds markup from a template with its values escaped.
 */

import { showControls } from "../kit/control_chars.ts";

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * Escapes text for HTML element content and quoted attribute values; its control and bidi
 * characters are shown as escapes (kit/control_chars.ts): a browser draws ESC or BEL as
 * nothing, and U+202E would show a command or path reversed.
 */
export function escapeHtml(text: string): string {
  return showControls(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** Markup that is already safe (built by `h` or by this module). */
export class Html {
  constructor(readonly html: string) {}
  toString(): string {
    return this.html;
  }
}

export type HtmlValue = Html | string | number | boolean | null | undefined | HtmlValue[];

function render(v: HtmlValue): string {
  if (v === null || v === undefined || v === false) return "";
  if (v instanceof Html) return v.html;
  if (Array.isArray(v)) return v.map(render).join("");
  return escapeHtml(String(v));
}

/** A template tag: literal parts are markup, values are escaped (unless they are `Html`). */
export function h(parts: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = parts[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + parts[i + 1];
  return new Html(out);
}

/** Joins pieces of markup. */
export function join(items: HtmlValue[], sep = ""): Html {
  return new Html(items.map(render).join(sep));
}

/**
 * JSON for a `<script type="application/json">` block: `<`, `>`, `&` and the line separators
 * are written as \u escapes, so no text inside can end the script element.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * JavaScript source to inline in a `<script>` element: any `</script` inside it (in a string
 * or a comment of a bundled library) is written `<\/script`, which means the same in JS.
 * Source holding `<!--` is refused: HTML parses script text after it differently, and no
 * rewrite of it is safe in every JS context.
 */
export function inlineScript(source: string): string {
  if (source.includes("<!--")) throw new Error("script source holds <!--: cannot inline it");
  return source.replace(/<\/(script)/gi, "<\\/$1");
}
