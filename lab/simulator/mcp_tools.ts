/**
 * Maps a scenario's MCP tool action (`{mcp: SERVER, tool: TOOL, args}`) onto the tool the agent
 * offered for it. Each agent names MCP tools its own way: Claude Code `mcp__SERVER__TOOL`, the
 * Gemini CLI `mcp_SERVER_TOOL` (older builds `SERVER__TOOL` on a clash, else the bare tool name,
 * which is not matched: it cannot be told from a built-in tool of that name),
 * Codex a function `TOOL` inside the namespace `mcp__SERVER__` that its `tool_search` loads. When
 * the tool is deferred (not offered yet) but the client offers a client-side tool search, the
 * reply is that search instead, and the request after it carries the tool. Qwen Code (0.24)
 * keeps MCP tools deferred and hidden behind a bridge: a function `tool_call` taking the deferred
 * tool's exact `name` (`mcp__SERVER__TOOL`, its MCP naming) and its `arguments`
 * (`packages/core/src/tools/tool-call.ts`), which needs no search first: the call goes through it.
 */

import type { ToolCall } from "./reply.ts";
import type { OfferedTool } from "./request_view.ts";
import { ToolMappingError } from "./tool_mapping.ts";

/** The names an agent may give the tool TOOL of the MCP server SERVER, most specific first. */
export function mcpToolNames(server: string, tool: string): string[] {
  return [
    `mcp__${server}__${tool}`,
    `mcp_${server}_${tool}`,
    `${server}__${tool}`,
  ];
}

/**
 * A tool name as an agent may rewrite it: Codex gives the model MCP tools with every character
 * outside letters, digits and `_` replaced by `_` (`trigger-long-running-operation` is offered
 * as `trigger_long_running_operation`).
 */
const sanitized = (name: string) => name.replace(/[^A-Za-z0-9_]/g, "_");

/** Whether `offered` is SERVER's TOOL, under any agent's naming. */
function isMcpTool(offered: OfferedTool, server: string, tool: string): boolean {
  if (offered.kind !== "function") return false;
  if (offered.namespace !== undefined) {
    const full = `${offered.namespace}${offered.name}`;
    return full === `mcp__${server}__${tool}` ||
      full === sanitized(`mcp__${server}__${tool}`) ||
      ((offered.name === tool || offered.name === sanitized(tool)) &&
        offered.namespace.includes(server));
  }
  return mcpToolNames(server, tool).includes(offered.name);
}

/** A deferred-tool bridge's schema: the tool's `name` and its `arguments` object, both required. */
function isBridge(parameters: unknown): boolean {
  const p = parameters as { properties?: Record<string, { type?: unknown }>; required?: unknown };
  return p?.properties?.name?.type === "string" && p.properties.arguments?.type === "object" &&
    Array.isArray(p.required) && p.required.includes("name") && p.required.includes("arguments");
}

/**
 * The call for an MCP action: the offered tool (most specific name first), else a call through
 * the client's deferred-tool bridge, else a tool search for it when the client defers tools
 * behind one. Throws {@linkcode ToolMappingError} otherwise.
 */
export function mapMcpAction(
  action: { mcp: string; tool: string; args?: Record<string, unknown> },
  offered: OfferedTool[],
): ToolCall {
  const names = mcpToolNames(action.mcp, action.tool);
  const matches = offered.filter((t) => isMcpTool(t, action.mcp, action.tool));
  matches.sort((a, b) => rank(a) - rank(b));
  const hit = matches[0];
  if (hit) {
    return {
      name: hit.name,
      kind: "function",
      args: action.args ?? {},
      ...(hit.namespace !== undefined ? { namespace: hit.namespace } : {}),
    };
  }
  const bridge = offered.find((t) =>
    t.kind === "function" && t.name === "tool_call" && isBridge(t.parameters)
  );
  if (bridge) {
    return {
      name: bridge.name,
      kind: "function",
      args: { name: names[0], arguments: action.args ?? {} },
    };
  }
  const search = offered.find((t) => t.kind === "tool_search");
  if (search) {
    return {
      name: search.name,
      kind: "tool_search",
      args: { query: `${action.mcp} ${action.tool}`, limit: 8 },
    };
  }
  throw new ToolMappingError(
    `MCP tool ${action.tool} of server ${action.mcp} is not offered (looked for ${
      names.join(", ")
    }; offered: ${offered.map((t) => t.name).join(", ") || "none"})`,
  );

  function rank(t: OfferedTool): number {
    const i = names.indexOf(t.name);
    return t.namespace !== undefined ? 0 : i < 0 ? names.length : i;
  }
}
