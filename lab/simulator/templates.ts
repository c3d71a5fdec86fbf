/**
 * `{{name}}` placeholders in scenario strings, filled in when a turn is served: the tool result
 * the agent sent back (`tool_result`, and `tool_output` with the agent's wrapper removed), the
 * working directory (`workdir`), the user's prompt (`prompt`), page URLs (`pages.NAME.url`) and
 * variables given to the server. An unknown name is an error, never silently empty.
 */

/** A placeholder that has no value. */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TemplateError";
  }
}

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}/g;

/** Replaces every `{{name}}` in `text` with `vars[name]`. */
export function fillTemplate(
  text: string,
  vars: Record<string, string | undefined>,
): string {
  return text.replace(PLACEHOLDER, (_, name: string) => {
    const v = vars[name];
    if (v === undefined) {
      const known = Object.keys(vars).filter((k) => vars[k] !== undefined)
        .sort().join(", ");
      throw new TemplateError(
        `no value for {{${name}}} (known: ${known || "none"})`,
      );
    }
    return v;
  });
}

/** Fills placeholders in every string inside a JSON value. */
export function fillTemplatesDeep(
  value: unknown,
  vars: Record<string, string | undefined>,
): unknown {
  if (typeof value === "string") return fillTemplate(value, vars);
  if (Array.isArray(value)) return value.map((v) => fillTemplatesDeep(v, vars));
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, fillTemplatesDeep(v, vars)]),
    );
  }
  return value;
}
