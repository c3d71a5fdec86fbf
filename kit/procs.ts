/**
 * Processes as /proc shows them: the one parser of /proc/PID/stat (parent, state, start time,
 * CPU time), one process told apart from a later one with the same pid by its start time,
 * whether it still runs, and every living descendant of one. No node: imports,
 * so the capture's start can use it (the first node: module costs Deno its Node layer).
 */
/** A process, told apart from a later one with the same pid by its start time. */
export interface Proc {
  pid: number;
  start: string;
}

/** Linux USER_HZ (the unit of /proc/PID/stat's CPU times) on every mainstream architecture. */
const CLK_TCK = 100;

/** A process's fields of /proc/PID/stat that Sightline reads. */
export interface Stat {
  comm: string;
  ppid: number;
  /** process group */
  pgrp: number;
  /** one letter, e.g. "T" when stopped, "Z" for a zombie */
  state: string;
  /** start time (clock ticks after boot), as written: with the pid, names one process */
  start: string;
  /** CPU time used so far, user plus system (utime + stime), in ms */
  cpuMs: number;
}

/** How the kernel keeps a process name (`comm`): its first 15 bytes (TASK_COMM_LEN - 1). */
export function kernelComm(name: string): string {
  const b = new TextEncoder().encode(name);
  return b.length <= 15 ? name : new TextDecoder().decode(b.subarray(0, 15));
}

/** The process's /proc/PID/stat, or null when there is no such process (or it cannot be read). */
export function stat(pid: number): Stat | null {
  try {
    return readStat(pid);
  } catch {
    return null;
  }
}

/** The process's /proc/PID/stat; throws what reading it throws (NotFound: no such process). */
function readStat(pid: number): Stat {
  const s = Deno.readTextFileSync(`/proc/${pid}/stat`);
  // the fields after "(comm) ", which may hold spaces and parentheses: state is field 3 of
  // proc(5), so f[i] is field i + 3 (ppid 4, pgrp 5, utime 14, stime 15, starttime 22)
  const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
  return {
    comm: s.slice(s.indexOf("(") + 1, s.lastIndexOf(")")),
    state: f[0],
    ppid: Number(f[1]),
    pgrp: Number(f[2]),
    start: f[19],
    cpuMs: (Number(f[11]) + Number(f[12])) * 1000 / CLK_TCK,
  };
}

/** The process `pid` as it is now (with its start time, so a reused pid is told apart), if any. */
export function procOf(pid: number): Proc | null {
  const s = stat(pid);
  return s && { pid, start: s.start };
}

/** Every living descendant of `root` (default: this process), from /proc. */
export function descendants(root = Deno.pid): Proc[] {
  const children = new Map<number, Proc[]>();
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const s = stat(Number(e.name));
    if (!s || s.state === "Z") continue;
    const list = children.get(s.ppid) ?? [];
    list.push({ pid: Number(e.name), start: s.start });
    children.set(s.ppid, list);
  }
  const out: Proc[] = [];
  const todo = [root];
  while (todo.length) {
    for (const c of children.get(todo.pop()!) ?? []) {
      out.push(c);
      todo.push(c.pid);
    }
  }
  return out;
}

/**
 * Whether the process still runs (a zombie has ended). Only a /proc that says there is no such
 * process (NotFound, or ESRCH as it ends) makes it dead: one that cannot be read (EACCES under
 * hidepid, EMFILE, no /proc) may hide a living process, which is taken to run.
 */
export function alive(p: Proc): boolean {
  let s: Stat;
  try {
    s = readStat(p.pid);
  } catch (e) {
    return !(e instanceof Deno.errors.NotFound || (e as { code?: string }).code === "ESRCH");
  }
  return s.start === p.start && s.state !== "Z";
}

/**
 * What tells apart the pids of this /proc from those of another: this host's boot (the first 8
 * hex digits of its boot_id) and the pid namespace /proc shows (the inode of its ns/pid), as
 * `<boot>n<inode>`; read once. Null when it cannot be told (no /proc, or a /proc mounted for
 * another pid namespace than this process's, where its pid names another process): a name
 * carrying a pid is then of no use to another process.
 */
export function procTag(): string | null {
  if (tag === undefined) {
    try {
      const boot = Deno.readTextFileSync("/proc/sys/kernel/random/boot_id").replace(/-/g, "");
      const ns = Deno.statSync("/proc/self/ns/pid").ino;
      tag = Deno.readLinkSync("/proc/self") === String(Deno.pid) && /^[0-9a-f]{8}/.test(boot) &&
          ns
        ? `${boot.slice(0, 8)}n${ns}`
        : null;
    } catch {
      tag = null;
    }
  }
  return tag;
}
let tag: string | null | undefined;
