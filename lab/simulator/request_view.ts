/**
 * A provider-neutral view of a model API request, as the script needs it: which API, which
 * tools the client offered, how many model turns its history already holds, the tool results
 * it sends back, whether it asks for JSON output, and the working directory it mentions.
 * Each provider module fills one in from its own request body.
 */

import type { Provider } from "../../analysis/llm/route.ts";

/** The wire APIs the server speaks (the analysis reads the same). */
export type { Provider };

/** A tool the client declared in its request. */
export interface OfferedTool {
  name: string;
  /**
   * "custom": free-form input (OpenAI custom tools such as Codex's apply_patch grammar);
   * "tool_search": the Responses API's client-executed tool search, behind which Codex defers
   * MCP tools.
   */
  kind: "function" | "custom" | "tool_search";
  /** Its JSON schema for arguments, when declared. */
  parameters?: unknown;
  /** The namespace it was declared in (Responses API namespaces, e.g. a deferred MCP server). */
  namespace?: string;
}

/** A tool result the client sent back. */
export interface ToolResultView {
  /** The result as text (content blocks joined; JSON responses stringified). */
  text: string;
  callId?: string;
  name?: string;
  isError?: boolean;
}

export interface RequestView {
  provider: Provider;
  /** The model named in the body or, for Gemini, in the path. */
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
  /** The last plain user text (not a tool result). */
  lastUserText?: string;
}

/** Joins text blocks (`{type:"text",text}` or strings) into one string. */
export function blocksText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) {
    return content === undefined ? "" : JSON.stringify(content);
  }
  return content.map((b) => {
    if (typeof b === "string") return b;
    if (b && typeof b === "object" && "text" in b) {
      return String((b as { text: unknown }).text);
    }
    return "";
  }).join("");
}

/** The working directory the agent's request mentions (each agent tells the model). */
export function findCwd(texts: string[]): string | undefined {
  const patterns = [
    /Primary working directory: (\/[^\n]*)/, // Claude Code
    /<cwd>(\/[^<]*)<\/cwd>/, // Codex
    /Workspace Directories:\*\*\n\s*- (\/[^\n]*)/, // Gemini CLI
    /working in the directory: (\/[^\n]*)/, // older Gemini CLI
  ];
  for (const p of patterns) {
    for (const t of texts) {
      const m = p.exec(t);
      if (m) return m[1].trim();
    }
  }
  return undefined;
}
