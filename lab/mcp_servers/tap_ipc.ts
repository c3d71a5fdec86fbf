/**
 * Until the kernel records pipe traffic (issue #14's capture part), a lab recording gets its
 * `ipc.arrow` from `stdio_tap.ts` logs: each chunk becomes the row the kernel would write for
 * the pipe between the relay and the server — `to_server` a write by the relay (peer: the
 * server), `from_server` a write by the server (peer: the relay), one inode per server and
 * direction. {@linkcode wrapWithTap} puts the tap in front of a scenario's pinned servers.
 */

import { ArrowStreamWriter } from "../../recording/arrow_writer.ts";
import { type IpcRow, ipcTable } from "../../recording/schema.ts";
import { MCP_SERVER_BINS } from "../agents/mcp_servers.ts";
import type { McpServerSpec } from "../simulator/mod.ts";

const TAP = new URL("./stdio_tap.ts", import.meta.url).pathname;

/** The scenario's filesystem and everything servers, each run through the tap logging to LOG. */
export function wrapWithTap(
  servers: Record<string, McpServerSpec> | undefined,
  log: string,
): Record<string, McpServerSpec> {
  return Object.fromEntries(
    Object.entries(servers ?? {}).map(([name, spec]) => {
      if (!("server" in spec)) return [name, spec];
      const args = spec.args ??
        (spec.server === "filesystem"
          ? ["{{workdir}}"]
          : spec.server === "everything"
          ? ["stdio"]
          : []);
      const target = spec.server === "poisoned"
        ? [
          Deno.execPath(),
          "run",
          "--quiet",
          "--allow-read",
          "--allow-write",
          new URL("./poisoned_server.ts", import.meta.url).pathname,
          ...(spec.args ?? ["{{workdir}}"]),
        ]
        : [MCP_SERVER_BINS[spec.server], ...args];
      return [name, {
        command: Deno.execPath(),
        args: ["run", "-A", "--quiet", TAP, log, "--", ...target],
        env: spec.env,
      }];
    }),
  );
}

/** Writes `dir/ipc.arrow` from a tap log; returns the number of rows. */
export function writeIpcFromTap(log: string, dir: string): number {
  const w = ArrowStreamWriter.create(`${dir}/ipc.arrow`, ipcTable);
  const seq = new Map<string, number>();
  let n = 0;
  for (const line of Deno.readTextFileSync(log).split("\n")) {
    if (!line) continue;
    const r = JSON.parse(line) as {
      ts_ns: string;
      pid: number;
      tap_pid: number;
      direction: string;
      data: string;
    };
    const data = Uint8Array.from(atob(r.data), (ch) => ch.charCodeAt(0));
    const toServer = r.direction === "to_server";
    const pid = toServer ? r.tap_pid : r.pid;
    const key = `${r.pid} ${r.direction}`;
    const s = seq.get(key) ?? 0;
    seq.set(key, s + 1);
    const row: IpcRow = {
      ts_ns: BigInt(r.ts_ns),
      pid,
      tid: pid,
      fd: toServer ? -1 : 1,
      kind: "pipe",
      inode: BigInt(r.pid * 2 + (toServer ? 0 : 1)),
      peer_inode: null,
      peer_pid: toServer ? r.pid : r.tap_pid,
      direction: "write",
      seq: BigInt(s),
      len: BigInt(data.length),
      data,
      truncated: false,
      lost: 0n,
    };
    w.append(row);
    n++;
  }
  w.close();
  return n;
}
