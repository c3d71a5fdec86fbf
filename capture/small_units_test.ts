/** Paths, DNS questions, socket addresses and ELF facts. */
import assert from "node:assert/strict";
import { ContextPairer } from "./conn_pairing.ts";
import type { TlsCall } from "./tls_assembler.ts";
import { parseDnsQuestion } from "./dns.ts";
import { ElfFile, NotElfError } from "./elf.ts";
import { baseToPath, normalizeAbsolute, resolvePath } from "./paths.ts";
import { fileRow } from "./rows.ts";
import { type FileOpName, Flag } from "./events.ts";
import { posix } from "node:path";
import { formatAddr, formatIpv6 } from "./sockaddr.ts";
import { inspectFile } from "./tls_targets.ts";
import { runningCodeFiles, userDevToKernel } from "./attach.ts";
import { descendants } from "../kit/procs.ts";
import { type CaptureOptions, launch } from "./launch.ts";
import { CliError } from "../kit/cli_error.ts";

Deno.test("normalizeAbsolute folds like node:path's posix.normalize", () => {
  const parts = ["", ".", "..", "a", "b.c", "...", ".d", "e.."];
  const paths = new Set<string>();
  for (const x of parts) {
    for (const y of parts) {
      for (const z of parts) {
        for (const end of ["", "/"]) {
          paths.add(`/${x}/${y}//${z}${end}`);
          paths.add(`/${x}/${y}/${z}${end}`); // already normal ones among them
        }
      }
    }
  }
  for (const p of [...paths, "/", "//", "/..", "/a/b/../../..", "/a/./b/"]) {
    assert.equal(normalizeAbsolute(p), posix.normalize(p), p);
  }
});

Deno.test("paths resolve against the base, lexically", () => {
  assert.equal(baseToPath(["d", "lt", "tmp"]), "/tmp/lt/d");
  assert.equal(baseToPath([]), "/");
  assert.equal(resolvePath("./a/../b.txt", ["etc"]), "/etc/b.txt");
  assert.equal(resolvePath("/x//y/", ["etc"]), "/x/y/");
  assert.equal(resolvePath("", ["sub", "tmp"]), "/tmp/sub");
  assert.equal(resolvePath("../../../..", ["a"]), "/");
  // a directory fd's magic link, resolved by the kernel side (Bun writes files this way)
  assert.equal(resolvePath("/proc/self/fd/15/report.md", ["work", "tmp"]), "/tmp/work/report.md");
  assert.equal(resolvePath("/proc/self/fd/15", ["work", "tmp"]), "/tmp/work");
  assert.equal(
    resolvePath("/proc/self/fd/15/x", [], { baseUnknown: true }),
    "/proc/self/fd/15/x",
    "unresolved: as given",
  );
  // an empty base the kernel side read is the root directory, not an unknown one
  assert.equal(resolvePath("/proc/self/fd/15/x", []), "/x");
  assert.equal(resolvePath("/proc/self/fd/15", []), "/");
  // the rest is relative to fd 15's directory however many slashes lead it; newlines are names
  assert.equal(resolvePath("/proc/self/fd/3//x", ["d", "tmp"]), "/tmp/d/x");
  assert.equal(resolvePath("/proc/self/fd/3///x/", ["d", "tmp"]), "/tmp/d/x/");
  assert.equal(resolvePath("/proc/self/fd/3/a\nb", ["d", "tmp"]), "/tmp/d/a\nb");
  // a call on the /proc link itself (unlink, rename, lchown): the link, as written
  assert.equal(
    resolvePath("/proc/self/fd/3", ["a.txt", "tmp"], { follow: false }),
    "/proc/self/fd/3",
  );
  assert.equal(resolvePath("/proc/self/fd/3/b", ["d", "tmp"], { follow: false }), "/tmp/d/b");
  // a memfd's or an anonymous inode's descriptor names no file at the root
  assert.equal(resolvePath("/proc/self/fd/5", ["memfd:buf (deleted)"]), "/proc/self/fd/5");
  assert.equal(resolvePath("/dev/fd/6", ["[eventfd]"]), "/dev/fd/6");
  // the same descriptors by their other names; a look-alike is a path like any other
  assert.equal(resolvePath("/dev/fd/7", ["a.txt", "tmp"]), "/tmp/a.txt");
  assert.equal(resolvePath("/proc/thread-self/fd/7/b", ["d", "tmp"]), "/tmp/d/b");
  assert.equal(resolvePath("/proc/1/fd/7", ["d", "tmp"]), "/proc/1/fd/7");
  assert.equal(resolvePath("/dev/fdx/7", ["d", "tmp"]), "/dev/fdx/7");
  // a pipe's descriptor (the kernel side's one empty name): no path to give it
  assert.equal(resolvePath("/dev/fd/1", [""]), "/dev/fd/1");
});

Deno.test("DNS questions", () => {
  const q = new Uint8Array([
    0x12,
    0x34,
    0x01,
    0x00,
    0,
    1,
    0,
    0,
    0,
    0,
    0,
    0,
    3,
    0x77,
    0x77,
    0x77,
    7,
    ...new TextEncoder().encode("example"),
    3,
    0x63,
    0x6f,
    0x6d,
    0,
    0,
    28,
    0,
    1,
  ]);
  assert.deepEqual(parseDnsQuestion(q), { qname: "www.example.com", qtype: "AAAA" });
  const resp = q.slice();
  resp[2] |= 0x80;
  assert.equal(parseDnsQuestion(resp), null, "responses are not questions");
  assert.equal(parseDnsQuestion(q.subarray(0, 20)), null, "cut short");
  assert.equal(parseDnsQuestion(new Uint8Array(5)), null);
});

Deno.test("socket addresses", () => {
  assert.equal(formatAddr(2, new Uint8Array([127, 0, 0, 2, 9, 9])), "127.0.0.2");
  assert.equal(formatIpv6(new Uint8Array([...Array(15).fill(0), 1])), "::1");
  assert.equal(
    formatIpv6(new Uint8Array([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])),
    "2001:db8::1",
  );
  assert.equal(
    formatIpv6(new Uint8Array([...Array(10).fill(0), 255, 255, 10, 0, 0, 1])),
    "::ffff:10.0.0.1",
  );
  assert.equal(formatAddr(1, new TextEncoder().encode("/run/x.sock\0\0")), "/run/x.sock");
  assert.equal(formatAddr(1, new TextEncoder().encode("\0abstract\0")), "@abstract");
  // bytes that are not UTF-8 are escaped, not replaced (recording/byte_text.ts)
  assert.equal(formatAddr(1, new Uint8Array([0, 0x61, 0xff, 0])), "@a\uFFFDxff");
  assert.equal(formatAddr(1, new Uint8Array([0x2f, 0xfe, 0])), "/\uFFFDxfe");
});

Deno.test("AEAD contexts: each call goes to the connection of its socket", () => {
  const out: [bigint, bigint][] = [];
  const seqs: string[] = [];
  let now = 0;
  const p = new ContextPairer((c) => {
    out.push([c.ctx!, c.conn]);
    seqs.push(`${c.conn}.${c.gen}/${c.dir}/${c.seq}`);
  }, { holdMs: 2000, now: () => now });
  const kseq = new Map<string, bigint>();
  const call = (ctx: bigint, dir: 0 | 1, pid = 1) => {
    const k = `${pid}:${ctx}:${dir}`;
    const seq = kseq.get(k) ?? 0n; // the kernel numbers calls per context
    kseq.set(k, seq + 1n);
    return { pid, conn: ctx, dir, seq, data: new Uint8Array(0) } as unknown as TlsCall;
  };
  // connection A on fd 5: the server spoke first, so its reading context names it
  p.contextSocket(1, 11n, 5, 1);
  p.push(call(11n, 1));
  // a sealed record is held until the write that sends it says which socket it went to
  p.push(call(10n, 0));
  p.push(call(10n, 0));
  assert.deepEqual(out, [[11n, 11n]]);
  p.contextSocket(1, 10n, 5, 0);
  assert.deepEqual(out.slice(1), [[10n, 11n], [10n, 11n]]);
  // connection B on fd 6; a key update on A brings a new writing context
  p.push(call(20n, 0));
  p.contextSocket(1, 20n, 6, 0);
  p.contextSocket(1, 21n, 6, 1);
  p.push(call(21n, 1));
  p.push(call(12n, 0));
  p.contextSocket(1, 12n, 5, 0);
  assert.deepEqual(out.slice(3), [[20n, 20n], [21n, 20n], [12n, 11n]]);
  // A's reading context's memory is reused by connection C on fd 7
  p.contextSocket(1, 11n, 7, 1);
  p.push(call(11n, 1));
  assert.deepEqual(out.at(-1), [11n, 11n], "C is named after its first context");
  assert.equal(seqs.at(-1), "11.1/1/0", "a second generation, numbered from 0 again");
  // fd 5 is still open: followed, and counted (it may as well be a stray record)
  assert.deepEqual(p.moved(), { contexts: 1, moves: 1 });
  assert.deepEqual(seqs.slice(0, 6), [
    "11.0/1/0",
    "11.0/0/0",
    "11.0/0/1",
    "20.0/0/0",
    "20.0/1/0",
    "11.0/0/2",
  ]);
  p.socketClosed(1, 6); // B closed; fd 6 reused by D
  p.contextSocket(1, 60n, 6, 1);
  p.push(call(60n, 1));
  assert.deepEqual(out.at(-1), [60n, 60n]);
  // B's writing context's memory is reused by D: B's socket is closed, not counted
  p.push(call(20n, 0));
  p.contextSocket(1, 20n, 6, 0);
  assert.deepEqual(out.at(-1), [20n, 60n]);
  assert.deepEqual(p.moved(), { contexts: 1, moves: 1 });
  // another process's fd 5 is another socket
  p.contextSocket(2, 41n, 5, 1);
  p.push(call(41n, 1, 2));
  assert.deepEqual(out.at(-1), [41n, 41n]);
  // a call whose socket is never reported stands alone after the hold time
  assert.deepEqual(p.unplaced(), { calls: 0, bytes: 0, contexts: 0 }, "all placed so far");
  p.push(call(50n, 0));
  const n = out.length;
  now = 2500;
  p.tick();
  assert.deepEqual(out.slice(n), [[50n, 50n]]);
  assert.deepEqual(p.unplaced(), { calls: 1, bytes: 0, contexts: 1 }, "and counted");
  // one still held at the end is placed alone too, and counted
  p.push(call(51n, 0));
  p.finish();
  assert.deepEqual(out.at(-1), [51n, 51n]);
  assert.deepEqual(p.unplaced(), { calls: 2, bytes: 0, contexts: 2 });
});

Deno.test("AEAD contexts: a record reported on another socket while its own is open is counted", () => {
  const out: string[] = [];
  const p = new ContextPairer((c) => out.push(`${c.conn}.${c.gen}`), { holdMs: 2000 });
  let seq = 0n;
  const seal = () =>
    ({ pid: 1, conn: 10n, dir: 0, seq: seq++, data: new Uint8Array(0) }) as unknown as TlsCall;
  // the WebSocket on fd 5: every record of its writing context, but the third, goes there
  for (const fd of [5, 5, 9, 5]) {
    p.push(seal());
    p.contextSocket(1, 10n, fd, 0);
  }
  assert.deepEqual(out, ["10.0", "10.0", "10.1", "10.0"]);
  assert.deepEqual(p.moved(), { contexts: 1, moves: 2 }, "away and back, fd 5 open all along");
  assert.deepEqual(p.unplaced(), { calls: 0, bytes: 0, contexts: 0 });
});

Deno.test("AEAD contexts: a context's memory reused after a key update replaced it is not counted", () => {
  const out: string[] = [];
  const p = new ContextPairer((c) => out.push(`${c.conn}.${c.gen}`), { holdMs: 2000 });
  let seq = 0n;
  const seal = (ctx: bigint, fd: number) => {
    p.push(
      { pid: 1, conn: ctx, dir: 0, seq: seq++, data: new Uint8Array(0) } as unknown as TlsCall,
    );
    p.contextSocket(1, ctx, fd, 0);
  };
  seal(10n, 5); // connection A on fd 5 writes with context 10
  seal(12n, 5); // a key update: A writes with context 12 from now on, 10 is freed
  seal(10n, 7); // 10's memory serves connection B on fd 7 while A lives on
  assert.deepEqual(out, ["10.0", "10.0", "10.1"]);
  assert.deepEqual(p.moved(), { contexts: 0, moves: 0 });
  seal(12n, 7); // A's current context on B's socket while fd 5 is open: counted
  assert.deepEqual(p.moved(), { contexts: 1, moves: 1 });
});

Deno.test("ELF: exported SSL functions of libssl match nm; /bin/ls has none; not-ELF refused", async () => {
  const lib = "/usr/lib/x86_64-linux-gnu/libssl.so.3";
  const nm = await new Deno.Command("nm", { args: ["-D", "--defined-only", lib], stdout: "piped" })
    .output();
  const want = new Map(
    new TextDecoder().decode(nm.stdout).split("\n").map((l) => l.split(" ")).filter((p) =>
      p.length === 3
    ).map(([addr, , name]) => [name.split("@")[0], parseInt(addr, 16)]),
  );
  const insp = inspectFile(lib);
  assert.equal(insp.status, "hooked");
  const e = ElfFile.open(lib);
  for (const h of insp.hooks) {
    assert.equal(h.vaddr, want.get(h.fn), h.fn);
    assert.equal(e.offsetToVaddr(h.offset), h.vaddr);
  }
  assert.match(e.buildId() ?? "", /^[0-9a-f]{40}$/);
  assert.equal(e.isExecutable(), false);
  e.close();
  assert.deepEqual(insp.hooks.map((h) => h.fn).sort(), [
    "SSL_free",
    "SSL_read",
    "SSL_read_ex",
    "SSL_write",
    "SSL_write_ex",
  ]);
  assert.equal(inspectFile("/bin/ls").status, "unlocated");
  assert.throws(() => ElfFile.open("/etc/hostname"), NotElfError);
  assert.equal(inspectFile("/etc/hostname").status, "none");
});

Deno.test("stat's dev_t converts to the kernel's", () => {
  assert.equal(userDevToKernel((254 << 8) | 1), (254n << 20n) | 1n); // 254:1
  // glibc's makedev(1, 0x1023): minor's low byte at 0-7, its rest from bit 20
  assert.equal(userDevToKernel(0x1000123), (1n << 20n) | 0x1023n);
});

Deno.test("capture options that contradict each other: exit 2 before anything starts", () => {
  // launch() refuses them first: no root check, no out directory, no loader
  const cases: [Partial<CaptureOptions>, string][] = [
    [{ cmd: ["true"], pids: [1] }, "give a command or --pid N, not both"],
    [{ cmd: ["true"], comm: "sh" }, "give a command or --comm NAME, not both"],
    // the usage's `--pid N | --comm NAME`: the manifest's mode is one of them, never both
    [{ pids: [1], comm: "sh" }, "give --pid N or --comm NAME, not both"],
    [
      { cmd: ["true"], status: true, quiet: true },
      "--status and --quiet contradict each other: give one",
    ],
  ];
  for (const [opts, message] of cases) {
    // an --out that cannot be made (/proc takes no new directories): nothing is left behind
    const out = `/proc/sl-conflict-${message.length}`;
    assert.throws(
      () => launch({ ...opts, out } as CaptureOptions),
      (e: unknown) => e instanceof CliError && e.exitCode === 2 && e.message === message,
      message,
    );
  }
});

Deno.test("a traced process's code: its binary and libraries, a replaced one by its map_files link", async () => {
  // a copy of sleep, run under bash, then deleted (as an agent that updated itself while it
  // ran): the gate never reports what was mapped before the capture joined
  const dir = await Deno.makeTempDir({ prefix: "sl-running-" });
  const copy = `${dir}/sl-agent-bin-updated`;
  await Deno.copyFile("/usr/bin/sleep", copy);
  await Deno.chmod(copy, 0o755);
  const ino = String(Deno.statSync(copy).ino);
  const bash = new Deno.Command("/usr/bin/bash", {
    args: ["-c", `${copy} 30 & wait`],
    stdout: "null",
  }).spawn();
  // the traced processes, as the kernel side's list gives them (tracedNow)
  const traced = () => [bash.pid, ...descendants(bash.pid).map((p) => p.pid)];
  try {
    const until = Date.now() + 5000;
    const mapsCopy = () =>
      runningCodeFiles(traced()).some((p) => {
        try {
          return String(Deno.statSync(p).ino) === ino;
        } catch {
          return false;
        }
      });
    while (!mapsCopy() && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    const files = runningCodeFiles(traced());
    assert.ok(files.includes("/usr/bin/bash"), files.join(" "));
    assert.ok(files.includes(copy), "the descendant's binary, by its path");
    assert.ok(files.some((p) => /libc\.so/.test(p)), "its libraries");
    assert.equal(new Set(files).size, files.length, "each file once");
    await Deno.remove(copy);
    const after = runningCodeFiles(traced());
    const link = after.find((p) => p.includes("/map_files/"));
    assert.ok(link, after.join(" "));
    assert.equal(String(Deno.statSync(link).ino), ino, "the link opens the deleted binary");
    assert.deepEqual(runningCodeFiles([2 ** 22 + 1]), [], "no such process: nothing");
  } finally {
    for (const child of descendants(bash.pid)) Deno.kill(child.pid, "SIGKILL");
    bash.kill("SIGKILL");
    await bash.status;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a joined process's code in another mount namespace: the file it mapped, not one of the same inode number here", async () => {
  // two fresh tmpfs, one here and one in the process's own mount namespace, at the same
  // directory: the first file of each is inode 2, so the path the process mapped names
  // another file here (a different program) with the same inode number on another device
  const dir = await Deno.makeTempDir({ prefix: "sl-ns-" });
  const mount = (args: string[]) => {
    const r = new Deno.Command(args[0], { args: args.slice(1), stderr: "piped" }).outputSync();
    assert.ok(r.success, `${args.join(" ")}: ${new TextDecoder().decode(r.stderr)}`);
  };
  mount(["mount", "-t", "tmpfs", "none", dir]);
  const path = `${dir}/sl-ns-agent`;
  await Deno.copyFile("/usr/bin/true", path);
  const agent = new Deno.Command("unshare", {
    args: [
      "-m",
      "--propagation",
      "private",
      "sh",
      "-c",
      `mount -t tmpfs none ${dir} && cp /usr/bin/sleep ${path} && exec ${path} 30`,
    ],
  }).spawn();
  try {
    const until = Date.now() + 5000;
    const exe = () => {
      try {
        return Deno.readLinkSync(`/proc/${agent.pid}/exe`) === path;
      } catch {
        return false;
      }
    };
    while (!exe() && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    const mapped = Deno.statSync(`/proc/${agent.pid}/exe`);
    const here = Deno.statSync(path);
    assert.equal(here.ino, mapped.ino, "set-up: the same inode number here");
    assert.notEqual(here.dev, mapped.dev, "set-up: on another device");
    const files = runningCodeFiles([agent.pid]);
    assert.ok(!files.includes(path), `${path} here is /usr/bin/true, not what the process mapped`);
    const named = files.filter((p) => {
      const s = Deno.statSync(p);
      return s.dev === mapped.dev && s.ino === mapped.ino;
    });
    assert.equal(named.length, 1, files.join(" "));
    assert.equal(named[0], `/proc/${agent.pid}/root${path}`, "as the process sees it");
  } finally {
    agent.kill("SIGKILL");
    await agent.status;
    mount(["umount", dir]);
    await Deno.remove(dir, { recursive: true });
  }
});

/** A file record as the decoder gives it: `more` for what a test sets beyond the names. */
function fileEv(
  op: FileOpName,
  path: string,
  path2: string,
  base: string[],
  more: Partial<{ base2: string[]; flags: bigint; hflags: number; ret: bigint }> = {},
) {
  return {
    kind: 4 as const,
    hflags: more.hflags ?? 0,
    pid: 1,
    tid: 1,
    uid: 0,
    ts: 0n,
    op,
    ret: more.ret ?? 0n,
    flags: more.flags ?? 0n,
    length: 0n,
    uringId: 0n,
    mode: 0,
    owner: 0,
    group: 0,
    path,
    path2,
    base,
    base2: more.base2 ?? [],
  };
}

Deno.test("file rows: a symlink's absolute target as written, a relative one from the link's directory; chroot's new root", () => {
  const clock = (ns: bigint) => ns;
  // /proc/self/fd/N in a target names the descriptor of whoever follows the link
  // (the kernel side gives a symlink's link its base2, its target none)
  const procFd = fileRow(
    fileEv("symlink", "/proc/self/fd/3", "link", [], { base2: ["d", "tmp"] }),
    clock,
  );
  assert.deepEqual([procFd.path, procFd.path2], ["/proc/self/fd/3", "/tmp/d/link"]);
  const rel = fileRow(fileEv("symlink", "../x", "sub/link", [], { base2: ["d", "tmp"] }), clock);
  assert.deepEqual([rel.path, rel.path2], ["/tmp/d/x", "/tmp/d/sub/link"]);
  // a chroot that succeeded: the new root the kernel side walked; the path as the program gave it
  const root = fileRow(fileEv("chroot", ".", "", ["jail", "srv"]), clock);
  assert.deepEqual([root.path, root.raw_path], ["/srv/jail", "."]);
  const failed = fileRow(fileEv("chroot", "/nonexistent", "", [], { ret: -2n }), clock);
  assert.deepEqual([failed.path, failed.raw_path], ["/nonexistent", "/nonexistent"]);
});

Deno.test("file rows: a bare /proc/self/fd/N is the file on fd N only for calls that follow it", () => {
  const row = (op: FileOpName, path: string, path2: string, flags = 0n, base2: string[] = []) =>
    // what the kernel side walks for /proc/self/fd/3: the file open on it
    fileRow(
      fileEv(op, path, path2, path.startsWith("/proc/") ? ["a.txt", "tmp"] : ["d", "tmp"], {
        flags,
        base2,
      }),
      (ns) => ns,
    );
  const fd = "/proc/self/fd/3";
  const O_WRONLY = 0o1n, O_NOFOLLOW = 0o400000n, O_CREAT_EXCL = 0o300n;
  const NOFOLLOW = 0x100n, FOLLOW = 0x400n;
  // the calls that follow the link: the file
  for (
    const [op, flags] of [["open", O_WRONLY], ["chmod", 0n], ["chown", 0n], ["utimes", 0n], [
      "truncate",
      0n,
    ], ["link", FOLLOW]] as const
  ) assert.equal(row(op, fd, op === "link" ? "new" : "", flags).path, "/tmp/a.txt", op);
  // the calls on the link itself: as written
  for (
    const [op, flags] of [
      ["open", O_WRONLY | O_NOFOLLOW],
      ["open", O_WRONLY | O_CREAT_EXCL],
      ["unlink", 0n],
      ["rmdir", 0n],
      ["mkdir", 0n],
      ["rename", 0n],
      ["link", 0n],
      ["utimes", NOFOLLOW], // touch -h
      ["chown", NOFOLLOW], // lchown
      ["chmod", NOFOLLOW],
    ] as const
  ) assert.equal(row(op, fd, op === "link" || op === "rename" ? "new" : "", flags).path, fd, op);
  // a new name (rename's, link's) is the link itself, whatever the flags
  assert.equal(row("rename", "old", fd, 0n, ["a.txt", "tmp"]).path2, fd);
  assert.equal(row("link", "old", fd, FOLLOW, ["a.txt", "tmp"]).path2, fd);
});

Deno.test("file rows: a second path resolves against its own base, never the first's", () => {
  const pick = (r: { path2: string | null; path_incomplete: boolean }) => ({
    path2: r.path2,
    incomplete: r.path_incomplete,
  });
  const row = (path2: string, base2: string[], hflags = 0) =>
    fileRow(fileEv("rename", "a", path2, ["d", "tmp"], { base2, hflags }), (ns) => ns);
  assert.equal(row("/b", []).path2, "/b", "absolute");
  assert.equal(row("b", ["e", "tmp"]).path2, "/tmp/e/b");
  // renameat(dfd, "a", rootfd, "b"): walking "/" gives no components
  assert.equal(row("b", []).path2, "/b", "the root directory");
  assert.equal(row("/proc/self/fd/4/b", []).path2, "/b", "fd 4 is the root directory");
  // fd 4 was not open: unknown, as written, and the row says its path is incomplete
  const unknown = row("/proc/self/fd/4/b", [], Flag.BASE2_UNKNOWN);
  assert.deepEqual([unknown.path2, unknown.path_incomplete], ["/proc/self/fd/4/b", true]);
  assert.equal(row("/proc/self/fd/4/b", ["e", "tmp"]).path2, "/tmp/e/b");
  // renameat(AT_FDCWD, "a", 999, "b"), fd 999 not open: relative, not from the root
  assert.deepEqual(Object.values(pick(row("b", [], Flag.BASE2_UNKNOWN))), ["b", true]);
});

Deno.test("file rows: an open for writing by a descriptor's name the capture did not resolve is path_incomplete", () => {
  const O_WRONLY = 1n, O_RDONLY = 0n;
  const row = (path: string, base: string[], flags = O_WRONLY) =>
    fileRow(fileEv("open", path, "", base, { flags }), (ns) => ns);
  const incomplete = (
    path: string,
    base: string[] = [],
    flags = O_WRONLY,
  ) => [row(path, base, flags).path, row(path, base, flags).path_incomplete];
  // tee /dev/stderr, a write through /proc/PID/fd/N: the file is not known
  assert.deepEqual(incomplete("/dev/stderr"), ["/dev/stderr", true]);
  assert.deepEqual(incomplete("/proc/4242/fd/1"), ["/proc/4242/fd/1", true]);
  assert.deepEqual(incomplete("/proc/4242/task/4243/fd/1"), ["/proc/4242/task/4243/fd/1", true]);
  // resolved, a pipe's or memfd's (the kernel side read its one name), or read only: complete
  assert.deepEqual(incomplete("/dev/fd/3", ["a.txt", "tmp"]), ["/tmp/a.txt", false]);
  assert.deepEqual(incomplete("/dev/fd/3", [""]), ["/dev/fd/3", false]);
  assert.deepEqual(incomplete("/proc/self/fd/3", ["memfd:x"]), ["/proc/self/fd/3", false]);
  assert.deepEqual(incomplete("/dev/stdin", [], O_RDONLY), ["/dev/stdin", false]);
  assert.deepEqual(incomplete("/dev/stdout.txt"), ["/dev/stdout.txt", false]);
});
