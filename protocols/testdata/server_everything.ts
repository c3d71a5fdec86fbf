/**
 * The real `@modelcontextprotocol/server-everything` (lab/mcp_servers) as the MCP fixture
 * generators run it: started with node in one of its HTTP modes on a free port of 127.0.0.1,
 * ready once it says it listens, stopped when the client is done; where the MCP SDK is for
 * their clients, and what each client script does once it has its transport.
 */
import { filePath } from "../../kit/file_path.ts";
import { freePort } from "../../kit/free_port.ts";

/** lab/mcp_servers, where the servers and the SDK are installed (`scripts/setup.sh`). */
export const LAB = filePath("../../lab/mcp_servers/", import.meta.url);
/** The `@modelcontextprotocol` packages: `server-everything` and the SDK (`sdk`). */
export const SERVERS = Deno.realPathSync(`${LAB}node_modules/@modelcontextprotocol`);

/** A running server-everything: its port on 127.0.0.1, and how to stop it. */
export interface ServerEverything {
  port: number;
  stop(): Promise<void>;
}

/** Starts server-everything in `mode` and waits until it says it listens. */
export async function startServerEverything(
  mode: "streamableHttp" | "sse",
): Promise<ServerEverything> {
  const port = freePort();
  const server = new Deno.Command("node", {
    args: [`${SERVERS}/server-everything/dist/index.js`, mode],
    env: { PORT: String(port) },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = server.stderr.pipeThrough(new TextDecoderStream()).getReader();
  for (let seen = ""; !/listening|running/i.test(seen);) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`server-everything ${mode} ended before it listened: ${seen}`);
    seen += value;
  }
  return {
    port,
    async stop() {
      server.kill();
      await server.status;
    },
  };
}

/**
 * The end of an MCP SDK client script (its transport made as `t`): `initialize`, `tools/list`
 * and the `echo` tool, printed as one line of JSON, then closed.
 */
export const CLIENT_SESSION = `const c = new Client({ name: "fixture-client", version: "1.0.0" });
await c.connect(t);
const tools = await c.listTools();
const r = await c.callTool({ name: "echo", arguments: { message: "hello over http" } });
console.log(JSON.stringify({ tools: tools.tools.length, echo: r.content[0].text }));
await c.close();
`;
