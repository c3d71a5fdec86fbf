/**
 * Tells an agent's real conversation turns ("main" calls) from its side calls: a warm-up that
 * asks for no output (OpenAI Responses `generate: false`), a request that asks for structured
 * JSON output (the Gemini CLI's router with `complexity_score`, its next-speaker and loop
 * checks, any other schema) or that offers no tools (title and summary calls). Judged from
 * the request alone.
 */
import { isObj, type RequestInfo } from "./shapes.ts";

/** Which side call a request is. */
export type SideKind =
  | "router"
  | "next-speaker"
  | "loop-check"
  | "structured"
  | "title"
  | "no-tools"
  | "warmup";

export interface CallKind {
  kind: "main" | "side";
  side?: SideKind;
}

function schemaProps(schema: unknown): string[] {
  return isObj(schema) && isObj(schema.properties) ? Object.keys(schema.properties) : [];
}

/**
 * The side call a request is by what it asks for, or undefined for a main turn: the rules the
 * analysis and the scripted model server (lab/simulator/request_kind.ts) share. `tools`: how
 * many tools it offers; `mentionsTitle`: whether its first texts speak of a title.
 */
export function sideCallOf(req: {
  wantsJson: boolean;
  jsonSchema?: unknown;
  tools: number;
  mentionsTitle: () => boolean;
}): SideKind | undefined {
  if (req.wantsJson) {
    const props = schemaProps(req.jsonSchema);
    if (props.includes("complexity_score") || props.includes("model_choice")) return "router";
    if (props.includes("next_speaker")) return "next-speaker";
    if (props.some((p) => p.startsWith("unproductive_state"))) return "loop-check";
    return "structured";
  }
  if (req.tools === 0) return req.mentionsTitle() ? "title" : "no-tools";
  return undefined;
}

export function callKind(req: RequestInfo): CallKind {
  if (req.warmup) return { kind: "side", side: "warmup" };
  const side = sideCallOf({
    wantsJson: req.wantsJson,
    jsonSchema: req.jsonSchema,
    tools: req.toolsOffered,
    mentionsTitle: () => /\btitle\b/i.test(req.leadText.slice(0, 2000)),
  });
  return side ? { kind: "side", side } : { kind: "main" };
}

/** The agent a request comes from, by its User-Agent. */
export function agentOf(userAgent: string | undefined): string | null {
  if (!userAgent) return null;
  if (/claude-cli|claude-code/i.test(userAgent)) return "claude-code";
  if (/gemini-?cli/i.test(userAgent)) return "gemini-cli";
  if (/codex/i.test(userAgent)) return "codex";
  if (/^opencode\//i.test(userAgent)) return "opencode";
  if (/QwenCode|qwen-code/i.test(userAgent)) return "qwen-code";
  if (/^kilo\//i.test(userAgent)) return "kilo-code";
  if (/^factory-cli\//i.test(userAgent)) return "factory-droid";
  // Cline 3 and Grok CLI send only their SDK's User-Agent (ai-sdk/openai-compatible, OpenAI/JS)
  return null;
}
