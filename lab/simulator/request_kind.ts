/**
 * Tells the scripted conversation's real turns ("main" requests) apart from the side requests
 * agents make around it, so that only real turns advance the script: Claude Code's title or
 * summary calls (no tools), the Gemini CLI's router, next-speaker and loop checks (structured
 * JSON output), and any request that offers no tools. Chat Completions requests are always
 * main, so a plain client (such as an observer using the `openai` SDK) follows the script;
 * so is every request of a "per-request" scenario.
 */

import type { RequestView } from "./request_view.ts";

/** What a request is, for the script and the logs. */
export type RequestKind = "main" | "side" | "probe" | "other";

/** Which side request it is, when known. */
export type SideKind =
  | "router"
  | "next-speaker"
  | "loop-check"
  | "structured"
  | "title"
  | "no-tools"
  | "warmup";

export interface Classification {
  kind: "main" | "side";
  side?: SideKind;
}

function schemaProps(schema: unknown): string[] {
  const p = (schema as { properties?: Record<string, unknown> } | undefined)
    ?.properties;
  return p && typeof p === "object" ? Object.keys(p) : [];
}

/**
 * Classifies a model API request. With `everyRequestIsMain` (a "per-request" scenario) every
 * request is a turn of the script.
 */
export function classifyRequest(
  view: RequestView,
  everyRequestIsMain = false,
): Classification {
  if (view.provider === "openai-chat" || everyRequestIsMain) {
    return { kind: "main" };
  }
  if (view.wantsJson) {
    const props = schemaProps(view.jsonSchema);
    if (props.includes("complexity_score") || props.includes("model_choice")) {
      return { kind: "side", side: "router" };
    }
    if (props.includes("next_speaker")) {
      return { kind: "side", side: "next-speaker" };
    }
    if (props.some((p) => p.startsWith("unproductive_state"))) {
      return { kind: "side", side: "loop-check" };
    }
    return { kind: "side", side: "structured" };
  }
  if (view.tools.length === 0) {
    const title = view.texts.some((t) => /\btitle\b/i.test(t.slice(0, 2000)));
    return { kind: "side", side: title ? "title" : "no-tools" };
  }
  return { kind: "main" };
}
