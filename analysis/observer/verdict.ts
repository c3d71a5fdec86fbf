/**
 * Reading the observer's answer: the JSON object it was asked for, taken from the text even
 * when wrapped in a code fence or prose, and checked field by field. A bad answer is an error
 * with one line saying what is wrong, never a crash.
 */
import { CATEGORIES, type Category } from "./prompt.ts";

export interface Verdict {
  risk: number;
  category: Category;
  explanation: string;
  evidence: string[];
}

export class MalformedVerdict extends Error {}

/** The first balanced `{...}` object in the text (strings respected). */
export function extractJsonObject(text: string): string | null {
  const start = text.indexOf("{");
  if (start < 0) return null;
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === "{") depth++;
    else if (ch === "}" && --depth === 0) return text.slice(start, i + 1);
  }
  return null;
}

const ID = /^(tool_call|llm_call|mcp_call|process|file|net|finding):\d+$/;

/** Parses and checks a verdict; throws MalformedVerdict with one line. */
export function parseVerdict(text: string): Verdict {
  const json = extractJsonObject(text);
  if (json === null) throw new MalformedVerdict("the answer holds no JSON object");
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(json);
  } catch (e) {
    throw new MalformedVerdict(`the answer's JSON does not parse: ${(e as Error).message}`);
  }
  const risk = typeof v.risk === "string" ? Number(v.risk) : v.risk;
  if (typeof risk !== "number" || !Number.isInteger(risk) || risk < 1 || risk > 5) {
    throw new MalformedVerdict(
      `risk must be a whole number from 1 to 5, got ${JSON.stringify(v.risk)}`,
    );
  }
  const category = typeof v.category === "string" ? v.category.trim().toLowerCase() : "";
  if (!(CATEGORIES as readonly string[]).includes(category)) {
    throw new MalformedVerdict(
      `category must be one of ${CATEGORIES.join(", ")}, got ${JSON.stringify(v.category)}`,
    );
  }
  if (typeof v.explanation !== "string" || !v.explanation.trim()) {
    throw new MalformedVerdict("explanation must be a non-empty string");
  }
  const evidence = v.evidence ?? [];
  if (!Array.isArray(evidence) || evidence.some((e) => typeof e !== "string")) {
    throw new MalformedVerdict("evidence must be a list of ids");
  }
  const bad = (evidence as string[]).find((e) => !ID.test(e.trim()));
  if (bad !== undefined) {
    throw new MalformedVerdict(`evidence id ${JSON.stringify(bad)} is not table:number`);
  }
  return {
    risk,
    category: category as Category,
    explanation: v.explanation.trim(),
    evidence: (evidence as string[]).map((e) => e.trim()),
  };
}
