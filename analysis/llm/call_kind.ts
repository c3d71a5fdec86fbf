/**
 * Tells an agent's real conversation turns ("main" calls) from its side calls: a warm-up that
 * asks for no output (OpenAI Responses `generate: false`), a request that asks for structured
 * JSON output (the Gemini CLI's router with `complexity_score`, its next-speaker and loop
 * checks, any other schema) or that offers no tools (title and summary calls). Judged from
 * the request alone.
 */
import { isObj, type RequestInfo } from "./shapes.ts";

export interface CallKind {
  kind: "main" | "side";
  side?:
    | "router"
    | "next-speaker"
    | "loop-check"
    | "structured"
    | "title"
    | "no-tools"
    | "warmup";
}

function schemaProps(schema: unknown): string[] {
  return isObj(schema) && isObj(schema.properties) ? Object.keys(schema.properties) : [];
}

export function callKind(req: RequestInfo): CallKind {
  if (req.warmup) return { kind: "side", side: "warmup" };
  if (req.wantsJson) {
    const props = schemaProps(req.jsonSchema);
    if (props.includes("complexity_score") || props.includes("model_choice")) {
      return { kind: "side", side: "router" };
    }
    if (props.includes("next_speaker")) return { kind: "side", side: "next-speaker" };
    if (props.some((p) => p.startsWith("unproductive_state"))) {
      return { kind: "side", side: "loop-check" };
    }
    return { kind: "side", side: "structured" };
  }
  if (req.toolsOffered === 0) {
    return {
      kind: "side",
      side: /\btitle\b/i.test(req.leadText.slice(0, 2000)) ? "title" : "no-tools",
    };
  }
  return { kind: "main" };
}

/** The agent a request comes from, by its User-Agent. */
export function agentOf(userAgent: string | undefined): string | null {
  if (!userAgent) return null;
  if (/claude-cli|claude-code/i.test(userAgent)) return "claude-code";
  if (/gemini-?cli/i.test(userAgent)) return "gemini-cli";
  if (/codex/i.test(userAgent)) return "codex";
  if (/^opencode\//i.test(userAgent)) return "opencode";
  if (/QwenCode|qwen-code/i.test(userAgent)) return "qwen-code";
  return null;
}
