/**
 * Maps a scenario's MCP tool action (`{mcp: SERVER, tool: TOOL, args}`) onto the tool the agent
 * offered for it. Each agent names MCP tools its own way: Claude Code `mcp__SERVER__TOOL`, the
 * Gemini CLI `mcp_SERVER_TOOL` (older builds, and Qwen Code 0.1, `SERVER__TOOL` on a clash with a
 * tool already registered, else the bare tool name: their `mcp-client.ts`). A bare name is
 * taken last, and only when the scenario's arguments fit the offered tool's schema (each one a
 * declared property, each required property given): a built-in tool of that name would have
 * pushed the MCP tool to `SERVER__TOOL`, so a bare name that fits is the MCP tool, and one that
 * does not (the server never connected, a built-in of another shape) is not called.
 * Codex a function `TOOL` inside the namespace `mcp__SERVER__` that its `tool_search` loads,
 * opencode `SERVER_TOOL`, GitHub Copilot CLI `SERVER-TOOL` (1.0.102: `fs-write_file`). When
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
    `${server}_${tool}`,
    `${server}-${tool}`,
  ];
}

/**
 * A tool name as an agent may rewrite it: Codex gives the model MCP tools with every character
 * outside letters, digits and `_` replaced by `_` (`trigger-long-running-operation` is offered
 * as `trigger_long_running_operation`; before its tool namespaces, as 0.120.0 does, the whole
 * name: `mcp__ev__gzip_file_as_resource`).
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
  // Codex before its tool namespaces (0.120.0): `mcp__SERVER__TOOL`, sanitized the same way
  return mcpToolNames(server, tool).some((n) =>
    n === offered.name || sanitized(n) === offered.name
  );
}

/** The offered tool named TOOL bare whose schema the action's arguments fit, if any. */
function bareFit(
  action: { tool: string; args?: Record<string, unknown> },
  offered: OfferedTool[],
): OfferedTool | undefined {
  const args = action.args ?? {};
  return offered.find((t) => {
    if (t.kind !== "function" || t.namespace !== undefined) return false;
    if (t.name !== action.tool && t.name !== action.tool.replace(/[^A-Za-z0-9_.-]/g, "_")) {
      return false;
    }
    const p = t.parameters as { properties?: Record<string, unknown>; required?: unknown };
    const props = p?.properties;
    if (!props || typeof props !== "object") return false;
    const required = Array.isArray(p.required) ? p.required : [];
    return Object.keys(args).every((k) => k in props) && required.every((k) => k in args);
  });
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
 * behind one, else the tool offered under its bare name when the arguments fit its schema. Throws {@linkcode ToolMappingError} otherwise.
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
  const bare = bareFit(action, offered);
  if (bare) return { name: bare.name, kind: "function", args: action.args ?? {} };
  throw new ToolMappingError(
    `MCP tool ${action.tool} of server ${action.mcp} is not offered (looked for ${
      names.join(", ")
    }, or ${action.tool} with a schema its arguments fit; offered: ${
      offered.map((t) => t.name).join(", ") || "none"
    })`,
  );

  function rank(t: OfferedTool): number {
    const i = names.indexOf(t.name);
    return t.namespace !== undefined ? 0 : i < 0 ? names.length : i;
  }
}
