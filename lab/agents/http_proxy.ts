/**
 * A real forward HTTP proxy for agent runs, as companies put one between their machines and the
 * internet (`HTTPS_PROXY=http://proxy:3128`): Debian's tinyproxy, started in the foreground with a
 * generated configuration. A client asks it `CONNECT host:port`, it answers `200`, and the client
 * speaks TLS through the tunnel. The proxy resolves the host names itself, from a private hosts
 * file (its own mount namespace, `hosts_namespace.ts`, root only), so an agent pointed at
 * `https://api.anthropic.com:PORT` reaches the scripted server on loopback only through the proxy:
 * an agent that ignored `HTTPS_PROXY` could not resolve the name. The proxy is not a descendant
 * of the agent, so a capture of the agent does not trace it.
 */

import { join } from "node:path";
import { withHostsFile } from "./hosts_namespace.ts";
import { freePort } from "../../kit/free_port.ts";

export interface HttpProxyOptions {
  /** The address it listens on (default 127.0.0.1); another one of this machine's works too. */
  listen?: string;
  /** Host names it resolves to an address of this machine: name → address. */
  hosts: Record<string, string>;
  /** A directory for its configuration, hosts file and log (kept). */
  dir: string;
}

export interface HttpProxy {
  /** `http://ADDRESS:PORT`, what `HTTPS_PROXY` is set to. */
  url: string;
  address: string;
  port: number;
  /** What it logged so far (tinyproxy's own lines: each CONNECT it established). */
  log(): Promise<string>;
  close(): Promise<void>;
}

/** Where the proxy's executable is (scripts/setup.sh installs the Debian package). */
export const TINYPROXY = "/usr/bin/tinyproxy";

/** The configuration: every port allowed through CONNECT (no `ConnectPort` line). */
export function tinyproxyConfig(address: string, port: number, logPath: string): string {
  return [
    `Port ${port}`,
    `LogFile "${logPath}"`,
    `Listen ${address}`,
    "Timeout 600",
    "LogLevel Connect",
    "MaxClients 100",
    `Allow ${address}`,
    "Allow 127.0.0.1",
    "DisableViaHeader Yes",
    "",
  ].join("\n");
}

/** Starts tinyproxy and waits until it accepts connections. */
export async function startHttpProxy(opts: HttpProxyOptions): Promise<HttpProxy> {
  await Deno.stat(TINYPROXY).catch(() => {
    throw new Error(`${TINYPROXY} is missing: run scripts/setup.sh (Debian package tinyproxy)`);
  });
  const address = opts.listen ?? "127.0.0.1";
  const port = freePort(address);
  const confPath = join(opts.dir, "tinyproxy.conf");
  const hostsPath = join(opts.dir, "hosts");
  const logPath = join(opts.dir, "tinyproxy.log");
  await Deno.writeTextFile(confPath, tinyproxyConfig(address, port, logPath));
  const base = await Deno.readTextFile("/etc/hosts").catch(() => "");
  await Deno.writeTextFile(
    hostsPath,
    [base.trimEnd(), ...Object.entries(opts.hosts).map(([h, a]) => `${a}\t${h}`)].join("\n") +
      "\n",
  );
  const argv = withHostsFile([TINYPROXY, "-d", "-c", confPath], hostsPath);
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const readLog = () => Deno.readTextFile(logPath).catch(() => "");
  const close = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
    await child.status;
  };
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      (await Deno.connect({ hostname: address, port })).close();
      break;
    } catch (e) {
      if (Date.now() > deadline) {
        await close();
        throw new Error(
          `tinyproxy did not listen on ${address}:${port} (${(e as Error).message}): ` +
            (await readLog()).trim().split("\n").slice(-3).join(" | "),
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { url: `http://${address}:${port}`, address, port, log: readLog, close };
}
