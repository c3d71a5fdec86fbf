/**
 * Decoder for the loader's record stream: the TypeScript mirror of bpf/events.h.
 *
 * Every offset and size here matches a field of events.h; events_test.ts checks them against
 * `sightline-loader --layout`, so the two cannot drift apart silently.
 */

import { bytesText } from "../recording/byte_text.ts";
import { ipText } from "./sockaddr.ts";

/**
 * The events.h this decoder mirrors: the first 16 hex digits of its SHA-256. The loader is
 * built with the same digest of the events.h it was compiled from (bpf/Makefile) and sends it
 * when it connects; a loader that sends another (a build older than the sources) is refused
 * (loader.ts), not misread. events_test.ts checks it against bpf/events.h: change it with it.
 */
export const EVENTS_H_HASH = "80d2dc0aa1fe5c45";

export const Kind = {
  FORK: 1,
  EXEC: 2,
  EXIT: 3,
  FILE: 4,
  NET: 5,
  DNS: 6,
  TLS: 7,
  TLS_FREE: 8,
  GATE: 9,
  CTXFD: 10,
  FDCLOSE: 11,
  PRIV: 12,
  URING_DONE: 13,
  IPC: 14,
  ARGV: 15,
  READY: 64,
  STATS: 65,
  REPLY: 66,
  CHILD: 67,
  LOG: 68,
} as const;

/** Bytes of an exec's argv block recorded in all, SL_ARGV_KEEP (exec record + SL_K_ARGV). */
export const ARGV_KEEP = 1 << 20;

/** Kinds below this come from eBPF programs and index the drop counters. */
export const KERNEL_KIND_MAX = 16;

export const KIND_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(Kind).map(([k, v]) => [v, k.toLowerCase()]),
);

export const Flag = {
  TRUNC: 0x01,
  /** priv (clone3): its flags read at the call's exit, not its entry (shares TRUNC's bit) */
  LATE: 0x01,
  CWD_TRUNC: 0x02,
  LAST: 0x04,
  /** file: path2's base could not be read (its dirfd was not open; shares LAST's bit) */
  BASE2_UNKNOWN: 0x04,
  FAULT: 0x08,
  STOPPED: 0x10,
  BASE_UNKNOWN: 0x20,
  /** gate: the file was known but has changed since (shares BASE_UNKNOWN's bit: other kinds) */
  STALE: 0x20,
  URING: 0x40,
  PENDING: 0x80,
} as const;

export const FileOp: Record<number, FileOpName> = {
  1: "open",
  2: "unlink",
  3: "rename",
  4: "mkdir",
  5: "chdir",
  6: "rmdir",
  7: "link",
  8: "symlink",
  9: "chmod",
  10: "chown",
  11: "truncate",
  12: "utimes",
  13: "memfd_create",
  14: "chroot",
};
export type FileOpName =
  | "open"
  | "unlink"
  | "rename"
  | "mkdir"
  | "chdir"
  | "rmdir"
  | "link"
  | "symlink"
  | "chmod"
  | "chown"
  | "truncate"
  | "utimes"
  | "memfd_create"
  | "chroot";

export const NetOp: Record<number, NetOpName> = {
  1: "connect",
  2: "bind",
  3: "listen",
  4: "accept",
};
export type NetOpName = "connect" | "bind" | "listen" | "accept";

/** enum sl_priv_op */
export const PrivOp: Record<number, string> = {
  1: "ptrace",
  2: "process_vm_writev",
  3: "process_vm_readv",
  4: "setuid",
  5: "setgid",
  6: "setreuid",
  7: "setregid",
  8: "setresuid",
  9: "setresgid",
  10: "setfsuid",
  11: "setfsgid",
  12: "kill",
  13: "tkill",
  14: "tgkill",
  15: "pidfd_send_signal",
  16: "rt_sigqueueinfo",
  17: "unshare",
  18: "setns",
  19: "clone",
  20: "clone3",
  21: "setgroups",
  22: "capset",
  23: "prctl",
  24: "seccomp",
};

/** SL_DNS_ANSWER_MAX: bytes of a DNS answer the kernel side keeps (a longer one is cut there) */
export const DNS_ANSWER_MAX = 2048;

/** SL_GROUPS_KEPT: groups of a setgroups list the kernel side records (events_test checks it) */
export { GROUPS_KEPT } from "../recording/schema.ts";

/** io_uring opcodes counted in the stats (SL_URING_OPS) */
export const URING_OPS = 64;

/** sl_ready.missing bits */
export const Missing = { URING: 0x01 } as const;

export const GateReason = { EXEC: 1, MMAP: 2 } as const;

/** enum sl_ipc_kind: what an SL_K_IPC record's descriptor is. */
export const IpcKind: Record<number, "pipe" | "unix" | "tcp"> = { 1: "pipe", 2: "unix", 3: "tcp" };

/** Sizes and field offsets of events.h, as `sightline-loader --layout` prints them. */
export const LAYOUT = {
  sl_hdr: { size: 24, kind: 0, flags: 1, pid: 4, tid: 8, uid: 12, ts: 16 },
  sl_fork: { size: 56, ppid: 24, net_ns: 28, mnt_ns: 32, comm: 40 },
  sl_exec: {
    size: 88,
    ppid: 24,
    cwd_len: 28,
    filename_len: 30,
    argv_len: 32,
    exe_len: 36,
    exe_unlinked: 38,
    argv_total: 40,
    net_ns: 44,
    dev: 48,
    ino: 56,
    mnt_ns: 64,
    comm: 72,
    data: 88,
  },
  sl_argv: { size: 40, total: 24, offset: 28, len: 32, data: 40 },
  sl_exit: { size: 48, ppid: 24, status: 28, comm: 32 },
  sl_file: {
    size: 80,
    ret: 24,
    flags: 32,
    length: 40,
    uring_id: 48,
    mode: 56,
    owner: 60,
    group: 64,
    op: 68,
    path_len: 70,
    path2_len: 72,
    base_len: 74,
    base2_len: 76,
    data: 80,
  },
  sl_net: {
    size: 184,
    ret: 24,
    uring_id: 32,
    fd: 40,
    family: 44,
    port: 46,
    lport: 48,
    op: 50,
    sotype: 51,
    net_ns: 52,
    addr: 56,
    laddr: 168,
  },
  sl_dns: {
    size: 56,
    fd: 24,
    family: 28,
    port: 30,
    len: 32,
    sotype: 34,
    dir: 35,
    net_ns: 36,
    addr: 40,
    data: 56,
  },
  sl_priv: { size: 72, ret: 24, a1: 32, a2: 40, a3: 48, target: 56, op: 60, ns: 64 },
  sl_uring_done: { size: 40, uring_id: 24, res: 32, opcode: 36 },
  sl_tls: {
    size: 56,
    conn: 24,
    seq: 32,
    total: 40,
    offset: 44,
    len: 48,
    target: 52,
    dir: 54,
    data: 56,
  },
  sl_tls_free: { size: 40, conn: 24, target: 32 },
  sl_gate: { size: 56, dev: 24, ino: 32, addr: 40, fd: 48, reason: 52 },
  sl_ctxfd: { size: 40, ctx: 24, fd: 32, dir: 36 },
  sl_fdclose: { size: 32, fd: 24 },
  sl_ipc: {
    size: 104,
    inode: 24,
    peer_inode: 32,
    stream_off: 40,
    total: 48,
    offset: 52,
    len: 56,
    fd: 60,
    dir: 64,
    fdkind: 65,
    lport: 66,
    rport: 68,
    laddr: 72,
    raddr: 88,
    data: 104,
  },
  sl_ready: {
    size: 56,
    boot_to_real_ns: 24,
    child_pid: 32,
    ncpus: 36,
    max_tls_bytes: 40,
    version: 44,
    missing: 48,
  },
  sl_stats: {
    size: 1208,
    drops: 24,
    misses: 152,
    records: 160,
    bytes: 168,
    gated: 176,
    uring_seen: 184,
    uring_recorded: 696,
  },
  sl_reply: { size: 32, id: 24, err: 28, data: 32 },
  sl_child: { size: 32, status: 24, exec_errno: 28 },
  sl_log: { size: 24, data: 24 },
} as const;

export interface Header {
  kind: number;
  /** sl_hdr.flags (named so as not to clash with a record's own `flags`) */
  hflags: number;
  pid: number;
  tid: number;
  uid: number;
  /** CLOCK_BOOTTIME nanoseconds */
  ts: bigint;
}

export type SlEvent =
  | Header & {
    kind: 1;
    ppid: number;
    comm: string;
    /** the new process's network and mount namespaces (inode numbers; 0: unknown) */
    netNs: number;
    mntNs: number;
  }
  | Header & {
    kind: 2;
    ppid: number;
    comm: string;
    dev: bigint;
    ino: bigint;
    /** the process's network and mount namespaces at the exec (inode numbers; 0: unknown) */
    netNs: number;
    mntNs: number;
    /** cwd as components, leaf first */
    cwd: string[];
    /** the executed file's path as the kernel found it, components leaf first */
    exe: string[];
    exeUnlinked: boolean;
    filename: string;
    /** the args the record carries (all of them unless `argvTotal` > `argvHead`'s length) */
    argv: string[];
    /** bytes of the whole argv block; SL_K_ARGV records carry what the exec did not */
    argvTotal: number;
    /** only when `argvTotal` says more follows: a copy of the block's bytes carried here */
    argvHead?: Uint8Array;
  }
  | Header & { kind: 3; ppid: number; status: number; comm: string }
  | Header & {
    kind: 4;
    op: FileOpName;
    ret: bigint;
    flags: bigint;
    length: bigint;
    uringId: bigint;
    mode: number;
    owner: number;
    group: number;
    path: string;
    path2: string;
    /** the directories relative paths start from, components leaf first ([] = none) */
    base: readonly string[];
    base2: readonly string[];
  }
  | Header & {
    kind: 5;
    op: NetOpName;
    ret: bigint;
    uringId: bigint;
    fd: number;
    family: number;
    port: number;
    lport: number;
    sotype: number;
    /** the caller's network namespace (inode number; 0: unknown) */
    netNs: number;
    addr: Uint8Array;
    laddr: Uint8Array;
  }
  | Header & {
    kind: 6;
    fd: number;
    family: number;
    port: number;
    sotype: number;
    /** SL_DNS_QUESTION 0 (sent), SL_DNS_ANSWER 1 (read) */
    dir: number;
    netNs: number;
    addr: Uint8Array;
    data: Uint8Array;
  }
  | Header & {
    kind: 7;
    conn: bigint;
    seq: bigint;
    total: number;
    offset: number;
    target: number;
    dir: 0 | 1;
    data: Uint8Array;
  }
  | Header & { kind: 8; conn: bigint; target: number }
  | Header & { kind: 9; dev: bigint; ino: bigint; addr: bigint; fd: number; reason: number }
  | Header & { kind: 10; ctx: bigint; fd: number; dir: 0 | 1 }
  | Header & { kind: 11; fd: number }
  | Header & {
    kind: 12;
    op: string;
    ret: bigint;
    a1: bigint;
    a2: bigint;
    a3: bigint;
    target: number;
    /** setns: the namespace entered, by inode number; else 0 */
    ns: number;
  }
  | Header & { kind: 13; uringId: bigint; res: number; opcode: number }
  | Header & {
    kind: 15;
    /** bytes of the whole argv block */
    total: number;
    offset: number;
    /** bytes the chunk stands for (with Flag.FAULT, `data` is empty) */
    len: number;
    /** a view: whoever keeps it copies it */
    data: Uint8Array;
  }
  | Header & {
    kind: 14;
    inode: bigint;
    /** unix socket: the other end's inode; 0 for pipes */
    peerInode: bigint;
    streamOff: bigint;
    total: number;
    offset: number;
    /** bytes the chunk stands for (with Flag.FAULT, `data` is empty) */
    len: number;
    fd: number;
    dir: 0 | 1;
    fdkind: number;
    /** tcp: the local and remote ports; else 0 */
    lport: number;
    rport: number;
    /** tcp: the local and remote addresses (`ipText`); else "" */
    laddr: string;
    raddr: string;
    data: Uint8Array;
  }
  | Header & {
    kind: 64;
    bootToRealNs: bigint;
    childPid: number;
    ncpus: number;
    maxTlsBytes: number;
    version: number;
    /** Missing bits: programs that could not be attached */
    missing: number;
  }
  | Header & {
    kind: 65;
    drops: bigint[];
    misses: bigint;
    records: bigint;
    bytes: bigint;
    gated: bigint;
    /** io_uring requests of traced processes by opcode, and those recorded */
    uringSeen: bigint[];
    uringRecorded: bigint[];
  }
  | Header & { kind: 66; id: number; err: number; text: string }
  | Header & { kind: 67; status: number; execErrno: number }
  | Header & { kind: 68; text: string }
  | Header & { kind: 0 };

/** Strings up to this many bytes that are all ASCII are made from their char codes. */
const SHORT = 256;
/**
 * Arrays for the char codes of short strings, one per length, made when first needed (one
 * array whose length was set for each string was resized at most strings).
 */
const codesOf: number[][] = [];

/**
 * Bytes [s, e) of `b` as a string, losing none: valid UTF-8 as it is, each byte that is not
 * valid UTF-8 as `\uFFFDxNN`, a real U+FFFD doubled (recording/byte_text.ts; names are bytes,
 * and a replacing decoder made two names one). A short ASCII one, the usual case (paths,
 * comms, argv), is made from its char codes: a TextDecoder call per string cost more than the
 * rest of decoding a file event.
 */
function text(b: Uint8Array, s: number, e: number): string {
  const n = e - s;
  if (n === 0) return "";
  if (n > SHORT) return bytesText(b, s, e);
  const codes = codesOf[n] ??= new Array(n).fill(0);
  for (let i = 0; i < n; i++) {
    const c = b[s + i];
    if (c >= 0x80) return bytesText(b, s, e);
    codes[i] = c;
  }
  return String.fromCharCode.apply(null, codes);
}

/** A NUL-terminated (or not) string of at most `len` bytes. */
function str(b: Uint8Array, off: number, len: number): string {
  const end = Math.min(off + len, b.length);
  let z = b.indexOf(0, off);
  if (z < 0 || z > end) z = end;
  return text(b, off, z);
}

/** NUL-separated strings (a trailing NUL does not make an empty last item). */
export function splitNul(b: Uint8Array, off: number, len: number): string[] {
  const out: string[] = [];
  const end = Math.min(off + len, b.length);
  let s = off;
  for (let i = off; i < end; i++) {
    if (b[i] === 0) {
      out.push(text(b, s, i));
      s = i + 1;
    }
  }
  if (s < end) out.push(text(b, s, end));
  return out;
}

/**
 * The directory of the last event that had one, as bytes and as components: most file events
 * start from the same directory as the one before, and comparing its bytes costs less than
 * decoding its components again. The components are frozen, since events share them.
 */
const NO_DIR: readonly string[] = Object.freeze([]);

class DirCache {
  #bytes = new Uint8Array(0);
  #len = -1;
  #parts: readonly string[] = NO_DIR;
  /** The NUL-separated components of bytes [off, off + len) of `b`. */
  get(b: Uint8Array, off: number, len: number): readonly string[] {
    if (len === 0) return NO_DIR; // (an absolute path: the last directory is kept)
    if (len === this.#len) {
      const last = this.#bytes;
      let i = 0;
      while (i < len && b[off + i] === last[i]) i++;
      if (i === len) return this.#parts;
    }
    const parts = Object.freeze(splitNul(b, off, len));
    if (this.#bytes.length < len) this.#bytes = new Uint8Array(Math.max(64, len * 2));
    this.#bytes.set(b.subarray(off, off + len));
    this.#len = len;
    this.#parts = parts;
    return parts;
  }
}
const fileBase = new DirCache(), fileBase2 = new DirCache();

export class DecodeError extends Error {}

/** A view of the buffer the last record was in (the records of one read share it). */
let viewOf: ArrayBufferLike | undefined;
let view: DataView = new DataView(new ArrayBuffer(0));

function need(rec: Uint8Array, kind: number, size: number): void {
  if (rec.length < size) {
    throw new DecodeError(`${KIND_NAMES[kind] ?? kind} record of ${rec.length} bytes`);
  }
}

/**
 * Decodes one record (without its length prefix). `rec` may be a view into a larger buffer:
 * fields are read through one DataView of that buffer, made again only when a record comes
 * from another buffer (a view and a header object per record were a good part of the cost of
 * a file event).
 */
export function decode(rec: Uint8Array): SlEvent {
  if (rec.length < LAYOUT.sl_hdr.size) {
    throw new DecodeError(`record of ${rec.length} bytes is shorter than a header`);
  }
  if (rec.buffer !== viewOf) {
    viewOf = rec.buffer;
    view = new DataView(rec.buffer);
  }
  const v = view;
  const b = rec.byteOffset;
  const H = LAYOUT.sl_hdr;
  const kind = v.getUint8(b + H.kind);
  const hflags = v.getUint8(b + H.flags);
  const pid = v.getUint32(b + H.pid, true);
  const tid = v.getUint32(b + H.tid, true);
  const uid = v.getUint32(b + H.uid, true);
  const ts = v.getBigUint64(b + H.ts, true);
  switch (kind) {
    case Kind.FORK: {
      const L = LAYOUT.sl_fork;
      need(rec, kind, L.size);
      return {
        kind: 1,
        hflags,
        pid,
        tid,
        uid,
        ts,
        ppid: v.getUint32(b + L.ppid, true),
        netNs: v.getUint32(b + L.net_ns, true),
        mntNs: v.getUint32(b + L.mnt_ns, true),
        comm: str(rec, L.comm, 16),
      };
    }
    case Kind.EXEC: {
      const L = LAYOUT.sl_exec;
      need(rec, kind, L.size);
      const cwdLen = v.getUint16(b + L.cwd_len, true);
      const fnLen = v.getUint16(b + L.filename_len, true);
      const argvLen = v.getUint32(b + L.argv_len, true);
      const exeLen = v.getUint16(b + L.exe_len, true);
      let o = L.data;
      const cwd = splitNul(rec, o, cwdLen);
      o += cwdLen;
      const exe = splitNul(rec, o, exeLen);
      o += exeLen;
      const filename = str(rec, o, fnLen);
      o += fnLen;
      const argv = splitNul(rec, o, argvLen);
      const argvTotal = v.getUint32(b + L.argv_total, true);
      return {
        kind: 2,
        hflags,
        pid,
        tid,
        uid,
        ts,
        ppid: v.getUint32(b + L.ppid, true),
        comm: str(rec, L.comm, 16),
        dev: v.getBigUint64(b + L.dev, true),
        ino: v.getBigUint64(b + L.ino, true),
        netNs: v.getUint32(b + L.net_ns, true),
        mntNs: v.getUint32(b + L.mnt_ns, true),
        cwd,
        exe,
        exeUnlinked: v.getUint8(b + L.exe_unlinked) !== 0,
        filename,
        argv,
        argvTotal,
        ...(argvTotal > argvLen ? { argvHead: rec.slice(o, o + argvLen) } : {}),
      };
    }
    case Kind.EXIT: {
      const L = LAYOUT.sl_exit;
      need(rec, kind, L.size);
      return {
        kind: 3,
        hflags,
        pid,
        tid,
        uid,
        ts,
        ppid: v.getUint32(b + L.ppid, true),
        status: v.getInt32(b + L.status, true),
        comm: str(rec, L.comm, 16),
      };
    }
    case Kind.FILE: {
      const L = LAYOUT.sl_file;
      need(rec, kind, L.size);
      const pl = v.getUint16(b + L.path_len, true);
      const p2l = v.getUint16(b + L.path2_len, true);
      const bl = v.getUint16(b + L.base_len, true);
      const b2l = v.getUint16(b + L.base2_len, true);
      let o = L.data;
      const base = fileBase.get(rec, o, bl);
      o += bl;
      const base2 = fileBase2.get(rec, o, b2l);
      o += b2l;
      const path = str(rec, o, pl);
      o += pl;
      const path2 = str(rec, o, p2l);
      return {
        kind: 4,
        hflags,
        pid,
        tid,
        uid,
        ts,
        op: FileOp[v.getUint8(b + L.op)] ?? "open",
        ret: v.getBigInt64(b + L.ret, true),
        flags: v.getBigInt64(b + L.flags, true),
        length: v.getBigInt64(b + L.length, true),
        uringId: v.getBigUint64(b + L.uring_id, true),
        mode: v.getUint32(b + L.mode, true),
        owner: v.getInt32(b + L.owner, true),
        group: v.getInt32(b + L.group, true),
        path,
        path2,
        base,
        base2,
      };
    }
    case Kind.NET: {
      const L = LAYOUT.sl_net;
      need(rec, kind, L.size);
      return {
        kind: 5,
        hflags,
        pid,
        tid,
        uid,
        ts,
        op: NetOp[v.getUint8(b + L.op)] ?? "connect",
        ret: v.getBigInt64(b + L.ret, true),
        uringId: v.getBigUint64(b + L.uring_id, true),
        fd: v.getInt32(b + L.fd, true),
        family: v.getUint16(b + L.family, true),
        port: v.getUint16(b + L.port, true),
        lport: v.getUint16(b + L.lport, true),
        sotype: v.getUint8(b + L.sotype),
        netNs: v.getUint32(b + L.net_ns, true),
        addr: rec.slice(L.addr, L.laddr),
        laddr: rec.slice(L.laddr, L.laddr + 16),
      };
    }
    case Kind.DNS: {
      const L = LAYOUT.sl_dns;
      need(rec, kind, L.size);
      const len = v.getUint16(b + L.len, true);
      return {
        kind: 6,
        hflags,
        pid,
        tid,
        uid,
        ts,
        fd: v.getInt32(b + L.fd, true),
        family: v.getUint16(b + L.family, true),
        port: v.getUint16(b + L.port, true),
        sotype: v.getUint8(b + L.sotype),
        dir: v.getUint8(b + L.dir),
        netNs: v.getUint32(b + L.net_ns, true),
        addr: rec.slice(L.addr, L.addr + 16),
        data: rec.slice(L.data, L.data + len),
      };
    }
    case Kind.TLS: {
      const L = LAYOUT.sl_tls;
      need(rec, kind, L.size);
      const len = v.getUint32(b + L.len, true);
      need(rec, kind, L.data + len);
      return {
        kind: 7,
        hflags,
        pid,
        tid,
        uid,
        ts,
        conn: v.getBigUint64(b + L.conn, true),
        seq: v.getBigUint64(b + L.seq, true),
        total: v.getUint32(b + L.total, true),
        offset: v.getUint32(b + L.offset, true),
        target: v.getUint16(b + L.target, true),
        dir: v.getUint8(b + L.dir) ? 1 : 0,
        // a view: the TLS assembler copies what it keeps
        data: rec.subarray(L.data, L.data + len),
      };
    }
    case Kind.ARGV: {
      const L = LAYOUT.sl_argv;
      need(rec, kind, L.size);
      const len = v.getUint32(b + L.len, true);
      const data = (hflags & Flag.FAULT) ? rec.subarray(L.data, L.data) : rec.subarray(
        L.data,
        L.data + len,
      );
      need(rec, kind, L.data + data.length);
      return {
        kind: 15,
        hflags,
        pid,
        tid,
        uid,
        ts,
        total: v.getUint32(b + L.total, true),
        offset: v.getUint32(b + L.offset, true),
        len,
        data,
      };
    }
    case Kind.TLS_FREE: {
      const L = LAYOUT.sl_tls_free;
      need(rec, kind, L.size);
      return {
        kind: 8,
        hflags,
        pid,
        tid,
        uid,
        ts,
        conn: v.getBigUint64(b + L.conn, true),
        target: v.getUint16(b + L.target, true),
      };
    }
    case Kind.GATE: {
      const L = LAYOUT.sl_gate;
      need(rec, kind, L.size);
      return {
        kind: 9,
        hflags,
        pid,
        tid,
        uid,
        ts,
        dev: v.getBigUint64(b + L.dev, true),
        ino: v.getBigUint64(b + L.ino, true),
        addr: v.getBigUint64(b + L.addr, true),
        fd: v.getInt32(b + L.fd, true),
        reason: v.getUint8(b + L.reason),
      };
    }
    case Kind.CTXFD: {
      const L = LAYOUT.sl_ctxfd;
      need(rec, kind, L.size);
      return {
        kind: 10,
        hflags,
        pid,
        tid,
        uid,
        ts,
        ctx: v.getBigUint64(b + L.ctx, true),
        fd: v.getInt32(b + L.fd, true),
        dir: v.getUint8(b + L.dir) ? 1 : 0,
      };
    }
    case Kind.FDCLOSE: {
      const L = LAYOUT.sl_fdclose;
      need(rec, kind, L.size);
      return { kind: 11, hflags, pid, tid, uid, ts, fd: v.getInt32(b + L.fd, true) };
    }
    case Kind.PRIV: {
      const L = LAYOUT.sl_priv;
      need(rec, kind, L.size);
      return {
        kind: 12,
        hflags,
        pid,
        tid,
        uid,
        ts,
        op: PrivOp[v.getUint8(b + L.op)] ?? `op ${v.getUint8(b + L.op)}`,
        ret: v.getBigInt64(b + L.ret, true),
        a1: v.getBigInt64(b + L.a1, true),
        a2: v.getBigInt64(b + L.a2, true),
        a3: v.getBigInt64(b + L.a3, true),
        target: v.getInt32(b + L.target, true),
        ns: v.getUint32(b + L.ns, true),
      };
    }
    case Kind.URING_DONE: {
      const L = LAYOUT.sl_uring_done;
      need(rec, kind, L.size);
      return {
        kind: 13,
        hflags,
        pid,
        tid,
        uid,
        ts,
        uringId: v.getBigUint64(b + L.uring_id, true),
        res: v.getInt32(b + L.res, true),
        opcode: v.getUint8(b + L.opcode),
      };
    }
    case Kind.IPC: {
      const L = LAYOUT.sl_ipc;
      need(rec, kind, L.size);
      const len = v.getUint32(b + L.len, true);
      const fault = (hflags & Flag.FAULT) !== 0;
      if (!fault) need(rec, kind, L.data + len);
      const tcp = v.getUint8(b + L.fdkind) === 3;
      return {
        kind: 14,
        hflags,
        pid,
        tid,
        uid,
        ts,
        inode: v.getBigUint64(b + L.inode, true),
        peerInode: v.getBigUint64(b + L.peer_inode, true),
        streamOff: v.getBigUint64(b + L.stream_off, true),
        total: v.getUint32(b + L.total, true),
        offset: v.getUint32(b + L.offset, true),
        len,
        fd: v.getInt32(b + L.fd, true),
        dir: v.getUint8(b + L.dir) ? 1 : 0,
        fdkind: v.getUint8(b + L.fdkind),
        lport: v.getUint16(b + L.lport, true),
        rport: v.getUint16(b + L.rport, true),
        laddr: tcp ? ipText(rec.subarray(L.laddr, L.laddr + 16)) : "",
        raddr: tcp ? ipText(rec.subarray(L.raddr, L.raddr + 16)) : "",
        // a view: the IPC assembler copies what it keeps
        data: fault ? new Uint8Array(0) : rec.subarray(L.data, L.data + len),
      };
    }
    case Kind.READY: {
      const L = LAYOUT.sl_ready;
      need(rec, kind, L.size);
      return {
        kind: 64,
        hflags,
        pid,
        tid,
        uid,
        ts,
        bootToRealNs: v.getBigInt64(b + L.boot_to_real_ns, true),
        childPid: v.getUint32(b + L.child_pid, true),
        ncpus: v.getUint32(b + L.ncpus, true),
        maxTlsBytes: v.getUint32(b + L.max_tls_bytes, true),
        version: v.getUint32(b + L.version, true),
        missing: v.getUint32(b + L.missing, true),
      };
    }
    case Kind.STATS: {
      const L = LAYOUT.sl_stats;
      need(rec, kind, L.size);
      const drops: bigint[] = [];
      for (let i = 0; i < KERNEL_KIND_MAX; i++) {
        drops.push(v.getBigUint64(b + L.drops + 8 * i, true));
      }
      const counts = (at: number) =>
        Array.from({ length: URING_OPS }, (_, i) => v.getBigUint64(b + at + 8 * i, true));
      return {
        kind: 65,
        hflags,
        pid,
        tid,
        uid,
        ts,
        drops,
        misses: v.getBigUint64(b + L.misses, true),
        records: v.getBigUint64(b + L.records, true),
        bytes: v.getBigUint64(b + L.bytes, true),
        gated: v.getBigUint64(b + L.gated, true),
        uringSeen: counts(L.uring_seen),
        uringRecorded: counts(L.uring_recorded),
      };
    }
    case Kind.REPLY: {
      const L = LAYOUT.sl_reply;
      need(rec, kind, L.size);
      return {
        kind: 66,
        hflags,
        pid,
        tid,
        uid,
        ts,
        id: v.getUint32(b + L.id, true),
        err: v.getInt32(b + L.err, true),
        text: bytesText(rec, L.data, rec.length),
      };
    }
    case Kind.CHILD: {
      const L = LAYOUT.sl_child;
      need(rec, kind, L.size);
      return {
        kind: 67,
        hflags,
        pid,
        tid,
        uid,
        ts,
        status: v.getInt32(b + L.status, true),
        execErrno: v.getInt32(b + L.exec_errno, true),
      };
    }
    case Kind.LOG:
      return {
        kind: 68,
        hflags,
        pid,
        tid,
        uid,
        ts,
        text: bytesText(rec, LAYOUT.sl_log.data, rec.length),
      };
    default:
      return { kind: 0, hflags, pid, tid, uid, ts };
  }
}

/** Decodes a wait(2) status into an exit code, or a signal number. */
export function waitStatus(status: number): { code: number | null; signal: number | null } {
  const sig = status & 0x7f;
  if (sig === 0) return { code: (status >> 8) & 0xff, signal: null };
  if (sig === 0x7f) return { code: null, signal: null }; // stopped: not an end
  return { code: null, signal: sig };
}
