/**
 * The MCP-over-HTTP fixtures in `mcp_http/` (real server-everything traffic, written by
 * generate_mcp_http_fixture.ts and generate_h2_mcp_fixture.ts): each a JSON list of connections
 * `{ client, server }`, each direction's bytes as base64, in the order they were opened. Read
 * and written here, with the secrets the tests plant in them.
 */
import { writeFileSync } from "node:fs";
import { concatBytes } from "../../kit/bytes.ts";

/** One connection of a fixture: each direction's bytes. */
export interface McpHttpConnection {
  client: Uint8Array;
  server: Uint8Array;
}

/** The fixtures: streamable HTTP and HTTP+SSE over HTTP/1.1, streamable HTTP over h2 (TLS). */
export type McpHttpFixture = "streamable" | "sse" | "streamable_h2";

/** The connections of fixture `name`. */
export async function readMcpHttpFixture(name: McpHttpFixture): Promise<McpHttpConnection[]> {
  const url = new URL(`./mcp_http/${name}.json`, import.meta.url);
  const raw = JSON.parse(await Deno.readTextFile(url)) as { client: string; server: string }[];
  const bytes = (b: string) => Uint8Array.from(atob(b), (c) => c.charCodeAt(0));
  return raw.map((c) => ({ client: bytes(c.client), server: bytes(c.server) }));
}

/** Writes recorded connections (each direction's reads in order) as a fixture file. */
export function writeMcpHttpFixture(
  file: URL,
  conns: { client: Uint8Array[]; server: Uint8Array[] }[],
): void {
  const b64 = (parts: Uint8Array[]) => btoa(String.fromCharCode(...concatBytes(parts)));
  const json = conns.map((c) => ({ client: b64(c.client), server: b64(c.server) }));
  writeFileSync(file, JSON.stringify(json, null, 1) + "\n");
}

/**
 * Same-length renames of the fixtures' JSON into secret-named keys, `[from, key, value]`:
 * `from` becomes `key` + `value` + `"`, and `value` is then a secret to be masked.
 */
export const SECRET_PLANTS: readonly [string, string, string][] = [
  ['"clientInfo":{"name":"fixture-client"', '"clientInfo":{"key" :"', "fixture-client"],
  ['"arguments":{"message":"hello over http"', '"arguments":{"api_key":"', "hello over http"],
  [
    '"serverInfo":{"name":"mcp-servers/everything"',
    '"serverInfo":{"key" :"',
    "mcp-servers/everything",
  ],
];

/**
 * The HTTP+SSE fixture's answer (its real bytes as a latin1 string, one character a byte; the
 * WHATWG "latin1" decoder is windows-1252), its session id, and its `endpoint` event's chunk
 * (`event[1]` its size, `ev` the event).
 */
export async function sseEndpointFixture(): Promise<
  { server: string; id: string; event: RegExpExecArray; ev: string }
> {
  const server = new TextDecoder("latin1").decode(
    (await readMcpHttpFixture("sse")).find((c) => c.server.length)!.server,
  );
  const id = /sessionId=([0-9a-f-]+)/.exec(server)![1];
  const event = /\r\n\r\n([0-9a-f]+)\r\n(event: endpoint\n[^]*?\n\n)\r\n/.exec(server)!;
  return { server, id, event, ev: event[2] };
}
