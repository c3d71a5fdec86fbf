/**
 * The MCP servers a run configures its agent with: the real servers pinned in
 * `lab/mcp_servers/package.json` (`filesystem`, `everything`), the lab's own `poisoned` server
 * (`lab/mcp_servers/poisoned_server.ts`, a tool whose description carries instructions), or any
 * command. {@linkcode resolveMcpServers} turns a scenario's `mcpServers` into command lines for
 * the agent's configuration (each profile writes them in its own format). A stdio server is
 * started by the agent itself, so it is one of the agent's descendants; an HTTP one (`http`:
 * streamable HTTP, `sse`: HTTP+SSE) gets a free loopback port and a URL, and the runner starts
 * it beside the agent ({@linkcode httpLauncher}), so under capture it is traced too.
 */

import { fileURLToPath } from "node:url";
import { shQuote } from "../../kit/shell.ts";
import { freePort } from "../../kit/free_port.ts";
import type { McpServerSpec, McpTransport } from "../simulator/mod.ts";

/** One server as an agent's configuration names it. */
export interface McpServerConfig {
  /** The name the agent knows it by (it appears in the tool names the model sees). */
  name: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  /** how the agent reaches it; `http` and `sse` servers are started by the runner */
  transport: McpTransport;
  /** `http`, `sse`: where it listens, the URL the agent is given and the headers it sends */
  port?: number;
  url?: string;
  headers?: Record<string, string>;
  /**
   * Served over HTTPS from outside the capture (`remote_mcp.ts`): `port` is where the server
   * itself listens in plain text, `url` names the TLS front in front of it.
   */
  remote?: boolean;
  /** `remote`: the front offers h2 and http/1.1 by ALPN (else http/1.1 only) */
  h2?: boolean;
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

/** The lab directory of this checkout (no trailing slash): `{{lab}}` in a server argument. */
export const LAB_DIR = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");

/** Replaces `{{workdir}}` and `{{lab}}` in a server argument. */
function fill(arg: string, workdir: string): string {
  return arg.replaceAll("{{workdir}}", workdir).replaceAll("{{lab}}", LAB_DIR);
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
      const transport = spec.transport ?? "stdio";
      out.push(
        transport === "stdio"
          ? { name, command: spec.command, args: given ?? [], env, transport }
          : httpServer(name, spec.command, given ?? [], env, { ...spec, transport }),
      );
      continue;
    }
    switch (spec.server) {
      case "filesystem":
        out.push({
          name,
          command: MCP_SERVER_BINS.filesystem,
          args: given ?? [workdir],
          env,
          transport: "stdio",
        });
        break;
      case "everything": {
        const transport = spec.transport ?? "stdio";
        if (transport === "stdio") {
          out.push({
            name,
            command: MCP_SERVER_BINS.everything,
            args: given ?? ["stdio"],
            env,
            transport,
          });
          break;
        }
        out.push(httpServer(
          name,
          MCP_SERVER_BINS.everything,
          given ?? [transport === "http" ? "streamableHttp" : "sse"],
          env,
          { ...spec, transport },
        ));
        break;
      }
      case "poisoned":
        out.push({
          name,
          transport: "stdio",
          command: denoCommand(),
          args: [
            "run",
            "--quiet",
            "--allow-read",
            "--allow-write",
            `${MCP_DIR}poisoned_server.ts`,
          ]
            .concat(given ?? [workdir]),
          env,
        });
        break;
    }
  }
  return out;
}

/**
 * A server over HTTP: a free loopback port in its `PORT`, and the URL the agent is given, at
 * `/mcp` (streamable HTTP) or `/sse` (HTTP+SSE), or the TLS front's when `remote`.
 */
function httpServer(
  name: string,
  command: string,
  args: string[],
  env: Record<string, string>,
  spec: {
    transport: "http" | "sse";
    headers?: Record<string, string>;
    remote?: boolean;
    h2?: boolean;
  },
): McpServerConfig {
  const port = freePort();
  const path = spec.transport === "http" ? "mcp" : "sse";
  return {
    name,
    command,
    args,
    env: { ...env, PORT: String(port) },
    transport: spec.transport,
    port,
    url: spec.remote
      ? `https://localhost:${freePort()}/${path}`
      : `http://127.0.0.1:${port}/${path}`,
    headers: spec.headers ?? {},
    ...(spec.remote ? { remote: true } : {}),
    ...(spec.remote && spec.h2 ? { h2: true } : {}),
  };
}

/** Where a command runs from: itself when it names a path, else the first match on PATH. */
async function onPath(command: string): Promise<string | null> {
  if (command.includes("/")) return await Deno.stat(command).then(() => command, () => null);
  for (const dir of (Deno.env.get("PATH") ?? "").split(":").filter(Boolean)) {
    const full = `${dir}/${command}`;
    if (await Deno.stat(full).then((s) => s.isFile, () => false)) return full;
  }
  return null;
}

/**
 * Fails with one line when a server's command is not there: a pinned server not installed, or
 * a scenario's command neither a file nor on PATH.
 */
export async function checkMcpServersInstalled(
  configs: McpServerConfig[],
): Promise<void> {
  const pinned = new Set(Object.values(MCP_SERVER_BINS));
  for (const c of configs) {
    if (await onPath(c.command) !== null) continue;
    throw new Error(
      pinned.has(c.command)
        ? `MCP server ${c.name}: ${c.command} is missing: run scripts/setup.sh to install the MCP servers`
        : `MCP server ${c.name}: ${c.command} is neither a file nor a command on PATH`,
    );
  }
}

/**
 * A bash script that starts the HTTP servers among `configs` in the background, waits until
 * each listens (up to 30 s, else exits 3 with one line), runs its arguments (the agent) and
 * then stops the servers, exiting with the agent's status. Run as `bash SCRIPT AGENT ARGS...`
 * (inside the capture, so that the servers are traced beside the agent). Null when there are
 * no HTTP servers.
 */
export function httpLauncher(configs: McpServerConfig[]): string | null {
  const http = configs.filter((c) => c.port !== undefined && !c.remote);
  if (!http.length) return null;
  const lines = ["set -u", "pids=()"];
  for (const c of http) {
    const env = Object.entries(c.env).map(([k, v]) => `${k}=${shQuote(v)}`).join(
      " ",
    );
    lines.push(
      `env ${env} ${[c.command, ...c.args].map(shQuote).join(" ")} >/dev/null 2>&1 &`,
      "pids+=($!)",
      `for i in $(seq 300); do (exec 3<>/dev/tcp/127.0.0.1/${c.port}) 2>/dev/null && break; ` +
        `[ $i = 300 ] && { echo "MCP server ${c.name}: nothing listens on ${c.port} after 30 s" >&2; ` +
        `kill "\${pids[@]}"; exit 3; }; sleep 0.1; done`,
    );
  }
  lines.push(
    '"$@"',
    "rc=$?",
    'kill "${pids[@]}" 2>/dev/null',
    "wait",
    "exit $rc",
  );
  return lines.join("\n") + "\n";
}
