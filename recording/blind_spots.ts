/**
 * What a recording cannot show, said where its reader looks (manifest.json `blind_spots`, the
 * summary a capture prints, the HTML report, reports/blind_spots.md): the paths around the
 * capture for which the kernel here offers no tracepoint (no kprobes, fentry or BPF LSM), and
 * the io_uring requests the capture saw but could not decode. An empty table is no proof that
 * nothing happened along these paths.
 */

/** io_uring opcodes by number (include/uapi/linux/io_uring.h, enum io_uring_op, Linux 6.18). */
export const URING_OP_NAMES: readonly string[] = [
  "nop",
  "readv",
  "writev",
  "fsync",
  "read_fixed",
  "write_fixed",
  "poll_add",
  "poll_remove",
  "sync_file_range",
  "sendmsg",
  "recvmsg",
  "timeout",
  "timeout_remove",
  "accept",
  "async_cancel",
  "link_timeout",
  "connect",
  "fallocate",
  "openat",
  "close",
  "files_update",
  "statx",
  "read",
  "write",
  "fadvise",
  "madvise",
  "send",
  "recv",
  "openat2",
  "epoll_ctl",
  "splice",
  "provide_buffers",
  "remove_buffers",
  "tee",
  "shutdown",
  "renameat",
  "unlinkat",
  "mkdirat",
  "symlinkat",
  "linkat",
  "msg_ring",
  "fsetxattr",
  "setxattr",
  "fgetxattr",
  "getxattr",
  "socket",
  "uring_cmd",
  "send_zc",
  "sendmsg_zc",
  "read_multishot",
  "waitid",
  "futex_wait",
  "futex_wake",
  "futex_waitv",
  "fixed_fd_install",
  "ftruncate",
  "bind",
  "listen",
  "recv_zc",
  "epoll_wait",
  "readv_fixed",
  "writev_fixed",
  "pipe",
];

/** The name of opcode `op`; the last counter slot (63) also holds newer opcodes. */
export function uringOpName(op: number): string {
  return op < URING_OP_NAMES.length ? URING_OP_NAMES[op] : "newer opcode (63 or above)";
}

/**
 * io_uring opcodes that act on files, sockets or processes: the capture decodes them into rows,
 * or counts them as not decoded.
 */
export const URING_ACTIONS: ReadonlySet<string> = new Set([
  // files
  ...["openat", "openat2", "renameat", "unlinkat", "mkdirat", "symlinkat", "linkat"],
  ...["ftruncate", "fsetxattr", "setxattr"],
  // sockets
  ...["connect", "accept", "bind", "listen", "send", "sendmsg", "send_zc", "sendmsg_zc"],
  // other rings, driver commands
  ...["msg_ring", "uring_cmd"],
]);

/**
 * The other opcodes, which do nothing the tables record for their system call twins either:
 * reads and writes of descriptors already open (their opens are recorded), polls, timeouts,
 * buffers, metadata reads, socket creation, futexes. (A newer opcode than these counts as
 * acting.)
 */
export const URING_NO_ACTION: ReadonlySet<string> = new Set(
  URING_OP_NAMES.filter((op) => !URING_ACTIONS.has(op)),
);

export interface BlindSpot {
  /** stable name, e.g. `io_uring-not-decoded` */
  id: string;
  /** a few words naming it, e.g. `writes through open descriptors` (since 0.2.0) */
  title?: string;
  /** one or two sentences: what the tables do not show */
  what: string;
  /** how many times this recording ran into it, when that can be counted */
  count?: number;
}

/** What no recording made on this kernel shows, whatever was run. */
export const STANDING_BLIND_SPOTS: readonly BlindSpot[] = [
  {
    id: "lexical-paths",
    title: "where symlinks lead",
    what: "Paths are recorded as the program named them, resolved without following symlinks " +
      "or bind mounts: where a symlink leads is not resolved (no LSM or fentry hook sees the " +
      "final path here). Symlinks and hard links a traced process makes are recorded.",
  },
  {
    id: "descriptor-writes",
    title: "writes through open descriptors",
    what: "What is written through an open descriptor or a shared mapping is not recorded: " +
      "the open for writing is, its write(2)s, mmap stores, sendfile, splice and " +
      "copy_file_range are not.",
  },
  {
    id: "foreign-descriptors",
    title: "descriptors from outside",
    what: "Descriptors a traced process gets from outside the capture (inherited, received " +
      "over a unix socket, pidfd_getfd, io_uring msg_ring) were opened elsewhere: using them " +
      "leaves no open row.",
  },
  {
    id: "outside-processes",
    title: "work of untraced processes",
    what: "Work done by processes that are not descendants of the command (a daemon asked " +
      "over a socket or D-Bus, systemd-run, cron, a container runtime) is not traced; only " +
      "the connect to the daemon's socket is.",
  },
  {
    id: "http-proxy",
    title: "where connections through an HTTP proxy go",
    what: "Through an HTTP proxy (`HTTPS_PROXY`, `HTTP_PROXY`), on this machine or another, a " +
      "connection's net row names the proxy and no DNS question names the host behind it (the " +
      "proxy resolves it), so the net views and the exfiltration detector's destinations are " +
      "the proxy. Where it went is recorded in ipc (the client's `CONNECT host:port` and the " +
      "proxy's answer, or a request in absolute form with its Host) and, for HTTPS, in the " +
      "Host header the TLS hooks read. What a tunnel carries is read only when it is HTTP: " +
      "cleartext (recorded whole) or TLS whose library is hooked; another protocol through it " +
      "(SSH, a database's) shows its CONNECT only.",
  },
  {
    id: "datagrams",
    title: "datagrams beyond DNS",
    what: "Datagrams sent without connect(2) to ports other than 53 (sendto, sendmsg, " +
      "sendmmsg) and raw or packet sockets are not recorded, except DNS questions: on any UDP " +
      "port a datagram sent whole in one buffer (sendto, send, sendmsg with one iovec, write " +
      "or writev with one iovec on a connected socket; sendmmsg's first two messages) that is " +
      "exactly one DNS query by its format is a `dns` row (a resolver on 5353 or a dnsmasq's " +
      "own port; NetBIOS name, LLMNR and single-question mDNS queries have that format and " +
      "are rows too); one that only looks like a query is counted in a manifest warning. " +
      "Over TCP only port 53 is read (questions and answers to another TCP port are not), " +
      "and only on a connected socket: a question sent by sendmsg with an address and " +
      "MSG_FASTOPEN (musl's TCP fallback) is no row, nor is its answer. " +
      "Answers (`dns_answer` rows) are read from the socket " +
      "a question went out on, by recvfrom, recvmsg, read or readv (their first buffer), " +
      "when they carry the id of one of the last two questions sent on it: not by recvmmsg " +
      "or io_uring, not on another socket, not past their first 2048 bytes (the records " +
      "after: `...`), and only their A, AAAA and CNAME records. DNS over TLS or HTTPS (a " +
      "browser's or a runtime's own resolver) is in `tls`, not read as DNS.",
  },
  {
    id: "attributes",
    title: "extended attributes and ioctls",
    what: "Extended attributes (setxattr: file capabilities, ACLs) and ioctls are not " +
      "recorded, nor are prctl's other options (PR_SET_PDEATHSIG, PR_SET_DUMPABLE, " +
      "PR_SET_MM...) or the seccomp filter's program; a process's set*id, setgroups and " +
      "capset calls, prctl's capability and privilege settings (PR_CAPBSET_DROP, " +
      "PR_CAP_AMBIENT, PR_SET_KEEPCAPS, PR_SET_SECUREBITS, PR_SET_NO_NEW_PRIVS, " +
      "PR_SET_SECCOMP) and seccomp(2)'s SET_MODE_FILTER and SET_MODE_STRICT are (`privilege`).",
  },
  {
    id: "inside-namespaces",
    title: "what is set up inside namespaces",
    what: "Entering namespaces is recorded (`privilege` rows of unshare, setns, and clone and " +
      "clone3 with a CLONE_NEW* flag), what is set up inside them is not: mounts (mount, " +
      "pivot_root, bind mounts, a tmpfs over a directory: a path in a new mount namespace is " +
      "as its process named it, not where it lies on the host), a user namespace's uid and " +
      "gid maps (their writes show only as opens of /proc/PID/uid_map), the inode numbers of " +
      "the namespaces unshare and clone make (later rows' `net_ns` and `mnt_ns` show them), " +
      "those a setns through a pidfd enters, and namespaces set up for the agent by processes " +
      "outside the capture (a container runtime).",
  },
  {
    id: "root",
    title: "a root process stopping the capture",
    what: "A traced process running as root can detach the capture's probes or stop its " +
      "loader (the recording then ends early: see `complete` and `errors`), or load kernel " +
      "code of its own.",
  },
];

/** Standing blind spots that say something is recorded which recordings before 0.5.2 lack. */
const SINCE_0_5_2: ReadonlySet<string> = new Set(["inside-namespaces"]);

/**
 * The standing blind spots of a recording whose manifest states none (made before 0.2.0):
 * those that hold for it (not one saying that entering namespaces is recorded: it was not).
 */
export const OLD_STANDING_BLIND_SPOTS: readonly BlindSpot[] = STANDING_BLIND_SPOTS.filter(
  (b) => !SINCE_0_5_2.has(b.id),
);

/** io_uring counts as the manifest keeps them: requests by opcode name. */
export interface UringCounts {
  /** requests traced processes submitted */
  requests: Record<string, number>;
  /** of which the capture made a row (or found not to be DNS, for sends) */
  recorded: Record<string, number>;
}

/**
 * Requests that act on files, sockets or processes and were not decoded, by opcode: xattrs,
 * uring_cmd, msg_ring, multishot accepts, fixed files sent to without an address...
 */
export function uringNotDecoded(c: UringCounts): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [op, n] of Object.entries(c.requests)) {
    if (URING_NO_ACTION.has(op)) continue;
    const missed = n - (c.recorded[op] ?? 0);
    if (missed > 0) out[op] = missed;
  }
  return out;
}

/**
 * The kinds of kernel hook a capture could attach besides tracepoints and uprobes, as found on
 * the machine it ran on: true (a program loads and attaches there), false (it does not; `why`
 * says what failed), null (could not tell).
 */
export interface KernelHooks {
  /** kprobes and kretprobes (a kprobe event source) */
  kprobes: boolean | null;
  /** fentry/fexit (BPF trampolines) */
  fentry: boolean | null;
  /** BPF LSM hooks */
  bpf_lsm: boolean | null;
  /** per hook that is not available, why, e.g. `load: Invalid argument` */
  why: Record<string, string>;
}

export const UNKNOWN_HOOKS: KernelHooks = { kprobes: null, fentry: null, bpf_lsm: null, why: {} };

function hookState(h: KernelHooks, key: "kprobes" | "fentry" | "bpf_lsm", name: string): string {
  const v = h[key];
  if (v === null) return `${name}: not probed`;
  if (v) return `${name}: available, not used`;
  return `${name}: not available${h.why[key] ? ` (${h.why[key]})` : ""}`;
}

/**
 * What the capture's kind of hooks cannot see: it attaches tracepoints (system calls, sched,
 * sock, io_uring) and uprobes, no kprobes, fentry/fexit or BPF LSM programs; and what the
 * kernel it ran on offers of those.
 */
export function kernelHooksSpot(h: KernelHooks): BlindSpot {
  return {
    id: "kernel-hooks",
    title: "inside the kernel",
    what: "System calls are seen at their tracepoints (io_uring requests at theirs), with no " +
      "kprobe, fentry/fexit or BPF LSM hook inside the kernel: what a call does once made (the " +
      "file a path finally resolves to, permission and capability checks, module loading, the " +
      "kernel acting on another process's behalf) is not seen. This kernel: " +
      `${hookState(h, "kprobes", "kprobes")}; ${hookState(h, "fentry", "fentry")}; ${
        hookState(h, "bpf_lsm", "BPF LSM")
      }.`,
  };
}

/**
 * What a recording whose manifest lists no blind spots (made before 0.2.0, or its manifest
 * lost) could not show, on top of the standing blind spots.
 */
export const BEFORE_BLIND_SPOTS: BlindSpot = {
  id: "before-0.2.0",
  title: "recorded before 0.2.0",
  what: "The manifest states no blind spots: the recording was made before Sightline 0.2.0 " +
    "(or its manifest is lost), which recorded no io_uring requests, bind, listen or accept, " +
    "link, symlink, chmod, chown, truncate or time changes, memfd executions, ptrace, " +
    "process_vm_writev or set*id calls, and no DNS over TCP: the tables hold none of these " +
    "whether they happened or not.",
};

/** The blind spots of one recording: what it ran into, the kernel's, and the standing ones. */
export function blindSpotsOf(
  uring: UringCounts | null,
  uringAttached: boolean,
  hooks: KernelHooks = UNKNOWN_HOOKS,
): BlindSpot[] {
  const out: BlindSpot[] = [];
  if (!uringAttached) {
    out.push({
      id: "io_uring-not-attached",
      title: "io_uring",
      what: "The io_uring tracepoints could not be attached on this kernel: operations " +
        "submitted through io_uring are not recorded at all.",
    });
  }
  const missed = uring ? uringNotDecoded(uring) : {};
  const n = Object.values(missed).reduce((a, b) => a + b, 0);
  if (n > 0) {
    const ops = Object.entries(missed).map(([op, k]) => `${op} ${k}`).join(", ");
    out.push({
      id: "io_uring-not-decoded",
      title: "io_uring requests not decoded",
      what: `${n} io_uring request${n === 1 ? "" : "s"} of traced processes acted on ` +
        `files, sockets or processes in ways the capture could not decode (${ops}): what ` +
        `they did is not in the tables.`,
      count: n,
    });
  }
  return [...out, kernelHooksSpot(hooks), ...STANDING_BLIND_SPOTS];
}
