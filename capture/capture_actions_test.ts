/**
 * Capture of actions: the fork/exec chain with ppid links and argv, file opens with absolute
 * paths (also relative ones after a cd), a connect, DNS questions — and nothing from a
 * process that is not a descendant of the command, even one doing the same things at the
 * same time.
 */
import assert from "node:assert/strict";
import { skipWithoutRoot } from "../tests/support/ebpf.ts";
import { captureForTest, systemLibssl, untilExists } from "../tests/support/capture.ts";
import { createFrameParser } from "./frames.ts";
import { decode, Kind } from "./events.ts";
import { descendants, stat } from "../kit/procs.ts";
import type { AttachManager } from "./attach.ts";

/** A python one-liner that connects to 127.0.0.1:PORT and sends DNS questions to :53. */
const NET_PY = `
import socket, struct, sys
def q(name):
    hdr = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
    return hdr + b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\\0" + struct.pack(">HH", 1, 1)
s = socket.create_connection(("127.0.0.1", int(sys.argv[1]))); s.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.sendto(q(sys.argv[2]), ("127.0.0.1", 53))
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); c.connect(("127.0.0.1", 53))
c.send(q("connected." + sys.argv[2]))
`;

Deno.test({
  name: "process chain, absolute file paths, connect and DNS; no rows from outsiders",
  ignore: skipWithoutRoot(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sl-actions-" });
    await Deno.mkdir(`${dir}/sub`);
    await Deno.writeTextFile(`${dir}/sub/secret.txt`, "classified\n");
    await Deno.writeTextFile(`${dir}/sub/outsider.txt`, "not traced\n");
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    const accepting = (async () => {
      for await (const c of listener) c.close();
    })().catch(() => {});

    // An outsider does the same things, at the same time, in a loop.
    const outsider = new Deno.Command("bash", {
      args: [
        "-c",
        `while true; do cat ${dir}/sub/outsider.txt >/dev/null; ` +
        `/usr/bin/python3 -c '${NET_PY}' ${port} outsider.sightline.test; sleep 0.05; done`,
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      const script = `sh -c 'cat ${dir}/sub/secret.txt' && cd ${dir} && ` +
        `sh -c 'cat sub/secret.txt && cd sub && cat ./secret.txt' && ` +
        `/usr/bin/python3 -c '${NET_PY}' ${port} inside.sightline.test`;
      const { res, rec } = await captureForTest({ cmd: ["bash", "-c", script], cwd: "/" });
      assert.equal(res.exitCode, 0);

      // the chain: bash -> sh -> cat, each exec with its argv, ppid linking to the parent
      const execs = rec.process.filter((r) => r.kind === "exec");
      const bash = execs.find((r) => r.pid === rec.manifest.root_pid)!;
      assert.ok(bash, "bash exec recorded");
      assert.deepEqual(bash.argv, ["bash", "-c", script]);
      assert.equal(bash.cwd, "/");
      const shs = execs.filter((r) => r.comm === "sh");
      assert.equal(shs.length, 2);
      for (const sh of shs) assert.equal(sh.ppid, bash.pid, "sh's parent is bash");
      const cats = execs.filter((r) => r.comm === "cat");
      assert.equal(cats.length, 3);
      for (const cat of cats) {
        assert.ok(shs.some((sh) => sh.pid === cat.ppid), "cat's parent is one of the sh");
      }
      assert.deepEqual(cats.map((c) => c.argv), [
        ["cat", `${dir}/sub/secret.txt`],
        ["cat", "sub/secret.txt"],
        ["cat", "./secret.txt"],
      ]);
      assert.deepEqual(cats.map((c) => c.cwd), ["/", dir, `${dir}/sub`]);
      const forks = rec.process.filter((r) => r.kind === "fork");
      for (const sh of shs) {
        assert.ok(forks.some((f) => f.pid === sh.pid && f.ppid === bash.pid), "fork recorded");
      }
      const exits = rec.process.filter((r) => r.kind === "exit");
      assert.ok(exits.some((e) => e.pid === bash.pid && e.exit_code === 0));

      // every open of secret.txt has the absolute path, whatever the program passed
      const opens = rec.file.filter((f) => f.op === "open" && f.path.endsWith("secret.txt"));
      assert.deepEqual(opens.map((o) => o.path), Array(3).fill(`${dir}/sub/secret.txt`));
      assert.deepEqual(opens.map((o) => o.raw_path), [
        `${dir}/sub/secret.txt`,
        "sub/secret.txt",
        "./secret.txt",
      ]);
      for (const o of opens) assert.ok(o.ret >= 0n);
      assert.ok(cats.every((c) => opens.some((o) => o.pid === c.pid)), "each cat opened it");
      const chdirs = rec.file.filter((f) => f.op === "chdir").map((f) => f.path);
      assert.ok(chdirs.includes(dir) && chdirs.includes(`${dir}/sub`));

      // network
      const connects = rec.net.filter((n) => n.op === "connect" && n.port === port);
      assert.equal(connects.length, 1);
      assert.equal(connects[0].addr, "127.0.0.1");
      assert.equal(connects[0].family, "inet");
      assert.equal(connects[0].ret, 0n);
      const dns = rec.net.filter((n) => n.op === "dns");
      assert.deepEqual(dns.map((d) => [d.qname, d.qtype, d.addr, d.port]), [
        ["inside.sightline.test", "A", "127.0.0.1", 53],
        ["connected.inside.sightline.test", "A", "127.0.0.1", 53],
      ]);

      // nothing from the outsider
      const pids = new Set(rec.process.map((r) => r.pid));
      for (const r of [...rec.file, ...rec.net, ...rec.tls]) {
        assert.ok(pids.has(r.pid), `row of pid ${r.pid}, which is not a traced process`);
      }
      assert.ok(!rec.file.some((f) => f.path.includes("outsider")));
      assert.ok(!rec.net.some((n) => n.qname?.includes("outsider")));
      assert.equal(rec.net.filter((n) => n.op === "connect" && n.port === port).length, 1);
      assert.equal(rec.manifest.complete, true);
      assert.deepEqual(rec.manifest.drops, {});
    } finally {
      outsider.kill("SIGKILL");
      await outsider.status;
      listener.close();
      await accepting;
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "--pid joins a running process and its descendants",
  ignore: skipWithoutRoot(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sl-pid-" });
    const target = new Deno.Command("bash", {
      args: ["-c", `sleep 1.5; cat ${dir}/m.txt 2>/dev/null; sleep 0.2`],
      stdout: "null",
      stderr: "null",
    }).spawn();
    await Deno.writeTextFile(`${dir}/m.txt`, "x");
    try {
      const { res, rec } = await captureForTest({ pids: [target.pid] });
      assert.equal(res.manifest.mode, "pid");
      const cat = rec.process.find((r) => r.kind === "exec" && r.comm === "cat");
      assert.ok(cat, "the descendant's exec was recorded");
      assert.equal(
        rec.process.find((r) => r.kind === "fork" && r.pid === cat.pid)?.ppid,
        target.pid,
      );
      assert.ok(rec.file.some((f) => f.path === `${dir}/m.txt` && f.pid === cat.pid));
    } finally {
      await target.status;
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "--pid: a descendant reparented right after the join is traced, and the code it had " +
    "mapped is hooked",
  ignore: skipWithoutRoot(),
  async fn() {
    // a copy of libssl mapped as code by a child of the joined shell; the shell is killed the
    // moment the loader is ready (it has traced both), so the child belongs to init from then
    // on: the capture must still read what the kernel side traces, not a tree of its own
    const dir = await Deno.makeTempDir({ prefix: "sl-reparent-" });
    const lib = `${dir}/libsl-joined.so`;
    await Deno.copyFile(systemLibssl(), lib);
    const map = "import mmap, os, sys, time; fd = os.open(sys.argv[1], os.O_RDONLY); " +
      "m = mmap.mmap(fd, 4096, prot=mmap.PROT_READ | mmap.PROT_EXEC); " +
      "open(sys.argv[2], 'w').close(); time.sleep(60)";
    const keeper = new Deno.Command("sleep", { args: ["60"] }).spawn();
    const parent = new Deno.Command("sh", {
      args: ["-c", `python3 -c "${map}" ${lib} ${dir}/ready & wait`],
    }).spawn();
    let child = 0;
    try {
      assert.ok(await untilExists(`${dir}/ready`, 10_000, 20), "the child mapped the copy");
      child = descendants(parent.pid).find((p) => stat(p.pid)?.comm === "python3")!.pid;
      let reparented = false;
      const frames = createFrameParser({
        onFrame: (rec) => {
          if (reparented || decode(rec).kind !== Kind.READY) return;
          Deno.kill(parent.pid, "SIGKILL");
          const until = Date.now() + 5000;
          while (stat(child)?.ppid === parent.pid && Date.now() < until) { /* its exit */ }
          reparented = stat(child)?.ppid !== parent.pid;
        },
      });
      const stop = new AbortController();
      const capturing = captureForTest({
        pids: [keeper.pid, parent.pid],
        signal: stop.signal,
        loaderTap: (b) => frames.feed(b),
      });
      setTimeout(() => stop.abort(), 3000);
      const { res } = await capturing;
      assert.ok(reparented, "set-up: the child was reparented once the loader was ready");
      const attach = res.manifest.attach as ReturnType<AttachManager["report"]>;
      const hooked = attach.hooked.find((e) => e.path === lib);
      assert.ok(hooked, JSON.stringify(attach.hooked.map((e) => [e.path, e.seenBy])));
      assert.equal(hooked.seenBy, "running");
      assert.ok(hooked.probes.some((p) => p.fn === "SSL_write" && p.ok));
      assert.deepEqual(res.manifest.errors, []);
    } finally {
      for (
        const end of [
          () => child && Deno.kill(child, "SIGKILL"),
          () => keeper.kill(),
          () => parent.kill(),
        ]
      ) {
        try {
          end();
        } catch { /* gone already */ }
      }
      await Promise.all([keeper.status, parent.status]);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "paths through /proc/self/fd/N/ (how Bun writes files) are resolved to the directory",
  ignore: skipWithoutRoot(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sl-procfd-" });
    const script = `
import os
d = os.open(${JSON.stringify(dir)}, os.O_RDONLY | os.O_DIRECTORY)
p = f"/proc/self/fd/{d}/out.txt.tmp"
fd = os.open(p, os.O_WRONLY | os.O_CREAT, 0o644); os.write(fd, b"x"); os.close(fd)
os.rename(p, f"/proc/self/fd/{d}/out.txt")
`;
    const { rec } = await captureForTest({ cmd: ["/usr/bin/python3", "-c", script] });
    const open = rec.file.find((f) => f.op === "open" && f.raw_path.endsWith("out.txt.tmp"))!;
    assert.ok(open, "the open was recorded");
    assert.match(open.raw_path, /^\/proc\/self\/fd\/\d+\/out\.txt\.tmp$/);
    assert.equal(open.path, `${dir}/out.txt.tmp`);
    const rename = rec.file.find((f) => f.op === "rename")!;
    assert.equal(rename.path, `${dir}/out.txt.tmp`);
    assert.equal(rename.path2, `${dir}/out.txt`);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "signals sent to other processes: who sent which to whom, and how the target ended",
  ignore: skipWithoutRoot(),
  async fn() {
    // a dev server's way of ending: started in the background, stopped by a later command with
    // SIGTERM; a sleeper in a session of its own stopped with SIGKILL through its process
    // group; a kill of a pid that is gone (ESRCH). A probe (signal 0) and a signal the shell
    // sends itself are not recorded.
    const script = "trap '' USR1; sleep 30 & T=$!; setsid sleep 31 & G=$!; sleep 0.3; " +
      "kill -TERM $T; kill -0 $G; kill -KILL -- -$G; wait; " +
      "kill -TERM 4194000 2>/dev/null; kill -USR1 $$; true";
    const { res, rec } = await captureForTest({ cmd: ["bash", "-c", script], cwd: "/" });
    assert.equal(res.exitCode, 0);
    const bash = rec.manifest.root_pid;
    const sleeps = rec.process.filter((r) => r.kind === "exec" && r.comm === "sleep");
    const term = sleeps.find((s) => s.argv?.[1] === "30")!;
    const grouped = sleeps.find((s) => s.argv?.[1] === "31")!;
    assert.ok(term && grouped, "both sleepers ran");
    const signals = rec.privilege.map((p) => [p.pid, p.op, p.target_pid, p.request, p.ret]);
    assert.deepEqual(signals, [
      [bash, "kill", term.pid, "SIGTERM", 0n],
      [bash, "kill", -grouped.pid, "SIGKILL", 0n],
      [bash, "kill", 4194000, "SIGTERM", -3n],
    ]);
    const exits = new Map(rec.process.filter((r) => r.kind === "exit").map((r) => [r.pid, r]));
    assert.equal(exits.get(term.pid)?.exit_signal, 15);
    assert.equal(exits.get(grouped.pid)?.exit_signal, 9);
  },
});
