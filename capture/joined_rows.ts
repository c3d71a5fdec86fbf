/**
 * The `joined` process rows: what a capture that joins running processes (`--pid`, `--comm`)
 * knows of each at the join, read from /proc — its parent, name, user, the program it runs
 * (`/proc/PID/exe`), its command line, working directory and namespaces. Their exec came
 * before the capture, so no `exec` row says what they run; without these the analysis cannot
 * name an agent whose User-Agent names none (sql/llm_call_agents.sql walks the lineage's
 * programs). Each row's time is the capture's start: the process was running by then.
 */
import { type ProcessRow, UNUSED_PROCESS_COLUMNS } from "../recording/schema.ts";

const readText = (path: string) => {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return null; // gone, or not ours to read
  }
};
const readLink = (path: string) => {
  try {
    return Deno.readLinkSync(path);
  } catch {
    return null;
  }
};

/** A namespace link's inode number (`net:[4026531840]`), null when unreadable. */
function nsOf(link: string | null): bigint | null {
  const m = link?.match(/\[(\d+)\]$/);
  return m ? BigInt(m[1]) : null;
}

/**
 * The `joined` row of process `pid` as /proc (`root`, the real one unless a test's) shows it
 * now, at time `tsNs`; null when it is gone.
 */
export function joinedRow(pid: number, tsNs: bigint, root = "/proc"): ProcessRow | null {
  const stat = readText(`${root}/${pid}/stat`);
  if (stat === null) return null;
  // pid (comm) state ppid ...: the name may hold spaces and parentheses
  const close = stat.lastIndexOf(")");
  const comm = stat.slice(stat.indexOf("(") + 1, close);
  const ppid = Number(stat.slice(close + 2).split(" ")[1]);
  const uid = Number(readText(`${root}/${pid}/status`)?.match(/^Uid:\s+(\d+)/m)?.[1] ?? -1);
  const cmdline = readText(`${root}/${pid}/cmdline`);
  const argv = cmdline ? cmdline.replace(/\0$/, "").split("\0") : null;
  const exeLink = readLink(`${root}/${pid}/exe`);
  const unlinked = exeLink?.endsWith(" (deleted)") ?? false;
  const exe = exeLink === null ? null : unlinked ? exeLink.slice(0, -" (deleted)".length) : exeLink;
  return {
    ...UNUSED_PROCESS_COLUMNS,
    ts_ns: tsNs,
    pid,
    ppid: Number.isFinite(ppid) ? ppid : 0,
    tid: pid,
    uid: uid | 0,
    kind: "joined",
    comm,
    filename: exe,
    argv,
    cwd: readLink(`${root}/${pid}/cwd`),
    exe,
    exe_unlinked: unlinked,
    net_ns: nsOf(readLink(`${root}/${pid}/ns/net`)),
    mnt_ns: nsOf(readLink(`${root}/${pid}/ns/mnt`)),
  };
}

/** The `joined` rows of the processes `pids` (those gone since left out), parents first. */
export function joinedRows(pids: readonly number[], tsNs: bigint, root = "/proc"): ProcessRow[] {
  const rows = pids.map((p) => joinedRow(p, tsNs, root)).filter((r) => r !== null);
  const byPid = new Map(rows.map((r) => [r.pid, r]));
  const depth = (r: ProcessRow, n = 0): number => {
    const up = byPid.get(r.ppid);
    return up && n < 64 ? depth(up, n + 1) : n;
  };
  return rows.sort((a, b) => depth(a) - depth(b) || a.pid - b.pid);
}
