/**
 * The MCP servers a run configures its agent with: the real servers pinned in
 * `lab/mcp_servers/package.json` (`filesystem`, `everything`), the lab's own `poisoned` server
 * (`lab/mcp_servers/poisoned_server.ts`, a tool whose description carries instructions), or any
 * command. {@linkcode resolveMcpServers} turns a scenario's `mcpServers` into command lines for
 * the agent's configuration (each profile writes them in its own format). Every server is
 * started by the agent itself, over stdio, so it is one of the agent's descendants.
 */

import { fileURLToPath } from "node:url";
import type { McpServerSpec } from "../simulator/mod.ts";

/** One server as an agent's configuration names it. */
export interface McpServerConfig {
  /** The name the agent knows it by (it appears in the tool names the model sees). */
  name: string;
  command: string;
  args: string[];
  env: Record<string, string>;
}

const MCP_DIR = fileURLToPath(new URL("../mcp_servers/", import.meta.url));

/** The pinned servers' executables. */
export const MCP_SERVER_BINS: Readonly<Record<string, string>> = {
  filesystem: `${MCP_DIR}node_modules/.bin/mcp-server-filesystem`,
  everything: `${MCP_DIR}node_modules/.bin/mcp-server-everything`,
};

/** The Deno binary that runs the lab's own server (the one running this code). */
function denoCommand(): string {
  return Deno.execPath();
}

/** Replaces `{{workdir}}` in a server argument. */
function fill(arg: string, workdir: string): string {
  return arg.replaceAll("{{workdir}}", workdir);
}

/**
 * Command lines for a scenario's servers. `filesystem` defaults to serving the working
 * directory, `everything` to its stdio transport.
 */
export function resolveMcpServers(
  specs: Record<string, McpServerSpec> | undefined,
  workdir: string,
): McpServerConfig[] {
  const out: McpServerConfig[] = [];
  for (const [name, spec] of Object.entries(specs ?? {})) {
    const env = spec.env ?? {};
    const given = spec.args?.map((a) => fill(a, workdir));
    if ("command" in spec) {
      out.push({ name, command: spec.command, args: given ?? [], env });
      continue;
    }
    switch (spec.server) {
      case "filesystem":
        out.push({ name, command: MCP_SERVER_BINS.filesystem, args: given ?? [workdir], env });
        break;
      case "everything":
        out.push({ name, command: MCP_SERVER_BINS.everything, args: given ?? ["stdio"], env });
        break;
      case "poisoned":
        out.push({
          name,
          command: denoCommand(),
          args: ["run", "--quiet", "--allow-read", "--allow-write", `${MCP_DIR}poisoned_server.ts`]
            .concat(given ?? [workdir]),
          env,
        });
        break;
    }
  }
  return out;
}

/** Fails with one line when a pinned server is not installed. */
export async function checkMcpServersInstalled(configs: McpServerConfig[]): Promise<void> {
  for (const c of configs) {
    await Deno.stat(c.command).catch(() => {
      throw new Error(
        `MCP server ${c.name}: ${c.command} is missing: run scripts/setup.sh to install the MCP servers`,
      );
    });
  }
}
