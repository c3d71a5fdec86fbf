/**
 * Makes a small deterministic JSON value that satisfies a JSON schema (OpenAPI-style upper-case
 * types too), for answering side requests that demand structured output — such as the Gemini
 * CLI's router (`complexity_score`) and next-speaker checks — without a script turn.
 * Known fields get answers that keep the agent on its normal path.
 */

type Schema = Record<string, unknown>;

/** Answers for fields whose meaning we know (Gemini CLI side requests). */
const KNOWN_FIELDS: Record<string, unknown> = {
  complexity_score: 1,
  complexity_reasoning: "Scripted scenario: a simple, explicit task.",
  next_speaker: "user",
  reasoning: "Scripted scenario.",
  model_choice: "flash",
  unproductive_state_confidence: 0,
  unproductive_state_analysis: "No loop: the scripted session makes progress.",
};

function typeOf(schema: Schema): string | undefined {
  const t = schema.type;
  const first = Array.isArray(t) ? t.find((x) => x !== "null") : t;
  return typeof first === "string" ? first.toLowerCase() : undefined;
}

/** A value for `schema`; `name` is the property it is for, if any. */
export function sampleFromSchema(
  schema: unknown,
  name?: string,
  depth = 0,
): unknown {
  if (name !== undefined && name in KNOWN_FIELDS) return KNOWN_FIELDS[name];
  if (typeof schema !== "object" || schema === null || depth > 8) return null;
  const s = schema as Schema;
  if ("const" in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  for (const key of ["anyOf", "oneOf", "allOf"]) {
    const alts = s[key];
    if (Array.isArray(alts) && alts.length > 0) {
      return sampleFromSchema(alts[0], name, depth + 1);
    }
  }
  switch (typeOf(s) ?? (s.properties ? "object" : undefined)) {
    case "object": {
      const props = (s.properties ?? {}) as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(props)) {
        out[k] = sampleFromSchema(v, k, depth + 1);
      }
      return out;
    }
    case "array": {
      const n = typeof s.minItems === "number" ? s.minItems : 0;
      return Array.from(
        { length: n },
        () => sampleFromSchema(s.items, undefined, depth + 1),
      );
    }
    case "string":
      return "scripted";
    case "integer":
    case "number":
      return typeof s.minimum === "number" ? s.minimum : 0;
    case "boolean":
      return false;
    case "null":
      return null;
    default:
      return null;
  }
}
