/**
 * MCP servers reached as remote ones are: over HTTPS, from processes the capture does not see.
 * For each `remote` server of a run it starts the server itself in plain text on loopback and a
 * TLS front (the model server's CA) on the port its URL names, both here, outside whatever wraps
 * the agent, so that only the agent's end of the TLS connection is traced, as with a server on
 * another host. The front offers HTTP/1.1 only by ALPN and pipes each connection through, or,
 * for a server with `h2`, offers h2 and http/1.1 (`h2_front.ts`, in a process of its own:
 * `h2_front_main.ts`), as Cloudflare and modern
 * proxies do, and forwards each request: a client whose HTTP stack negotiates h2 then speaks
 * HTTP/2 to it.
 */
import { filePath } from "../../kit/file_path.ts";
import { dirname } from "node:path";
import { ensureCertificates } from "../simulator/mod.ts";
import { startFront } from "../simulator/tls_front.ts";

const H2_FRONT_MAIN = filePath("./h2_front_main.ts", import.meta.url);

/**
 * Starts `h2_front_main.ts` (the h2 front in a process of its own); resolves once it listens,
 * with the ALPN protocols of its connections filled in as they come.
 */
async function startH2FrontProcess(
  name: string,
  o: { port: number; cert: string; key: string; backendPort: number },
): Promise<{ protocols: string[]; close(): Promise<void> }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      H2_FRONT_MAIN,
      "127.0.0.1",
      String(o.port),
      "127.0.0.1",
    ]
      .concat(String(o.backendPort)),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(
    new TextEncoder().encode(JSON.stringify({ cert: o.cert, key: o.key })),
  );
  await w.close();
  const stderr = new Response(child.stderr).text();
  const protocols: string[] = [];
  let closing = false;
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  const { promise: ready, resolve: listening } = Promise.withResolvers<void>();
  const reading = (async () => {
    for (;;) {
      const { value, done } = await lines.read();
      if (done) return;
      buf += value;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.startsWith("listening ")) listening();
        else if (line.startsWith("alpn ")) protocols.push(line.slice(5));
      }
    }
  })();
  const status = child.status;
  const ended = status.then(async (s) => {
    if (closing) return;
    // loud: the front died under the agent (its MCP calls fail from here on)
    console.error(
      `remote MCP server ${name}: its h2 front exited (${s.signal ?? s.code}): ` +
        (await stderr).trim().split("\n").slice(-3).join(" / "),
    );
  });
  const gone = status.then(() => "exited" as const);
  if (
    (await Promise.race([ready.then(() => "ready" as const), gone])) ===
      "exited"
  ) {
    await ended;
    throw new Error(
      `remote MCP server ${name}: its h2 front exited before listening`,
    );
  }
  return {
    protocols,
    async close() {
      closing = true;
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      await status;
      await reading.catch(() => {});
      await stderr;
    },
  };
}
import type { McpServerConfig } from "./mcp_servers.ts";

export interface RemoteMcpServers {
  /** the ALPN protocol of each connection the `h2` fronts accepted, by server name */
  protocols: Record<string, string[]>;
  close(): Promise<void>;
}

/** Waits until something accepts on 127.0.0.1:`port` (30 s), else fails with one line. */
async function listening(
  name: string,
  port: number,
  exited: Promise<unknown>,
): Promise<void> {
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
  const fronts: { close(): void | Promise<void> }[] = [];
  const protocols: Record<string, string[]> = {};
  const close = async () => {
    await Promise.all(fronts.map((f) => f.close()));
    for (const c of children) {
      try {
        c.kill("SIGTERM");
      } catch { /* gone */ }
    }
    await Promise.all(children.map((c) => c.status));
  };
  if (!remote.length) return { protocols, close };
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
      const front = {
        hostname: "127.0.0.1",
        port: Number(new URL(c.url!).port),
        cert: certs.leaf.certPem,
        key: certs.leaf.keyPem,
        backend: { hostname: "127.0.0.1", port: c.port! },
      };
      if (c.h2) {
        const f = await startH2FrontProcess(c.name, {
          port: front.port,
          cert: front.cert,
          key: front.key,
          backendPort: c.port!,
        });
        fronts.push(f);
        protocols[c.name] = f.protocols;
        continue;
      }
      fronts.push(startFront({
        ...front,
        http1Only: true,
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
  return { protocols, close };
}
