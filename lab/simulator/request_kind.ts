/**
 * Tells the scripted conversation's real turns ("main" requests) apart from the side requests
 * agents make around it, so that only real turns advance the script: Claude Code's title or
 * summary calls (no tools), the Gemini CLI's router, next-speaker and loop checks (structured
 * JSON output), and any request that offers no tools. Chat Completions requests are always
 * main, so a plain client (such as an observer using the `openai` SDK) follows the script;
 * so is every request of a "per-request" scenario but the Gemini CLI's router, next-speaker
 * and loop checks (each by its own answer schema) and a title request (no tools, asking for a
 * title): an agent's checks and titles around its turns, never a turn (a per-request scenario
 * played on the Gemini CLI gave its router the first turn, on opencode its title request).
 */

import { type CallKind, sideCallOf, type SideKind } from "../../analysis/llm/call_kind.ts";
import type { RequestView } from "./request_view.ts";

/** What a request is, for the script and the logs. */
export type RequestKind = "main" | "side" | "probe" | "other";

/** Which side request it is, when known; a main turn or a side request. */
export type { CallKind as Classification, SideKind };

/** Side requests known by their answer's schema: an agent's checks, a turn of no script. */
const AGENT_CHECKS: ReadonlySet<SideKind> = new Set([
  "router",
  "next-speaker",
  "loop-check",
  "title",
]);

/**
 * Classifies a model API request. With `everyRequestIsMain` (a "per-request" scenario) every
 * request is a turn of the script but an agent's known checks (`AGENT_CHECKS`).
 */
export function classifyRequest(
  view: RequestView,
  everyRequestIsMain = false,
): CallKind {
  // Chat Completions and Ollama's native API: no agent here sends them side requests
  if (view.provider === "openai-chat" || view.provider === "ollama") return { kind: "main" };
  const side = sideCallOf({
    wantsJson: view.wantsJson,
    jsonSchema: view.jsonSchema,
    tools: view.tools.length,
    // the analysis' rule: the lead text (system prompt and first messages), not a later text
    // such as a summariser's quoted history
    mentionsTitle: () =>
      view.leadText !== undefined
        ? /\btitle\b/i.test(view.leadText.slice(0, 2000))
        : view.texts.some((t) => /\btitle\b/i.test(t.slice(0, 2000))),
  });
  if (everyRequestIsMain && !(side && AGENT_CHECKS.has(side))) return { kind: "main" };
  return side ? { kind: "side", side } : { kind: "main" };
}
