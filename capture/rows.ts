/**
 * From decoded kernel records to table rows: clock conversion, path resolution, address and
 * DNS decoding. Pure functions; the recorder feeds them and writes what they return.
 */
import { parseDnsQuestion } from "./dns.ts";
import { Flag, type SlEvent, waitStatus } from "./events.ts";
import { baseToPath, resolvePath } from "./paths.ts";
import type { FileRow, NetRow, ProcessRow } from "../recording/schema.ts";
import { familyName, formatAddr, sockTypeName } from "./sockaddr.ts";

/** Converts CLOCK_BOOTTIME ns to wall-clock ns since the epoch. */
export type Clock = (bootNs: bigint) => bigint;

type Ev<K extends number> = SlEvent & { kind: K };

export function forkRow(ev: Ev<1>, clock: Clock): ProcessRow {
  return {
    ts_ns: clock(ev.ts),
    pid: ev.pid,
    ppid: ev.ppid,
    tid: ev.tid,
    uid: ev.uid | 0,
    kind: "fork",
    comm: ev.comm,
    filename: null,
    argv: null,
    argv_truncated: false,
    cwd: null,
    exit_code: null,
    exit_signal: null,
  };
}

export function execRow(ev: Ev<2>, clock: Clock): ProcessRow {
  const cwd = baseToPath(ev.cwd);
  return {
    ts_ns: clock(ev.ts),
    pid: ev.pid,
    ppid: ev.ppid,
    tid: ev.tid,
    uid: ev.uid | 0,
    kind: "exec",
    comm: ev.comm,
    filename: ev.filename.startsWith("/") ? ev.filename : resolvePath(ev.filename, ev.cwd),
    argv: ev.argv,
    argv_truncated: (ev.hflags & Flag.TRUNC) !== 0,
    cwd,
    exit_code: null,
    exit_signal: null,
  };
}

export function exitRow(ev: Ev<3>, clock: Clock): ProcessRow {
  const { code, signal } = waitStatus(ev.status);
  return {
    ts_ns: clock(ev.ts),
    pid: ev.pid,
    ppid: ev.ppid,
    tid: ev.tid,
    uid: ev.uid | 0,
    kind: "exit",
    comm: ev.comm,
    filename: null,
    argv: null,
    argv_truncated: false,
    cwd: null,
    exit_code: code,
    exit_signal: signal,
  };
}

export function fileRow(ev: Ev<4>, clock: Clock): FileRow {
  const path = ev.op === "chdir" ? baseToPath(ev.base) : resolvePath(ev.path, ev.base);
  const hasPath2 = ev.op === "rename";
  return {
    ts_ns: clock(ev.ts),
    pid: ev.pid,
    tid: ev.tid,
    op: ev.op,
    path,
    path2: hasPath2 ? resolvePath(ev.path2, ev.base2.length ? ev.base2 : ev.base) : null,
    raw_path: ev.path,
    raw_path2: hasPath2 ? ev.path2 : null,
    flags: ev.flags,
    mode: ev.mode | 0,
    ret: ev.ret,
    path_incomplete: (ev.hflags & (Flag.CWD_TRUNC | Flag.BASE_UNKNOWN)) !== 0,
  };
}

export function connectRow(ev: Ev<5>, clock: Clock): NetRow {
  return {
    ts_ns: clock(ev.ts),
    pid: ev.pid,
    tid: ev.tid,
    op: "connect",
    family: familyName(ev.family),
    addr: formatAddr(ev.family, ev.addr),
    port: ev.port,
    ret: ev.ret,
    qname: null,
    qtype: null,
    socktype: sockTypeName(ev.sotype),
    fd: ev.fd,
  };
}

export function dnsRow(ev: Ev<6>, clock: Clock): NetRow {
  const q = parseDnsQuestion(ev.data);
  return {
    ts_ns: clock(ev.ts),
    pid: ev.pid,
    tid: ev.tid,
    op: "dns",
    family: familyName(ev.family),
    addr: formatAddr(ev.family, ev.addr),
    port: ev.port,
    ret: 0n,
    qname: q?.qname ?? null,
    qtype: q?.qtype ?? null,
    socktype: "dgram",
    fd: ev.fd,
  };
}
