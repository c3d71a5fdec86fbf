/**
 * Maps a scenario's abstract tool action (run a command, read a file, write a file, or call a
 * named tool) onto a tool the client actually offered in its request, with that tool's argument
 * shape: Claude Code `Bash`/`Read`/`Write` (Factory Droid: `Execute`/`Read`/`Create`; Continue
 * CLI: `Bash`/`Read`/`Write` with `filepath`), Gemini CLI and Qwen Code `run_shell_command`/
 * `read_file`/`write_file`, opencode `bash`/`read`/`write`, Codex `exec_command` (or
 * `shell_command`/`shell`) and `apply_patch`, GitHub Copilot CLI `bash`, `view` and
 * `apply_patch` (a custom tool over Chat Completions too; over Anthropic Messages `create
 * {path, file_text}`). File tools get their path under
 * whichever name the offered tool declares (`file_path`, `absolute_path`, `filePath`,
 * `filepath`, `path`). Tools that
 * take a list are filled with one item, as their schema declares it: a command in an array of
 * strings (Cline 3's `run_commands {commands}`), a path in an array of strings or of objects
 * with a path key (Cline 3's `read_files {files: [{path}]}`). When an agent has no read or
 * write tool the action falls back to a shell command. A property the tool's schema lists as
 * `required` that the action does not speak to gets the schema's `default`, or `false` when it
 * is a boolean (a flag left unset), as a model that honours the schema would send it (Qwen
 * Code 0.1's `run_shell_command` requires `is_background` and refuses the call without it); any
 * other required property is left out and the agent says so in its result.
 */

import { isAbsolute, resolve } from "node:path";
import { shellWord } from "../../kit/shell.ts";
import type { ToolCall } from "./reply.ts";
import type { OfferedTool } from "./request_view.ts";
import type { ToolAction } from "./scenario.ts";

/** The action cannot be expressed with the tools the client offered. */
export class ToolMappingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ToolMappingError";
  }
}

function find(
  offered: OfferedTool[],
  ...names: string[]
): OfferedTool | undefined {
  for (const n of names) {
    const t = offered.find((o) => o.name === n);
    if (t) return t;
  }
  return undefined;
}

function properties(tool: OfferedTool): Record<string, unknown> {
  const p = (tool.parameters as { properties?: Record<string, unknown> } | undefined)
    ?.properties;
  return p && typeof p === "object" ? p : {};
}

/**
 * `args` completed with what `tool`'s schema requires and they lack: its `default` when the
 * schema declares one, else `false` for a boolean; other required properties stay missing.
 */
export function withRequired(
  tool: OfferedTool,
  args: Record<string, unknown>,
): Record<string, unknown> {
  const required = (tool.parameters as { required?: unknown } | undefined)?.required;
  if (!Array.isArray(required)) return args;
  const props = properties(tool);
  const out = { ...args };
  for (const key of required) {
    if (typeof key !== "string" || key in out) continue;
    const schema = props[key] as { default?: unknown; type?: unknown } | undefined;
    if (schema && "default" in schema) out[key] = schema.default;
    else if (schema?.type === "boolean" || String(schema?.type).toUpperCase() === "BOOLEAN") {
      out[key] = false;
    }
  }
  return out;
}

/** The call with its arguments completed from the tool's schema (`withRequired`). */
function complete(call: ToolCall, offered: OfferedTool[]): ToolCall {
  if (call.kind !== "function" || !call.args) return call;
  const tool = offered.find((t) => t.name === call.name && t.kind === "function");
  return tool ? { ...call, args: withRequired(tool, call.args) } : call;
}

function offeredNames(offered: OfferedTool[]): string {
  return offered.length === 0 ? "none" : offered.map((t) => t.name).join(", ");
}

function mapRun(
  command: string,
  description: string | undefined,
  offered: OfferedTool[],
): ToolCall {
  const desc = description ?? "Run the scripted command";
  const named = find(
    offered,
    "Bash",
    "run_shell_command",
    "bash",
    "exec_command",
    "shell_command",
    "shell",
  );
  if (named) {
    switch (named.name) {
      case "Bash":
      case "run_shell_command":
      case "bash":
        return {
          name: named.name,
          kind: "function",
          args: { command, description: desc },
        };
      case "exec_command":
        return { name: named.name, kind: "function", args: { cmd: command } };
      case "shell_command":
        return { name: named.name, kind: "function", args: { command } };
      case "shell": {
        // Codex's legacy shell tool takes argv; a shell tool declaring a string takes the text.
        const type = (properties(named).command as { type?: string } | undefined)?.type;
        const value = type === "string" ? command : ["bash", "-lc", command];
        return { name: named.name, kind: "function", args: { command: value } };
      }
    }
  }
  // Any other function tool that takes a command string, or a list of them.
  for (const t of offered) {
    if (t.kind !== "function") continue;
    const props = properties(t);
    for (const key of ["command", "cmd"]) {
      if ((props[key] as { type?: string } | undefined)?.type === "string") {
        return { name: t.name, kind: "function", args: { [key]: command } };
      }
    }
    for (const key of ["commands", "cmds"]) {
      if (isArrayOf(props[key], "string")) {
        return { name: t.name, kind: "function", args: { [key]: [command] } };
      }
    }
  }
  throw new ToolMappingError(
    `no shell tool among the offered tools (${offeredNames(offered)}) to run ${
      JSON.stringify(command)
    }`,
  );
}

interface Schema {
  type?: string;
  items?: Schema;
  properties?: Record<string, unknown>;
}

function isArrayOf(schema: unknown, type: string): boolean {
  const s = schema as Schema | undefined;
  return s?.type === "array" && s.items?.type === type;
}

/**
 * The arguments of a tool that reads several files at once for one `path`: its list property
 * (`files`, `paths`) with one item, a string or an object with a path key. Undefined when the
 * tool takes no such list.
 */
function readManyArgs(tool: OfferedTool, path: string): Record<string, unknown> | undefined {
  const props = properties(tool);
  for (const key of ["files", "paths", "file_paths"]) {
    const list = props[key] as Schema | undefined;
    if (isArrayOf(list, "string")) return { [key]: [path] };
    if (isArrayOf(list, "object")) {
      const item = list!.items!.properties ?? {};
      const k = ["path", "file_path", "absolute_path", "filePath"].find((k) => k in item);
      if (k) return { [key]: [{ [k]: path }] };
    }
  }
  return undefined;
}

/** The property a file tool takes its path in (the first declared of the usual names). */
function pathKey(tool: OfferedTool, fallback: string): string {
  const props = properties(tool);
  return ["file_path", "absolute_path", "filePath", "filepath", "path"].find((k) => k in props) ??
    fallback;
}

/** The property a write tool takes the file's text in (`file_text`: GitHub Copilot CLI's
 * `create`, as Anthropic's text editor tool names it). */
function contentKey(tool: OfferedTool): string {
  const props = properties(tool);
  return ["content", "file_text"].find((k) => k in props) ?? "content";
}

function absolute(path: string, cwd: string | undefined): string {
  if (isAbsolute(path) || cwd === undefined) return path;
  return resolve(cwd, path);
}

/** A Codex apply_patch text that creates (or replaces) `path` with `content`. */
export function addFilePatch(path: string, content: string): string {
  const lines = content.split("\n");
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  return [
    "*** Begin Patch",
    `*** Add File: ${path}`,
    ...lines.map((l) => `+${l}`),
    "*** End Patch",
    "",
  ].join("\n");
}

/**
 * Maps `action` (placeholders already filled in) onto one of `offered`.
 * @param cwd the agent's working directory, to make paths absolute where a tool needs it.
 */
export function mapToolAction(
  action: ToolAction,
  offered: OfferedTool[],
  cwd: string | undefined,
): ToolCall {
  const call = mapBuiltin(action, offered, cwd);
  // a named tool's arguments are the scenario's own, as written
  return "name" in action ? call : complete(call, offered);
}

/** A file name an image viewer shows (the image types the model APIs take). */
const IMAGE_FILE = /\.(?:png|jpe?g|gif|webp)$/i;

function mapBuiltin(
  action: ToolAction,
  offered: OfferedTool[],
  cwd: string | undefined,
): ToolCall {
  if ("run" in action) return mapRun(action.run, action.description, offered);
  if ("read" in action) {
    const tool = find(offered, "Read", "read_file", "read", "view");
    if (tool) {
      const key = pathKey(tool, "file_path");
      return {
        name: tool.name,
        kind: "function",
        args: { [key]: absolute(action.read, cwd) },
      };
    }
    for (const t of offered) {
      if (t.kind !== "function" || !/read/i.test(t.name)) continue;
      const args = readManyArgs(t, absolute(action.read, cwd));
      if (args) return { name: t.name, kind: "function", args };
    }
    // an image is looked at, not printed, by an agent with no read tool but an image viewer
    // (Codex's view_image: the image goes to the model in the next request)
    const viewer = IMAGE_FILE.test(action.read) ? find(offered, "view_image") : undefined;
    if (viewer) {
      return {
        name: viewer.name,
        kind: "function",
        args: { [pathKey(viewer, "path")]: absolute(action.read, cwd) },
      };
    }
    return mapRun(
      `cat -- ${shellWord(action.read)}`,
      `Read ${action.read}`,
      offered,
    );
  }
  if ("write" in action) {
    const tool = find(offered, "Write", "write_file", "write", "Create", "create");
    if (tool) {
      return {
        name: tool.name,
        kind: "function",
        args: {
          [pathKey(tool, "file_path")]: absolute(action.write, cwd),
          [contentKey(tool)]: action.content,
        },
      };
    }
    const patch = find(offered, "apply_patch");
    if (patch) {
      const text = addFilePatch(action.write, action.content);
      return patch.kind === "custom"
        ? { name: patch.name, kind: "custom", input: text }
        : { name: patch.name, kind: "function", args: { input: text } };
    }
    return mapRun(
      `printf '%s' ${shellWord(action.content)} > ${shellWord(action.write)}`,
      `Write ${action.write}`,
      offered,
    );
  }
  if ("mcp" in action) {
    throw new ToolMappingError("an MCP action is mapped by mapMcpAction (mcp_tools.ts)");
  }
  const tool = find(offered, action.name);
  if (!tool) {
    throw new ToolMappingError(
      `tool ${JSON.stringify(action.name)} is not among the offered tools (${
        offeredNames(offered)
      })`,
    );
  }
  if (tool.kind === "custom") {
    return {
      name: tool.name,
      kind: "custom",
      input: action.input ?? (action.args ? JSON.stringify(action.args) : ""),
    };
  }
  return {
    name: tool.name,
    kind: "function",
    args: action.args ??
      (action.input !== undefined ? { input: action.input } : {}),
  };
}
