/**
 * From decoded kernel records to table rows: clock conversion, path resolution, address and
 * DNS decoding. Pure functions; the recorder feeds them and writes what they return.
 */
import { type DnsQuestion, parseDnsAnswer, parseDnsQueryStrict, parseDnsQuestion } from "./dns.ts";
import { DNS_ANSWER_MAX, Flag, GROUPS_KEPT, type SlEvent, waitStatus } from "./events.ts";
import { baseToPath, normalizeAbsolute, resolvePath } from "./paths.ts";
import {
  type FileRow,
  type NetRow,
  type PrivilegeRow,
  type ProcessRow,
  UNUSED_PROCESS_COLUMNS,
} from "../recording/schema.ts";
import { namespaceFlags } from "./ns_flags.ts";
import { prctlRequest, seccompRequest } from "./prctl_requests.ts";
import { signalName } from "./signal_names.ts";
import { familyName, formatAddr, sockTypeName } from "./sockaddr.ts";

/** Converts CLOCK_BOOTTIME ns to wall-clock ns since the epoch. */
export type Clock = (bootNs: bigint) => bigint;

type Ev<K extends number> = SlEvent & { kind: K };

/** A process row of `kind` from its kernel record, the columns the kind does not use empty. */
function processRow(ev: Ev<1 | 2 | 3>, clock: Clock, kind: ProcessRow["kind"]): ProcessRow {
  return {
    ts_ns: clock(ev.ts),
    pid: ev.pid,
    ppid: ev.ppid,
    tid: ev.tid,
    uid: ev.uid | 0,
    kind,
    comm: ev.comm,
    ...UNUSED_PROCESS_COLUMNS,
  };
}

/** A namespace's inode number, null when the kernel side could not read it (0). */
function ns(inum: number): bigint | null {
  return inum ? BigInt(inum) : null;
}

export function forkRow(ev: Ev<1>, clock: Clock): ProcessRow {
  return { ...processRow(ev, clock, "fork"), net_ns: ns(ev.netNs), mnt_ns: ns(ev.mntNs) };
}

export function execRow(ev: Ev<2>, clock: Clock): ProcessRow {
  return {
    ...processRow(ev, clock, "exec"),
    filename: ev.filename.startsWith("/") ? ev.filename : resolvePath(ev.filename, ev.cwd),
    argv: ev.argv,
    argv_truncated: (ev.hflags & Flag.TRUNC) !== 0,
    cwd: baseToPath(ev.cwd),
    exe: ev.exe.length ? baseToPath(ev.exe) : null,
    exe_unlinked: ev.exeUnlinked,
    net_ns: ns(ev.netNs),
    mnt_ns: ns(ev.mntNs),
  };
}

export function exitRow(ev: Ev<3>, clock: Clock): ProcessRow {
  const { code, signal } = waitStatus(ev.status);
  return { ...processRow(ev, clock, "exit"), exit_code: code, exit_signal: signal };
}

const TWO_PATHS = new Set(["rename", "link", "symlink"]);

function via(hflags: number): "io_uring" | "syscall" {
  return (hflags & Flag.URING) ? "io_uring" : "syscall";
}

/** open(2)'s O_NOFOLLOW, O_CREAT and O_EXCL; the *at calls' AT_SYMLINK_NOFOLLOW, AT_SYMLINK_FOLLOW */
const O_NOFOLLOW = 0o400000n;
const O_CREAT_EXCL = 0o300n;
const AT_SYMLINK_NOFOLLOW = 0x100n;
const AT_SYMLINK_FOLLOW = 0x400n;

/**
 * Whether a call follows its path's last name when it is a symlink (so a bare /proc/self/fd/N
 * names the file open on fd N): an open without O_NOFOLLOW (or O_CREAT|O_EXCL), a link with
 * AT_SYMLINK_FOLLOW, a chmod, chown or utimes without AT_SYMLINK_NOFOLLOW (lchown carries it),
 * a truncate, a chroot; never an unlink, rmdir, rename, mkdir or a symlink's new name.
 */
export function followsLastName(op: FileRow["op"], flags: bigint): boolean {
  switch (op) {
    case "open":
      return (flags & O_NOFOLLOW) === 0n && (flags & O_CREAT_EXCL) !== O_CREAT_EXCL;
    case "link":
      return (flags & AT_SYMLINK_FOLLOW) !== 0n;
    case "chmod":
    case "chown":
    case "utimes":
      return (flags & AT_SYMLINK_NOFOLLOW) === 0n;
    case "truncate":
    case "chroot":
    case "chdir":
      return true;
    default:
      return false;
  }
}

/** a descriptor's name the kernel side does not resolve: another process's (or its own by
 * pid) /proc/PID/fd/N, /dev/stdin, /dev/stdout, /dev/stderr; and /proc/self/fd/N, /dev/fd/N
 * left as written */
const FD_NAME =
  /^\/(?:proc\/[^/]+(?:\/task\/[^/]+)?\/fd\/\d+|dev\/fd\/\d+|dev\/std(?:in|out|err))$/;
const O_ACCMODE = 3n;

/**
 * Whether an open for writing names its file by a descriptor the capture did not resolve (the
 * path is still a descriptor's name, and the descriptor is not a pipe's, socket's or memfd's,
 * whose one name the kernel side read): what it wrote is not said by its path.
 */
function unresolvedWrite(ev: Ev<4>, path: string): boolean {
  if (ev.op !== "open" || (ev.flags & O_ACCMODE) === 0n || !FD_NAME.test(path)) return false;
  return ev.base.length !== 1;
}

export function fileRow(ev: Ev<4>, clock: Clock): FileRow {
  const hasPath2 = TWO_PATHS.has(ev.op);
  // a second path's base is its own (base2; empty: "/" unless the kernel side could not read
  // it), never the first path's
  const path2 = hasPath2
    ? resolvePath(ev.path2, ev.base2, {
      follow: false,
      baseUnknown: (ev.hflags & Flag.BASE2_UNKNOWN) !== 0,
    })
    : null;
  let path: string;
  if (ev.op === "chdir") path = baseToPath(ev.base);
  // a chroot that succeeded: the new root the kernel side walked from the namespace's top
  else if (ev.op === "chroot" && ev.ret === 0n) path = baseToPath(ev.base);
  else if (ev.op === "memfd_create") path = `memfd:${ev.path}`;
  else if (ev.op === "symlink") {
    // the target is resolved when the link is followed, from the link's directory; an
    // absolute one as written (/proc/self/fd/N in it names the follower's descriptor)
    path = ev.path.startsWith("/")
      ? normalizeAbsolute(ev.path)
      : resolvePath(ev.path, path2!.split("/").slice(1, -1).reverse());
  } else {
    path = resolvePath(ev.path, ev.base, {
      follow: followsLastName(ev.op, ev.flags),
      baseUnknown: (ev.hflags & Flag.BASE_UNKNOWN) !== 0,
    });
  }
  return {
    ts_ns: clock(ev.ts),
    pid: ev.pid,
    tid: ev.tid,
    op: ev.op,
    path,
    path2,
    raw_path: ev.path,
    raw_path2: hasPath2 ? ev.path2 : null,
    flags: ev.flags,
    mode: ev.mode | 0,
    ret: ev.ret,
    path_incomplete:
      (ev.hflags & (Flag.CWD_TRUNC | Flag.BASE_UNKNOWN | Flag.BASE2_UNKNOWN)) !== 0 ||
      unresolvedWrite(ev, path),
    length: ev.op === "truncate" ? ev.length : null,
    owner: ev.op === "chown" ? ev.owner : null,
    group: ev.op === "chown" ? ev.group : null,
    via: via(ev.hflags),
  };
}

/** A connect, bind, listen or accept. */
export function netRow(ev: Ev<5>, clock: Clock): NetRow {
  const local = ev.op === "accept" ? formatAddr(ev.family, ev.laddr) : "";
  return {
    ts_ns: clock(ev.ts),
    pid: ev.pid,
    tid: ev.tid,
    op: ev.op,
    family: familyName(ev.family),
    addr: formatAddr(ev.family, ev.addr),
    port: ev.port,
    ret: ev.ret,
    qname: null,
    qtype: null,
    socktype: sockTypeName(ev.sotype),
    fd: ev.fd,
    local_addr: local || null,
    local_port: ev.op === "connect" || !ev.lport ? null : ev.lport,
    via: via(ev.hflags),
    net_ns: ns(ev.netNs),
    rcode: null,
    answers: null,
  };
}

/**
 * A net row of op `dns`; or null for a datagram to a port other than 53 that is not exactly one
 * DNS query (the kernel side passes on those that look like one: capture/dns.ts decides). An
 * answer (dir SL_DNS_ANSWER) is a row of op `dns_answer`, or null when it is not a response
 * by the strict parse.
 */
export function dnsRow(ev: Ev<6>, clock: Clock): NetRow | null {
  if (ev.dir === 1) {
    const a = parseDnsAnswer(ev.data, ev.data.length >= DNS_ANSWER_MAX);
    return a && {
      ...dnsBase(ev, clock, "dns_answer", a),
      rcode: a.rcode,
      answers: a.cut ? [...a.records, "..."] : a.records,
    };
  }
  const q = ev.port === 53 ? parseDnsQuestion(ev.data) : parseDnsQueryStrict(ev.data);
  if (!q && ev.port !== 53) return null;
  return dnsBase(ev, clock, "dns", q);
}

/** What a question's and an answer's rows share: where it went (or came from), the question. */
function dnsBase(ev: Ev<6>, clock: Clock, op: string, q: DnsQuestion | null): NetRow {
  return {
    ts_ns: clock(ev.ts),
    pid: ev.pid,
    tid: ev.tid,
    op,
    family: familyName(ev.family),
    addr: formatAddr(ev.family, ev.addr),
    port: ev.port,
    ret: 0n,
    qname: q?.qname ?? null,
    qtype: q?.qtype ?? null,
    socktype: sockTypeName(ev.sotype) ?? "dgram",
    fd: ev.fd,
    local_addr: null,
    local_port: null,
    via: via(ev.hflags),
    net_ns: ns(ev.netNs),
    rcode: null,
    answers: null,
  };
}

/** ptrace requests the kernel side records, by number */
const PTRACE_REQUESTS: Record<string, string> = {
  "0": "traceme",
  "4": "poketext",
  "5": "pokedata",
  "6": "pokeuser",
  "13": "setregs",
  "15": "setfpregs",
  "16": "attach",
  "16901": "setregset",
  "16902": "seize",
};

/** How many ids each set*id call takes. */
const ID_ARGS: Record<string, number> = {
  setuid: 1,
  setgid: 1,
  setfsuid: 1,
  setfsgid: 1,
  setreuid: 2,
  setregid: 2,
  setresuid: 3,
  setresgid: 3,
};

/**
 * Signal calls: where each takes its target and its signal. kill and rt_sigqueueinfo take a
 * pid as given (0, -1 or -PGID: a process group), tkill a thread id, tgkill a process (then
 * the thread), pidfd_send_signal a pidfd (no pid to record).
 */
const SIGNAL_ARGS: Record<string, { target: "a1" | null; sig: "a2" | "a3" }> = {
  kill: { target: "a1", sig: "a2" },
  rt_sigqueueinfo: { target: "a1", sig: "a2" },
  tkill: { target: "a1", sig: "a2" },
  tgkill: { target: "a1", sig: "a3" },
  pidfd_send_signal: { target: null, sig: "a2" },
};

/** The namespace calls: how each names its CLONE_NEW* flags. */
function namespaceRequest(ev: Ev<12>): string | null {
  switch (ev.op) {
    case "clone3":
      // its clone_args unreadable at the call's entry and exit: flags unknown
      if (ev.hflags & Flag.FAULT) return "flags unreadable";
      // read at its exit only: what memory held then, which the kernel's copy may differ from
      if (ev.hflags & Flag.LATE) {
        return `${namespaceFlags(ev.a1) ?? "no CLONE_NEW* flag"} (flags read after the call)`;
      }
      return namespaceFlags(ev.a1);
    case "unshare":
      return namespaceFlags(ev.a1);
    case "clone":
      return namespaceFlags(ev.a1, true);
    case "setns": // the type of the namespace file, else the nstype given (a pidfd's)
      return namespaceFlags(ev.a3 !== 0n ? ev.a3 : ev.a2);
  }
  return null;
}

const CLONES: ReadonlySet<string> = new Set(["clone", "clone3"]);

/** setgroups: the groups kept of its list (two 32-bit ids to each of a2, a3), as ids. */
function groupIds(ev: Ev<12>): string[] {
  const n = Math.max(0, Math.min(Number(BigInt.asIntN(32, ev.a1)), GROUPS_KEPT));
  const words = [ev.a2, ev.a3].flatMap((w) => [w & 0xffffffffn, (w >> 32n) & 0xffffffffn]);
  return words.slice(0, n).map((g) => String(BigInt.asIntN(32, g)));
}

/** capset: the three sets given, as hexadecimal masks (bit N: capability N, capabilities(7)). */
function capsetRequest(ev: Ev<12>): string {
  if (ev.hflags & Flag.FAULT) return "sets unreadable";
  const hex = (v: bigint) => `0x${BigInt.asUintN(64, v).toString(16)}`;
  return `effective ${hex(ev.a1)} permitted ${hex(ev.a2)} inheritable ${hex(ev.a3)}`;
}

/** setgroups: how many groups the list had (its first GROUPS_KEPT are the ids). */
function setgroupsRequest(ev: Ev<12>): string {
  if (ev.hflags & Flag.FAULT) return "groups unreadable";
  const n = Number(BigInt.asIntN(32, ev.a1));
  return `${n} group${n === 1 ? "" : "s"}`;
}

function privRequest(ev: Ev<12>, sig: { sig: "a2" | "a3" } | undefined): string | null {
  const int = (v: bigint) => Number(BigInt.asIntN(32, v));
  if (ev.op === "ptrace") return PTRACE_REQUESTS[String(ev.a1)] ?? String(ev.a1);
  if (sig) return signalName(int(ev[sig.sig]));
  if (ev.op === "capset") return capsetRequest(ev);
  if (ev.op === "setgroups") return setgroupsRequest(ev);
  if (ev.op === "prctl") return prctlRequest(ev.a1, ev.a2, ev.a3);
  if (ev.op === "seccomp") return seccompRequest(ev.a1, ev.a2);
  return namespaceRequest(ev);
}

export function privilegeRow(ev: Ev<12>, clock: Clock): PrivilegeRow {
  const nids = ID_ARGS[ev.op] ?? 0;
  const id = (v: bigint) => String(BigInt.asIntN(32, v));
  const sig = SIGNAL_ARGS[ev.op];
  const int = (v: bigint) => Number(BigInt.asIntN(32, v));
  return {
    ts_ns: clock(ev.ts),
    pid: ev.pid,
    tid: ev.tid,
    op: ev.op,
    target_pid: sig
      ? (sig.target ? int(ev[sig.target]) : null)
      : CLONES.has(ev.op)
      ? (ev.ret > 0n ? Number(ev.ret) : null)
      : ev.target >= 0
      ? ev.target
      : null,
    request: privRequest(ev, sig),
    ids: nids
      ? [ev.a1, ev.a2, ev.a3].slice(0, nids).map(id)
      : ev.op === "setgroups" && !(ev.hflags & Flag.FAULT)
      ? groupIds(ev)
      : null,
    ret: ev.ret,
    uid: ev.uid | 0,
    ns: ns(ev.ns),
  };
}
