/**
 * Tells the scripted conversation's real turns ("main" requests) apart from the side requests
 * agents make around it, so that only real turns advance the script: Claude Code's title or
 * summary calls (no tools), the Gemini CLI's router, next-speaker and loop checks (structured
 * JSON output), and any request that offers no tools. Chat Completions requests are always
 * main, so a plain client (such as an observer using the `openai` SDK) follows the script;
 * so is every request of a "per-request" scenario.
 */

import { type CallKind, sideCallOf, type SideKind } from "../../analysis/llm/call_kind.ts";
import type { RequestView } from "./request_view.ts";

/** What a request is, for the script and the logs. */
export type RequestKind = "main" | "side" | "probe" | "other";

/** Which side request it is, when known; a main turn or a side request. */
export type { CallKind as Classification, SideKind };

/**
 * Classifies a model API request. With `everyRequestIsMain` (a "per-request" scenario) every
 * request is a turn of the script.
 */
export function classifyRequest(
  view: RequestView,
  everyRequestIsMain = false,
): CallKind {
  // Chat Completions and Ollama's native API: no agent here sends them side requests
  if (view.provider === "openai-chat" || view.provider === "ollama" || everyRequestIsMain) {
    return { kind: "main" };
  }
  const side = sideCallOf({
    wantsJson: view.wantsJson,
    jsonSchema: view.jsonSchema,
    tools: view.tools.length,
    mentionsTitle: () => view.texts.some((t) => /\btitle\b/i.test(t.slice(0, 2000))),
  });
  return side ? { kind: "side", side } : { kind: "main" };
}
