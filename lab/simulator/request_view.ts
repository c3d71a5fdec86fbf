/**
 * A provider-neutral view of a model API request, as the script needs it: which API, which
 * tools the client offered, how many model turns its history already holds, the tool results
 * it sends back, whether it asks for JSON output, and the working directory it mentions.
 * It is read by the analysis' own request readers (analysis/llm: one reader per provider),
 * asked for the conversation, so that the server and the analysis read a request alike.
 */

import { requestOf } from "../../analysis/llm/read_call.ts";
import type { Provider } from "../../analysis/llm/route.ts";
import type { History, OfferedTool, ToolResultIn } from "../../analysis/llm/shapes.ts";
import type { Route } from "./routes.ts";

/** The wire APIs the server speaks (the analysis reads the same). */
export type { OfferedTool, Provider };

/** A tool result the client sent back. */
export type ToolResultView = ToolResultIn;

export interface RequestView {
  provider: Provider;
  /** The model named in the body or, for Gemini, Vertex and Bedrock, in the path. */
  model?: string;
  stream: boolean;
  /** Chat Completions: the client asked for a usage chunk at the end of the stream. */
  includeUsage?: boolean;
  tools: OfferedTool[];
  /** How many model (assistant) turns the conversation history holds. */
  assistantTurns: number;
  /** The tool results after the last model turn, in order. */
  toolResults: ToolResultView[];
  /** A JSON schema the client wants the answer to follow, if any. */
  jsonSchema?: unknown;
  /** True when the client asked for JSON output (schema or not). */
  wantsJson: boolean;
  /** Every text the request carries (system prompt and messages), for searching. */
  texts: string[];
  /**
   * Its first texts (system prompt and first messages) as the analysis reads them, for telling a
   * title request apart by the analysis' own rule (analysis/llm/call_kind.ts); a view made by
   * hand without it falls back to `texts`.
   */
  leadText?: string;
  /** The last plain user text (not a tool result). */
  lastUserText?: string;
  /** The provider-run tools it offers, by what they do (`web_search`, `code_execution`, ...). */
  hostedTools?: string[];
  /** Its history as the analysis hashes it (what earlier requests and answers it carries). */
  history?: History;
}

/** Reads a model call's request body (its route: the provider, endpoint and Gemini's model). */
export function inspectRequest(
  route: Pick<Route, "provider" | "endpoint" | "model" | "stream" | "platform">,
  body: Record<string, unknown>,
): RequestView {
  const { provider, endpoint, model, stream, platform } = route;
  if (!provider) throw new Error("not a model API request");
  const r = requestOf({ provider, endpoint, model, stream, platform }, body, {
    conversation: true,
  });
  const c = r.conversation ?? { tools: [], modelTurns: 0, texts: [] };
  return {
    provider,
    model: r.model,
    stream: r.stream === true,
    ...(c.includeUsage !== undefined ? { includeUsage: c.includeUsage } : {}),
    tools: c.tools,
    assistantTurns: c.modelTurns,
    toolResults: r.toolResults,
    jsonSchema: r.jsonSchema,
    wantsJson: r.wantsJson,
    texts: c.texts,
    leadText: r.leadText,
    lastUserText: c.lastUserText,
    hostedTools: c.hostedTools ?? [],
    ...(r.history ? { history: r.history } : {}),
  };
}

/** The working directory the agent's request mentions (each agent tells the model). */
export function findCwd(texts: string[]): string | undefined {
  const patterns = [
    /Primary working directory: (\/[^\n]*)/, // Claude Code
    /<cwd>(\/[^<]*)<\/cwd>/, // Codex
    /Workspace Directories:\*\*\n\s*- (\/[^\n]*)/, // Gemini CLI
    /working in the directory: (\/[^\n]*)/, // older Gemini CLI
    /^% pwd\n(\/[^\n]*)/m, // Factory Droid (the commands it ran at session start)
  ];
  for (const p of patterns) {
    for (const t of texts) {
      const m = p.exec(t);
      if (m) return m[1].trim();
    }
  }
  return undefined;
}
