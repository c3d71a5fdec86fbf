/**
 * The evasion suite's techniques: ways a tool an agent runs could act without the capture
 * seeing it (io_uring, other process creation paths, calls besides open/connect), each a small
 * C program in c/ run in a directory of its own, and what a recording must show for it: the
 * action itself, with the right path or port (`recorded`), or, for what the kernel here gives
 * no view of, a blind spot the manifest states (`reported`). Anything else is `not seen`.
 */
import type { Recording } from "../../recording/recording.ts";
import type { FileRow, NetRow, PrivilegeRow, ProcessRow } from "../../recording/schema.ts";

export type Status = "recorded" | "reported" | "not seen";

/** The rows of one technique's processes (its program and every descendant). */
export interface Evidence {
  /** the directory the program worked in */
  dir: string;
  pids: Set<number>;
  process: ProcessRow[];
  file: FileRow[];
  net: NetRow[];
  privilege: PrivilegeRow[];
  rec: Recording;
}

export interface Outcome {
  status: Status;
  /** what showed it (or what was looked for), with the directory written as DIR */
  evidence: string;
}

export interface Technique {
  id: string;
  /** what the program does */
  title: string;
  /** c/PROGRAM.c */
  program: string;
  /** arguments after the directory */
  args: string[];
  /** what the suite demands */
  expect: "recorded" | "reported";
  check(e: Evidence): Outcome;
}

const W_FLAGS = 0o1 | 0o2 | 0o100 | 0o1000; // O_WRONLY | O_RDWR | O_CREAT | O_TRUNC

function writes(f: FileRow): boolean {
  return f.op === "open" && (BigInt(f.flags) & BigInt(W_FLAGS)) !== 0n;
}

/** A check over file rows: each expectation must match some row. */
function files(
  e: Evidence,
  want: { what: string; ok: (f: FileRow) => boolean }[],
): Outcome {
  const found: string[] = [];
  for (const w of want) {
    const f = e.file.find(w.ok);
    if (!f) return { status: "not seen", evidence: `no file row for ${w.what}` };
    found.push(describeFile(f, e.dir));
  }
  return { status: "recorded", evidence: found.join("; ") };
}

function nets(e: Evidence, want: { what: string; ok: (n: NetRow) => boolean }[]): Outcome {
  const found: string[] = [];
  for (const w of want) {
    const n = e.net.find(w.ok);
    if (!n) return { status: "not seen", evidence: `no net row for ${w.what}` };
    found.push(describeNet(n));
  }
  return { status: "recorded", evidence: found.join("; ") };
}

function privs(
  e: Evidence,
  want: { what: string; ok: (p: PrivilegeRow) => boolean }[],
): Outcome {
  const found: string[] = [];
  for (const w of want) {
    const p = e.privilege.find(w.ok);
    if (!p) return { status: "not seen", evidence: `no privilege row for ${w.what}` };
    found.push(describePriv(p, e.pids));
  }
  return { status: "recorded", evidence: found.join("; ") };
}

function rel(path: string | null, dir: string): string {
  const parent = dir.replace(/\/[^/]+$/, "");
  return (path ?? "").replaceAll(dir, "DIR").replaceAll(parent, "DIR/..");
}

export function describeFile(f: FileRow, dir: string): string {
  const two = f.path2 ? ` -> ${rel(f.path2, dir)}` : "";
  const extra = [
    f.op === "open" ? `flags 0${Number(f.flags).toString(8)}` : "",
    f.op === "chmod" ? `mode 0${f.mode.toString(8)}` : "",
    f.op === "chown" ? `owner ${f.owner} group ${f.group}` : "",
    f.op === "truncate" ? `length ${f.length}` : "",
    f.op === "rename" && f.flags ? `flags ${f.flags}` : "",
  ].filter(Boolean).join(", ");
  return `file ${f.op} ${rel(f.path, dir)}${two}${extra ? ` (${extra})` : ""} via ${
    f.via ?? "syscall"
  }, ret ${f.ret}`;
}

export function describeNet(n: NetRow): string {
  if (n.op === "dns") {
    return `net dns ${n.qname} to ${n.addr}:${n.port} (${n.socktype}) via ${n.via ?? "syscall"}`;
  }
  // an accepted peer's port is whatever its kernel picked: left out
  const peer = n.op === "accept" ? `from ${n.addr}` : `${n.addr}:${n.port}`;
  const local = n.local_port ? ` local ${n.local_addr ?? ""}:${n.local_port}` : "";
  return `net ${n.op} ${peer}${local} via ${n.via ?? "syscall"}, ret ${n.ret}`;
}

function describePriv(p: PrivilegeRow, pids: Set<number>): string {
  const target = p.target_pid === null
    ? ""
    : ` pid ${pids.has(p.target_pid) ? "(its child)" : p.target_pid}`;
  const what = p.request ? `${p.op} ${p.request}` : p.op;
  return `privilege ${what}${target}${
    p.ids?.length ? ` ids ${p.ids.join(",")}` : ""
  }, ret ${p.ret}`;
}

const at = (e: Evidence, name: string) => `${e.dir}/${name}`;

/** A blind spot the manifest states, by id (and, for io_uring, naming the opcodes). */
function reported(e: Evidence, id: string, names: string[] = []): Outcome {
  const b = e.rec.manifest.blind_spots?.find((s) => s.id === id);
  if (!b || !names.every((n) => b.what.includes(n))) {
    return { status: "not seen", evidence: `the manifest states no blind spot ${id}` };
  }
  return { status: "reported", evidence: `manifest blind spot ${id}: ${b.what}` };
}

const uring = (f: { via?: string | null }) => f.via === "io_uring";

export const TECHNIQUES: Technique[] = [
  {
    id: "io_uring-openat",
    title: "io_uring openat (create, write) and openat2",
    program: "uring_openat",
    args: [],
    expect: "recorded",
    check: (e) =>
      files(e, [
        {
          what: "the io_uring create",
          ok: (f) => uring(f) && writes(f) && f.path === at(e, "uring_written.txt") && f.ret >= 0,
        },
        {
          what: "the io_uring openat2",
          ok: (f) =>
            uring(f) && f.op === "open" && !writes(f) && f.path === at(e, "uring_written.txt"),
        },
      ]),
  },
  {
    id: "io_uring-mkdirat",
    title: "io_uring mkdirat",
    program: "uring_fs",
    args: ["mkdir"],
    expect: "recorded",
    check: (e) =>
      files(e, [{
        what: "mkdir uring_dir",
        ok: (f) => uring(f) && f.op === "mkdir" && f.path === at(e, "uring_dir") && f.ret === 0n,
      }]),
  },
  {
    id: "io_uring-renameat",
    title: "io_uring renameat",
    program: "uring_fs",
    args: ["rename"],
    expect: "recorded",
    check: (e) =>
      files(e, [{
        what: "rename uring_old.txt -> uring_new.txt",
        ok: (f) =>
          uring(f) && f.op === "rename" && f.path === at(e, "uring_old.txt") &&
          f.path2 === at(e, "uring_new.txt"),
      }]),
  },
  {
    id: "io_uring-unlinkat",
    title: "io_uring unlinkat (a file, and a directory with AT_REMOVEDIR)",
    program: "uring_fs",
    args: ["unlink"],
    expect: "recorded",
    check: (e) =>
      files(e, [
        {
          what: "unlink uring_gone.txt",
          ok: (f) => uring(f) && f.op === "unlink" && f.path === at(e, "uring_gone.txt"),
        },
        {
          what: "rmdir uring_gone_dir",
          ok: (f) => uring(f) && f.op === "rmdir" && f.path === at(e, "uring_gone_dir"),
        },
      ]),
  },
  {
    id: "io_uring-linkat",
    title: "io_uring linkat",
    program: "uring_fs",
    args: ["link"],
    expect: "recorded",
    check: (e) =>
      files(e, [{
        what: "link uring_target.txt -> uring_hardlink.txt",
        ok: (f) =>
          uring(f) && f.op === "link" && f.path === at(e, "uring_target.txt") &&
          f.path2 === at(e, "uring_hardlink.txt"),
      }]),
  },
  {
    id: "io_uring-symlinkat",
    title: "io_uring symlinkat",
    program: "uring_fs",
    args: ["symlink"],
    expect: "recorded",
    check: (e) =>
      files(e, [{
        what: "symlink uring_symlink -> /etc/hostname",
        ok: (f) =>
          uring(f) && f.op === "symlink" && f.path === "/etc/hostname" &&
          f.path2 === at(e, "uring_symlink"),
      }]),
  },
  {
    id: "io_uring-ftruncate",
    title: "io_uring ftruncate",
    program: "uring_fs",
    args: ["ftruncate"],
    expect: "recorded",
    check: (e) =>
      files(e, [{
        what: "truncate uring_truncated.txt to 4096",
        ok: (f) =>
          uring(f) && f.op === "truncate" && f.path === at(e, "uring_truncated.txt") &&
          f.length === 4096n,
      }]),
  },
  {
    id: "io_uring-sqpoll",
    title: "io_uring with a kernel submission thread (SQPOLL): no system call at all",
    program: "uring_sqpoll",
    args: [],
    expect: "recorded",
    check: (e) =>
      files(e, [{
        what: "the create of uring_sqpoll.txt",
        ok: (f) => uring(f) && writes(f) && f.path === at(e, "uring_sqpoll.txt"),
      }]),
  },
  {
    id: "io_uring-connect",
    title: "io_uring connect",
    program: "uring_net",
    args: ["connect"],
    expect: "recorded",
    check: (e) =>
      nets(e, [{
        what: "a connect to 127.0.0.1:47195",
        ok: (n) =>
          uring(n) && n.op === "connect" && n.addr === "127.0.0.1" && n.port === 47195 &&
          n.ret === 0n,
      }]),
  },
  {
    id: "io_uring-bind-listen-accept",
    title: "io_uring bind, listen and accept (a bind shell without the system calls)",
    program: "uring_net",
    args: ["listen"],
    expect: "recorded",
    check: (e) =>
      nets(e, [
        {
          what: "bind 127.0.0.1:47193",
          ok: (n) => uring(n) && n.op === "bind" && n.port === 47193 && n.ret === 0n,
        },
        {
          what: "listen on 47193",
          ok: (n) => uring(n) && n.op === "listen" && n.port === 47193 && n.ret === 0n,
        },
        {
          what: "an accept from 127.0.0.1 on 47193",
          ok: (n) =>
            uring(n) && n.op === "accept" && n.addr === "127.0.0.1" && n.local_port === 47193 &&
            n.ret >= 0n,
        },
      ]),
  },
  {
    id: "io_uring-dns",
    title: "DNS questions by io_uring send (with an address) and sendmsg",
    program: "uring_net",
    args: ["dns"],
    expect: "recorded",
    check: (e) =>
      nets(
        e,
        ["uring-send.evasion.test", "uring-sendmsg.evasion.test"].map((q) => ({
          what: `dns ${q}`,
          ok: (n: NetRow) =>
            uring(n) && n.op === "dns" && n.qname === q && n.addr === "127.0.0.1" &&
            n.port === 53,
        })),
      ),
  },
  {
    id: "io_uring-undecoded",
    title: "io_uring fsetxattr and msg_ring, which the capture does not decode",
    program: "uring_undecoded",
    args: [],
    expect: "reported",
    check: (e) => reported(e, "io_uring-not-decoded", ["fsetxattr", "msg_ring"]),
  },
  {
    id: "bind-listen-accept",
    title: "bind, listen, accept4 and accept (a bind shell's network half)",
    program: "bind_shell",
    args: [],
    expect: "recorded",
    check: (e) =>
      nets(e, [
        { what: "bind 127.0.0.1:47191", ok: (n) => n.op === "bind" && n.port === 47191 },
        {
          what: "listen on 127.0.0.1:47191",
          ok: (n) => n.op === "listen" && n.addr === "127.0.0.1" && n.port === 47191,
        },
        {
          what: "two accepts from 127.0.0.1 on 47191",
          ok: (n) =>
            e.net.filter((m) =>
                m.op === "accept" && m.addr === "127.0.0.1" && m.local_port === 47191 && m.ret >= 0n
              ).length === 2 && n.op === "accept",
        },
      ]),
  },
  {
    id: "link",
    title: "hard links (link, linkat)",
    program: "file_ops",
    args: ["link"],
    expect: "recorded",
    check: (e) =>
      files(
        e,
        ["hard1.txt", "hard2.txt"].map((n) => ({
          what: `link orig.txt -> ${n}`,
          ok: (f: FileRow) =>
            f.op === "link" && f.path === at(e, "orig.txt") && f.path2 === at(e, n),
        })),
      ),
  },
  {
    id: "symlink",
    title: "symbolic links (symlink to /etc/shadow, symlinkat with a relative target)",
    program: "file_ops",
    args: ["symlink"],
    expect: "recorded",
    check: (e) =>
      files(e, [
        {
          what: "symlink shadow_link -> /etc/shadow",
          ok: (f) =>
            f.op === "symlink" && f.path === "/etc/shadow" && f.path2 === at(e, "shadow_link"),
        },
        {
          what: "symlinkat rel_link -> ../x",
          ok: (f) =>
            f.op === "symlink" && f.raw_path === "../x" &&
            f.path === e.dir.replace(/\/[^/]+$/, "/x") && f.path2 === at(e, "rel_link"),
        },
      ]),
  },
  {
    id: "chmod",
    title: "mode changes (chmod, fchmod, fchmodat to setuid, fchmodat2)",
    program: "file_ops",
    args: ["chmod"],
    expect: "recorded",
    check: (e) =>
      files(
        e,
        [0o755, 0o700, 0o4755, 0o644].map((m) => ({
          what: `chmod mode.txt 0${m.toString(8)}`,
          ok: (f: FileRow) => f.op === "chmod" && f.path === at(e, "mode.txt") && f.mode === m,
        })),
      ),
  },
  {
    id: "chown",
    title: "ownership changes (chown, lchown, fchown, fchownat)",
    program: "file_ops",
    args: ["chown"],
    expect: "recorded",
    check: (e) =>
      files(
        e,
        [[65534, 65534], [0, -1], [-1, 65534], [0, 0]].map(([o, g]) => ({
          what: `chown owned.txt ${o}:${g}`,
          ok: (f: FileRow) =>
            f.op === "chown" && f.path === at(e, "owned.txt") && f.owner === o && f.group === g,
        })),
      ),
  },
  {
    id: "truncate",
    title: "truncate and ftruncate",
    program: "file_ops",
    args: ["truncate"],
    expect: "recorded",
    check: (e) =>
      files(
        e,
        [12345n, 6789n].map((n) => ({
          what: `truncate sized.txt to ${n}`,
          ok: (f: FileRow) =>
            f.op === "truncate" && f.path === at(e, "sized.txt") && f.length === n,
        })),
      ),
  },
  {
    id: "utimes",
    title: "time stamps set (utimensat, futimens, utimes)",
    program: "file_ops",
    args: ["utimes"],
    expect: "recorded",
    check: (e) => {
      const n = e.file.filter((f) => f.op === "utimes" && f.path === at(e, "timed.txt")).length;
      return n === 3
        ? files(e, [{ what: "utimes", ok: (f) => f.op === "utimes" }])
        : { status: "not seen", evidence: `${n} of 3 utimes rows for DIR/timed.txt` };
    },
  },
  {
    id: "dns-tcp",
    title: "DNS over TCP to port 53 (writev as glibc does, and two writes)",
    program: "dns_tcp",
    args: [],
    expect: "recorded",
    check: (e) =>
      nets(
        e,
        ["tcp-writev.evasion.test", "tcp-write.evasion.test"].map((q) => ({
          what: `dns ${q} over TCP`,
          ok: (n: NetRow) =>
            n.op === "dns" && n.qname === q && n.socktype === "stream" && n.port === 53 &&
            n.addr === "127.0.0.77",
        })),
      ),
  },
  {
    id: "sendmmsg-dns",
    title: "DNS questions sent together with sendmmsg",
    program: "sendmmsg_dns",
    args: [],
    expect: "recorded",
    check: (e) =>
      nets(
        e,
        ["mmsg-one.evasion.test", "mmsg-two.evasion.test"].map((q) => ({
          what: `dns ${q}`,
          ok: (n: NetRow) => n.op === "dns" && n.qname === q && n.port === 53,
        })),
      ),
  },
  {
    id: "dns-udp-write",
    title: "a DNS question written with write(2) on a UDP socket connected to port 53 (as Go's " +
      "resolver sends)",
    program: "dns_udp_write",
    args: [],
    expect: "recorded",
    check: (e) =>
      nets(e, [{
        what: "dns udp-write.evasion.test",
        ok: (n: NetRow) =>
          n.op === "dns" && n.qname === "udp-write.evasion.test" && n.socktype === "dgram" &&
          n.port === 53,
      }]),
  },
  {
    id: "dns-other-port",
    title: "DNS questions to a resolver on another port: sendto to 5353, send on a socket " +
      "connected to another port",
    program: "udp_sendto",
    args: ["dns"],
    expect: "recorded",
    check: (e) =>
      nets(e, [
        {
          what: "dns port-5353.evasion.test",
          ok: (n: NetRow) =>
            n.op === "dns" && n.qname === "port-5353.evasion.test" && n.port === 5353,
        },
        {
          what: "dns connected-port.evasion.test",
          ok: (n: NetRow) => n.op === "dns" && n.qname === "connected-port.evasion.test",
        },
      ]),
  },
  {
    id: "udp-sendto",
    title: "a datagram sent with sendto to a port other than 53",
    program: "udp_sendto",
    args: [],
    expect: "reported",
    check: (e) => {
      const n = e.net.find((n) => n.port === 47199);
      if (n) return { status: "recorded", evidence: describeNet(n) };
      return reported(e, "datagrams");
    },
  },
  {
    id: "ptrace",
    title: "ptrace attach and poke into another process; process_vm_writev into another",
    program: "ptrace_poke",
    args: [],
    expect: "recorded",
    check: (e) =>
      privs(e, [
        {
          what: "PTRACE_ATTACH of its child",
          ok: (p) => p.request === "attach" && e.pids.has(p.target_pid ?? -1) && p.ret === 0n,
        },
        {
          what: "PTRACE_POKEDATA",
          ok: (p) => p.request === "pokedata" && e.pids.has(p.target_pid ?? -1),
        },
        {
          what: "process_vm_writev into its other child",
          ok: (p) => p.op === "process_vm_writev" && e.pids.has(p.target_pid ?? -1) && p.ret > 0n,
        },
      ]),
  },
  {
    id: "memfd-exec",
    title: "memfd_create, then exec of the memfd (fexecve): code run from memory",
    program: "memfd_exec",
    args: [],
    expect: "recorded",
    check: (e) => {
      const m = e.file.find((f) => f.op === "memfd_create" && f.path === "memfd:payload");
      const x = e.process.find((p) => p.kind === "exec" && p.exe_unlinked);
      if (!m || !x) {
        return { status: "not seen", evidence: `memfd_create ${!!m}, exec from memory ${!!x}` };
      }
      return {
        status: "recorded",
        evidence: `${describeFile(m, e.dir)}; exec ${x.filename} of ${x.exe} (no name on disk)`,
      };
    },
  },
  {
    id: "setuid",
    title: "credentials changed (setgroups to none, capset without inheritable capabilities, " +
      "setresgid, setresuid, setgid, setuid to nobody)",
    program: "setid",
    args: [],
    expect: "recorded",
    check: (e) =>
      privs(e, [
        { what: "setgroups to none", ok: (p) => p.op === "setgroups" && p.request === "0 groups" },
        {
          what: "capset, inheritable 0",
          ok: (p) => p.op === "capset" && / inheritable 0x0$/.test(p.request ?? ""),
        },
        {
          what: "setresgid 65534",
          ok: (p) => p.op === "setresgid" && p.ids?.join() === "65534,65534,65534",
        },
        { what: "setresuid 65534", ok: (p) => p.op === "setresuid" && p.ids?.[0] === "65534" },
        { what: "setgid", ok: (p) => p.op === "setgid" },
        { what: "setuid", ok: (p) => p.op === "setuid" },
      ]),
  },
  {
    id: "prctl-caps",
    title: "capabilities and privileges given up by prctl (PR_CAPBSET_DROP, " +
      "PR_CAP_AMBIENT_CLEAR_ALL, PR_SET_KEEPCAPS, PR_SET_NO_NEW_PRIVS with the option register's " +
      "high bits set) and a seccomp filter",
    program: "prctl_caps",
    args: [],
    expect: "recorded",
    check: (e) =>
      privs(
        e,
        [
          "PR_CAPBSET_DROP CAP_NET_RAW",
          "PR_CAP_AMBIENT_CLEAR_ALL",
          "PR_SET_KEEPCAPS 1",
          "PR_SET_NO_NEW_PRIVS 1",
        ].map((r) => ({ what: r, ok: (p: PrivilegeRow) => p.op === "prctl" && p.request === r }))
          .concat({
            what: "seccomp filter",
            ok: (p: PrivilegeRow) => p.op === "seccomp" && p.request === "SECCOMP_SET_MODE_FILTER",
          }),
      ),
  },
  {
    id: "namespaces",
    title: "namespaces entered as sandboxes enter them: unshare of a user and a network " +
      "namespace, clone3 into new user, mount, PID and network namespaces, setns into a " +
      "network namespace by its /proc/PID/ns/net file",
    program: "namespaces",
    args: ["enter"],
    expect: "recorded",
    check: (e) =>
      privs(e, [
        {
          what: "unshare CLONE_NEWUSER|CLONE_NEWNET",
          ok: (p) =>
            p.op === "unshare" && p.request === "CLONE_NEWUSER|CLONE_NEWNET" && p.ret === 0n,
        },
        {
          what: "clone3 of its child into new namespaces",
          ok: (p) =>
            p.op === "clone3" &&
            p.request === "CLONE_NEWNS|CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET" &&
            e.pids.has(p.target_pid ?? -1),
        },
        {
          what: "setns into that child's network namespace, named by its inode",
          ok: (p) => p.op === "setns" && p.request === "CLONE_NEWNET" && !!p.ns && p.ret === 0n,
        },
      ]),
  },
  {
    id: "mount-namespace",
    title: "in a user and mount namespace of its own, a tmpfs mounted over its directory and a " +
      "file written there: the path names the directory, the file is not in it",
    program: "namespaces",
    args: ["mount"],
    expect: "reported",
    check: (e) => {
      const u = e.privilege.find((p) =>
        p.op === "unshare" && p.request === "CLONE_NEWNS|CLONE_NEWUSER" && p.ret === 0n
      );
      const f = e.file.find((f) => writes(f) && f.path === at(e, "hidden.txt"));
      if (!u || !f) {
        return { status: "not seen", evidence: `unshare ${!!u}, open of DIR/hidden.txt ${!!f}` };
      }
      const r = reported(e, "inside-namespaces", ["mounts"]);
      return r.status === "reported"
        ? { ...r, evidence: `${describePriv(u, e.pids)}; ${describeFile(f, e.dir)}; ${r.evidence}` }
        : r;
    },
  },
  {
    id: "double-fork",
    title: "double fork: the grandchild, reparented when its parent exits, writes a file",
    program: "double_fork",
    args: [],
    expect: "recorded",
    check: (e) => {
      const o = e.file.find((f) => writes(f) && f.path === at(e, "orphan.txt"));
      if (!o) return { status: "not seen", evidence: "no open of DIR/orphan.txt" };
      const fork = e.process.find((p) => p.kind === "fork" && p.pid === o.pid);
      const parentGone = e.process.find((p) =>
        p.kind === "exit" && p.pid === fork?.ppid && p.ts_ns < o.ts_ns
      );
      return parentGone
        ? { status: "recorded", evidence: `${describeFile(o, e.dir)}, after its parent exited` }
        : { status: "not seen", evidence: "the open was seen, not the reparenting" };
    },
  },
  ...(["vfork", "clone3", "posix_spawn"] as const).map((how): Technique => ({
    id: how.replace("_", "-"),
    title: `a process made by ${how} creates a file`,
    program: "spawn",
    args: [how],
    expect: "recorded",
    check: (e) => {
      const name = { vfork: "vfork.txt", clone3: "clone3.txt", posix_spawn: "spawned.txt" }[how];
      const main = e.process.find((p) => p.kind === "exec" && p.filename?.endsWith("/spawn"));
      return files(e, [{
        what: `the create of ${name} by a new process`,
        ok: (f) => writes(f) && f.path === at(e, name) && f.pid !== main?.pid,
      }]);
    },
  })),
  {
    id: "execveat",
    title: "execveat by a directory fd and by the file's own fd (AT_EMPTY_PATH)",
    program: "execveat",
    args: [],
    expect: "recorded",
    check: (e) => {
      const execs = e.process.filter((p) => p.kind === "exec" && p.exe === "/usr/bin/touch");
      if (execs.length !== 2) {
        return { status: "not seen", evidence: `${execs.length} of 2 execs of /usr/bin/touch` };
      }
      const f = files(
        e,
        ["execveat.txt", "execveat_fd.txt"].map((n) => ({
          what: `the create of ${n}`,
          ok: (f: FileRow) => writes(f) && f.path === at(e, n),
        })),
      );
      return f.status === "recorded"
        ? {
          status: "recorded",
          evidence: `exec ${
            execs.map((x) => `${x.filename} as ${x.exe}`).join(", ")
          }; ${f.evidence}`,
        }
        : f;
    },
  },
  {
    id: "rename-exchange",
    title: "renameat2(RENAME_EXCHANGE): two files swap names",
    program: "rename_exchange",
    args: [],
    expect: "recorded",
    check: (e) =>
      files(e, [{
        what: "rename decoy.txt <-> payload.txt with RENAME_EXCHANGE",
        ok: (f) =>
          f.op === "rename" && f.path === at(e, "decoy.txt") && f.path2 === at(e, "payload.txt") &&
          (BigInt(f.flags) & 2n) !== 0n,
      }]),
  },
  {
    id: "open-by-handle",
    title: "open_by_handle_at: a file opened for writing by its handle, not its path",
    program: "open_by_handle",
    args: [],
    expect: "recorded",
    check: (e) =>
      files(e, [{
        what: "the open of handle.txt by handle",
        ok: (f) => writes(f) && f.raw_path === "" && f.path === at(e, "handle.txt"),
      }]),
  },
];

/** The rows of the processes under `root` (forks followed down). */
export function evidenceOf(rec: Recording, root: number, dir: string): Evidence {
  const pids = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of rec.process) {
      if (p.kind === "fork" && pids.has(p.ppid) && !pids.has(p.pid)) {
        pids.add(p.pid);
        grew = true;
      }
    }
  }
  return {
    dir,
    pids,
    process: rec.process.filter((p) => pids.has(p.pid)),
    file: rec.file.filter((f) => pids.has(f.pid)),
    net: rec.net.filter((n) => pids.has(n.pid)),
    privilege: rec.privilege.filter((p) => pids.has(p.pid)),
    rec,
  };
}
