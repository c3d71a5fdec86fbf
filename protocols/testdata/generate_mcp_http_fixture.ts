/**
 * Regenerates `mcp_http/`: the real `@modelcontextprotocol/server-everything`
 * (lab/mcp_servers) in its `streamableHttp` and `sse` modes, and the real MCP SDK client
 * (`StreamableHTTPClientTransport`, `SSEClientTransport`, with an Authorization header) calling
 * `initialize`, `tools/list` and the `echo` tool, through a relay that records each TCP
 * connection's two byte streams. Writes `streamable.json` and `sse.json`: a list of
 * connections, each `{ client, server }` as base64, in the order they were opened.
 *
 *   deno run -A protocols/testdata/generate_mcp_http_fixture.ts --update
 */
import { mkdirSync } from "node:fs";
import { type Connection, requireUpdate, sleep, startRecordingRelay } from "./record_relay.ts";
import { writeMcpHttpFixture } from "./mcp_http_fixture.ts";
import { CLIENT_SESSION, SERVERS, startServerEverything } from "./server_everything.ts";

const OUT = new URL("./mcp_http/", import.meta.url);

const CLIENT_MJS = `
const sdk = process.argv[2];
const { Client } = await import(sdk + "/sdk/dist/esm/client/index.js");
const { StreamableHTTPClientTransport } = await import(sdk + "/sdk/dist/esm/client/streamableHttp.js");
const { SSEClientTransport } = await import(sdk + "/sdk/dist/esm/client/sse.js");
const url = new URL(process.argv[3]);
const headers = { Authorization: "Bearer FIXTURE-SECRET-TOKEN" };
const t = process.argv[4] === "sse"
  ? new SSEClientTransport(url, { requestInit: { headers }, eventSourceInit: { fetch: (u, i) => fetch(u, { ...i, headers: { ...i?.headers, ...headers } }) } })
  : new StreamableHTTPClientTransport(url, { requestInit: { headers } });
` + CLIENT_SESSION;

async function record(mode: "streamableHttp" | "sse"): Promise<Connection[]> {
  const server = await startServerEverything(mode);
  const r = await startRecordingRelay(server.port);
  const script = await Deno.makeTempFile({ suffix: ".mjs" });
  await Deno.writeTextFile(script, CLIENT_MJS);
  const path = mode === "sse" ? "/sse" : "/mcp";
  const out = await new Deno.Command("node", {
    args: [script, SERVERS, `http://127.0.0.1:${r.port}${path}`, mode === "sse" ? "sse" : "http"],
  }).output();
  console.log(
    mode,
    new TextDecoder().decode(out.stdout).trim(),
    out.success ? "" : new TextDecoder().decode(out.stderr),
  );
  await sleep(300);
  r.close();
  await server.stop();
  await Deno.remove(script);
  if (!out.success) throw new Error(`${mode}: the client failed`);
  return r.connections;
}

requireUpdate();
mkdirSync(OUT, { recursive: true });
for (const [mode, file] of [["streamableHttp", "streamable.json"], ["sse", "sse.json"]] as const) {
  writeMcpHttpFixture(new URL(file, OUT), await record(mode));
}
