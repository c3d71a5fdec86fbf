/**
 * As root: entering namespaces is recorded — `unshare -r -n` (unshare), `nsenter -n` (setns on
 * a /proc/PID/ns file, with the namespace's inode number), bubblewrap's sandbox, raw clone and
 * clone3 with CLONE_NEW* flags (also clone_args whose page is not present at the call's entry)
 * and setns(fd, 0) (the type known from the namespace file alone) — each a `privilege` row with
 * its flags named, its result (a refused one as its errno) and, for a clone, the new process;
 * ordinary forks make none.
 */
import assert from "node:assert/strict";
import { skipWithoutRoot } from "../tests/support/ebpf.ts";
import { captureForTest } from "../tests/support/capture.ts";

/** clone(CLONE_NEWUTS | SIGCHLD) and clone3(CLONE_NEWUSER | CLONE_NEWNET) made by hand: each
 * child exits at once with 7 (clone) or 8 (clone3). Prints the two children's pids. */
const CLONE_PY = `
import ctypes, os, struct
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
pid = libc.syscall(56, ctypes.c_ulong(0x04000000 | 17), None, None, None, None)
if pid == 0:
    os._exit(7)
os.waitpid(pid, 0)
args = ctypes.create_string_buffer(struct.pack("<8Q", 0x10000000 | 0x40000000, 0, 0, 0, 17, 0, 0, 0), 64)
pid3 = libc.syscall(435, args, ctypes.c_size_t(64))
if pid3 == 0:
    os._exit(8)
os.waitpid(pid3, 0)
print(pid, pid3)
`;

Deno.test({
  name: "entering namespaces: unshare, setns, bubblewrap, clone and clone3, with flags and result",
  ignore: skipWithoutRoot(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sl-ns-" });
    try {
      const script = [
        "unshare -r -n true",
        // a process in a network namespace of its own, entered by nsenter
        "unshare -n sleep 5 & T=$!; sleep 0.5",
        "nsenter -t $T -n true; kill $T; wait $T",
        "bwrap --unshare-user --unshare-net --ro-bind / / true",
        // refused: no CAP_SYS_ADMIN without a user namespace
        "setpriv --reuid=65534 --regid=65534 --clear-groups unshare -m true",
        `python3 -c '${CLONE_PY}' > ${dir}/pids`,
      ].join("; ");
      const { rec } = await captureForTest({ cmd: ["bash", "-c", script], cwd: "/" });
      const [clonePid, clone3Pid] = (await Deno.readTextFile(`${dir}/pids`)).trim().split(" ")
        .map(Number);
      // the program the process ran when it made the call
      const commAt = (pid: number, ts: bigint) =>
        rec.process.filter((p) => p.pid === pid && p.kind === "exec" && p.ts_ns <= ts).at(-1)
          ?.comm;
      const rows = rec.privilege.map((p) => ({
        comm: commAt(p.pid, p.ts_ns),
        op: p.op,
        request: p.request,
        ret: p.ret,
        target_pid: p.target_pid,
        ns: p.ns,
        uid: p.uid,
      }));
      const show = JSON.stringify(rows, (_k, v) => typeof v === "bigint" ? String(v) : v, 1);

      // unshare -r -n: one call, both namespaces named
      const unshares = rows.filter((r) => r.comm === "unshare" && r.op === "unshare");
      assert.ok(
        unshares.some((r) => r.request === "CLONE_NEWUSER|CLONE_NEWNET" && r.ret === 0n),
        show,
      );
      // the refused one, as the user it ran as
      assert.ok(
        unshares.some((r) => r.request === "CLONE_NEWNS" && r.ret === -1n && r.uid === 65534),
        show,
      );

      // nsenter: the network namespace the sleeper is in, by its inode number
      const sleeper = rec.process.find((p) =>
        p.kind === "exec" && p.comm === "sleep" &&
        p.argv?.[1] === "5"
      )!;
      assert.ok(sleeper?.net_ns, "the sleeper ran in a namespace of its own");
      const setns = rows.filter((r) => r.op === "setns" && r.comm === "nsenter");
      assert.deepEqual(
        setns.map((r) => [r.request, r.ns, r.ret]),
        [["CLONE_NEWNET", sleeper.net_ns, 0n]],
        show,
      );
      assert.notEqual(
        Number(sleeper.net_ns),
        rec.manifest.namespaces?.net,
        "not the capture's own",
      );

      // bubblewrap's sandbox: its user, mount and network namespaces, in some call of its
      const bwrap = rows.filter((r) => r.comm === "bwrap");
      const named = new Set(bwrap.flatMap((r) => r.ret >= 0n ? r.request?.split("|") ?? [] : []));
      for (const ns of ["CLONE_NEWUSER", "CLONE_NEWNS", "CLONE_NEWNET"]) {
        assert.ok(named.has(ns), `${ns} in ${show}`);
      }

      // the raw clones: their flags (not clone's exit signal) and the new process
      const py = rows.filter((r) => r.comm === "python3");
      assert.deepEqual(
        py.map((r) => [r.op, r.request, r.target_pid, r.ret]),
        [
          ["clone", "CLONE_NEWUTS", clonePid, BigInt(clonePid)],
          ["clone3", "CLONE_NEWUSER|CLONE_NEWNET", clone3Pid, BigInt(clone3Pid)],
        ],
        show,
      );
      const exits = new Map(rec.process.filter((p) => p.kind === "exit").map((p) => [p.pid, p]));
      assert.equal(exits.get(clonePid)?.exit_code, 7);
      assert.equal(exits.get(clone3Pid)?.exit_code, 8);

      // the shell forked many times: no clone without a namespace flag is recorded
      for (const r of rows) {
        if (["unshare", "setns", "clone", "clone3"].includes(r.op)) {
          assert.ok(r.request, `flags named: ${show}`);
        }
      }
      assert.deepEqual(rows.filter((r) => r.comm === "bash").map((r) => r.op), ["kill"], show);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** clone3(CLONE_NEWUSER | CLONE_NEWNET) whose clone_args are in a shared file mapping whose page
 * was zapped (MADV_DONTNEED): not present when the call starts (the kernel faults it back in;
 * a read at the call's entry cannot), the child exits with 9; then a clone3 whose clone_args
 * cannot be read at all (address 8: EFAULT); then an ordinary clone3 (no CLONE_NEW* flag) from
 * the page zapped again. Prints the children's pids, the failed call's result and errno. */
const CLONE3_ZAPPED_PY = `
import ctypes, mmap, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
os.ftruncate(fd, 4096)
m = mmap.mmap(fd, 4096, mmap.MAP_SHARED)
m[:64] = struct.pack("<8Q", 0x10000000 | 0x40000000, 0, 0, 0, 17, 0, 0, 0)
addr = ctypes.addressof(ctypes.c_char.from_buffer(m))
m.flush()
m.madvise(mmap.MADV_DONTNEED)
pid = libc.syscall(435, ctypes.c_void_p(addr), ctypes.c_size_t(64))
if pid == 0:
    os._exit(9)
os.waitpid(pid, 0)
bad = libc.syscall(435, ctypes.c_void_p(8), ctypes.c_size_t(64))
errno = ctypes.get_errno()
m[:64] = struct.pack("<8Q", 0, 0, 0, 0, 17, 0, 0, 0)
m.flush()
m.madvise(mmap.MADV_DONTNEED)
plain = libc.syscall(435, ctypes.c_void_p(addr), ctypes.c_size_t(64))
if plain == 0:
    os._exit(0)
os.waitpid(plain, 0)
print(pid, bad, errno, plain)
`;

Deno.test({
  name: "clone3 whose clone_args page is not present at the call's entry: recorded with its flags",
  ignore: skipWithoutRoot(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sl-ns-" });
    try {
      const script = `python3 -c '${CLONE3_ZAPPED_PY}' ${dir}/args > ${dir}/out`;
      const { rec } = await captureForTest({ cmd: ["bash", "-c", script], cwd: "/" });
      const [pid, bad, errno, plain] = (await Deno.readTextFile(`${dir}/out`)).trim().split(" ")
        .map(Number);
      assert.ok(plain > 0, "the ordinary clone3 from the zapped page succeeded");
      assert.ok(pid > 0, "the clone3 from the zapped page succeeded");
      assert.deepEqual([bad, errno], [-1, 14], "the clone3 from address 8 failed with EFAULT");
      const py = rec.privilege.filter((p) => p.op === "clone3");
      const show = JSON.stringify(py, (_k, v) => typeof v === "bigint" ? String(v) : v, 1);
      assert.deepEqual(
        py.map((r) => [r.request, r.target_pid, r.ret]),
        [
          // read again at the call's exit, when the kernel has faulted the page in
          ["CLONE_NEWUSER|CLONE_NEWNET (flags read after the call)", pid, BigInt(pid)],
          // never readable: recorded all the same, its flags said to be unknown
          ["flags unreadable", null, -14n],
          // an ordinary clone3 from a zapped page: recorded (a vfork child or another thread
          // could have rewritten flags that named a namespace before they were read)
          ["no CLONE_NEW* flag (flags read after the call)", plain, BigInt(plain)],
        ],
        show,
      );
      const exit = rec.process.find((p) => p.kind === "exit" && p.pid === pid);
      assert.equal(exit?.exit_code, 9);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** setns(fd, 0) on /proc/PID/ns/net of a child in a network namespace of its own: nstype 0
 * asks for whatever namespace the file names, so its type is known only from the file. Prints
 * the namespace's inode number. */
const SETNS0_PY = `
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
ready, done = os.pipe(), os.pipe()
k = os.fork()
if k == 0:
    if libc.unshare(0x40000000):
        os._exit(1)
    os.write(ready[1], b"x")
    os.read(done[0], 1)
    os._exit(0)
os.read(ready[0], 1)
path = "/proc/%d/ns/net" % k
fd = os.open(path, os.O_RDONLY)
if libc.setns(fd, 0):
    raise OSError(ctypes.get_errno(), "setns")
print(os.stat(path).st_ino)
os.write(done[1], b"x")
os.waitpid(k, 0)
`;

Deno.test({
  name: "setns(fd, 0) on a /proc/PID/ns/net file: the type read from the namespace file",
  ignore: skipWithoutRoot(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sl-ns-" });
    try {
      const script = `python3 -c '${SETNS0_PY}' > ${dir}/ino`;
      const { rec } = await captureForTest({ cmd: ["bash", "-c", script], cwd: "/" });
      const ino = Number((await Deno.readTextFile(`${dir}/ino`)).trim());
      assert.ok(ino > 0);
      const setns = rec.privilege.filter((p) => p.op === "setns");
      const show = JSON.stringify(setns, (_k, v) => typeof v === "bigint" ? String(v) : v, 1);
      // nstype 0 names no flag: CLONE_NEWNET comes from the namespace file alone
      assert.deepEqual(
        setns.map((r) => [r.request, r.ns, r.ret]),
        [["CLONE_NEWNET", BigInt(ino), 0n]],
        show,
      );
      assert.notEqual(ino, rec.manifest.namespaces?.net, "not the capture's own");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
