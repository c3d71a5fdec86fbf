/**
 * MCP servers reached as remote ones are: over HTTPS, from processes the capture does not see.
 * For each `remote` server of a run it starts the server itself in plain text on loopback and a
 * TLS front (the model server's CA, HTTP/1.1) on the port its URL names, both here, outside
 * whatever wraps the agent, so that only the agent's end of the TLS connection is traced, as
 * with a server on another host.
 */
import { dirname } from "node:path";
import { ensureCertificates } from "../simulator/mod.ts";
import { startFront } from "../simulator/tls_front.ts";
import type { McpServerConfig } from "./mcp_servers.ts";

export interface RemoteMcpServers {
  close(): Promise<void>;
}

/** Waits until something accepts on 127.0.0.1:`port` (30 s), else fails with one line. */
async function listening(name: string, port: number, exited: Promise<unknown>): Promise<void> {
  let gone = false;
  exited.then(() => (gone = true));
  for (let i = 0; i < 300 && !gone; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(
    `remote MCP server ${name}: ${gone ? "exited before listening" : "nothing listens"} on ` +
      `port ${port}`,
  );
}

/** Starts the `remote` servers among `configs`; `caCertPath` is the CA the agent trusts. */
export async function startRemoteMcpServers(
  configs: McpServerConfig[],
  caCertPath: string,
): Promise<RemoteMcpServers> {
  const remote = configs.filter((c) => c.remote && c.port !== undefined && c.url);
  const children: Deno.ChildProcess[] = [];
  const fronts: { close(): void }[] = [];
  const close = async () => {
    for (const f of fronts) f.close();
    for (const c of children) {
      try {
        c.kill("SIGTERM");
      } catch { /* gone */ }
    }
    await Promise.all(children.map((c) => c.status));
  };
  if (!remote.length) return { close };
  try {
    const certs = await ensureCertificates({ caDir: dirname(caCertPath) });
    for (const c of remote) {
      const child = new Deno.Command(c.command, {
        args: c.args,
        env: c.env,
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
      children.push(child);
      await listening(c.name, c.port!, child.status);
      fronts.push(startFront({
        hostname: "127.0.0.1",
        port: Number(new URL(c.url!).port),
        cert: certs.leaf.certPem,
        key: certs.leaf.keyPem,
        http1Only: true,
        backend: { hostname: "127.0.0.1", port: c.port! },
        onWebSocket: (conn) => {
          conn.close();
          return Promise.resolve();
        },
      }));
    }
  } catch (e) {
    await close();
    throw e;
  }
  return { close };
}
