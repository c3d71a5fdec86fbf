/**
 * The `joined` process rows: what a capture that joins running processes (`--pid`, `--comm`)
 * knows of each at the join, read from /proc — its parent, name, user, the program it runs
 * (`/proc/PID/exe`), its command line, working directory and namespaces. Their exec came
 * before the capture, so no `exec` row says what they run; without these the analysis cannot
 * name an agent whose User-Agent names none (sql/llm_call_agents.sql walks the lineage's
 * programs). Each row's time is the capture's start: the process was running by then.
 * Names are read as bytes and kept as exec rows keep them (recording/byte_text.ts). /proc is
 * read a little after that time: a process that exec'd in between is recorded with its new
 * program from the capture's start. A process that rewrote its command line (node's
 * `process.title`) is recorded with the line it wrote; the one it ran cannot be recovered.
 */
import { type ProcessRow, UNUSED_PROCESS_COLUMNS } from "../recording/schema.ts";
import { bytesText } from "../recording/byte_text.ts";
import { ARGV_KEEP, splitNul } from "./events.ts";

const readBytes = (path: string) => {
  try {
    return Deno.readFileSync(path);
  } catch {
    return null; // gone, or not ours to read
  }
};
/**
 * A link's target as text by the recording's byte rule (byte_text.ts), null when unreadable.
 * Deno reads only UTF-8 targets; one that is not (a directory named in Latin-1) is read as
 * bytes by readlink(1), rarely enough that the process it costs does not matter.
 */
const readLink = (path: string) => {
  try {
    return bytesText(new TextEncoder().encode(Deno.readLinkSync(path)));
  } catch (e) {
    if (!(e instanceof Deno.errors.InvalidData)) return null; // gone, or not ours to read
  }
  try {
    const out = new Deno.Command("readlink", { args: [path], stdout: "piped", stderr: "null" })
      .outputSync();
    if (!out.success) return null;
    const b = out.stdout;
    return bytesText(b, 0, b.length && b[b.length - 1] === 10 ? b.length - 1 : b.length);
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
  const statBytes = readBytes(`${root}/${pid}/stat`);
  if (statBytes === null) return null;
  const stat = bytesText(statBytes);
  // pid (comm) state ppid ...: the name may hold spaces and parentheses
  const close = stat.lastIndexOf(")");
  const comm = stat.slice(stat.indexOf("(") + 1, close);
  const ppid = Number(stat.slice(close + 2).split(" ")[1]);
  const status = readBytes(`${root}/${pid}/status`);
  const uid = Number(
    (status && bytesText(status))?.match(/^Uid:\s+(\d+)/m)?.[1] ?? -1,
  );
  // NUL-separated; a process that rewrote its title (node's process.title) leaves the rest of
  // the old block as NULs: trailing NULs make no arguments (the old ones cannot be recovered).
  // Kept as an exec's are: at most ARGV_KEEP bytes, cut there (argv_truncated).
  const cmdline = readBytes(`${root}/${pid}/cmdline`);
  let end = cmdline?.length ?? 0;
  while (end > 0 && cmdline![end - 1] === 0) end--;
  const truncated = end > ARGV_KEEP;
  const argv = cmdline && end ? splitNul(cmdline, 0, Math.min(end, ARGV_KEEP)) : null;
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
    argv_truncated: truncated,
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
