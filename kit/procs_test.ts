/**
 * kit/procs.ts on real processes: this test's own (its parent and its CPU time growing as it
 * works) and a child whose command name holds a space and parentheses (as /proc/PID/stat
 * writes it between parentheses), which is told apart from nothing once it has ended.
 */
import assert from "node:assert/strict";
import { alive, descendants, kernelComm, procOf, procTag, stat } from "./procs.ts";

Deno.test("stat: this process's parent, state and CPU time, which grows as it works", () => {
  const s = stat(Deno.pid)!;
  assert.equal(s.ppid, Deno.ppid);
  assert.match(s.state, /^[RS]$/);
  assert.match(s.start, /^\d+$/);
  const until = Date.now() + 10_000;
  let now = s;
  while (now.cpuMs < s.cpuMs + 50 && Date.now() < until) now = stat(Deno.pid)!;
  assert.ok(now.cpuMs >= s.cpuMs + 50, `CPU time ${s.cpuMs} ms -> ${now.cpuMs} ms`);
  assert.equal(stat(2 ** 22 + 1), null, "above pid_max: no such process");
});

Deno.test("stat: a command name with a space and parentheses; gone once the child ended", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const name = "x) (y z";
    await Deno.symlink("/bin/sleep", `${dir}/${name}`);
    const child = new Deno.Command(`${dir}/${name}`, { args: ["30"] }).spawn();
    // the name is the command's once the child has executed it
    const until = Date.now() + 10_000;
    while (stat(child.pid)?.comm !== name && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const s = stat(child.pid)!;
    assert.equal(s.comm, name);
    assert.equal(s.ppid, Deno.pid);
    assert.match(s.state, /^[RS]$/);
    const p = procOf(child.pid)!;
    assert.ok(descendants().some((d) => d.pid === p.pid && d.start === p.start));
    assert.ok(alive(p));
    child.kill("SIGKILL");
    await child.status;
    assert.equal(stat(child.pid), null);
    assert.equal(alive(p), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("kernelComm: a name as the kernel keeps it, its first 15 bytes", async () => {
  assert.equal(kernelComm("claude"), "claude");
  assert.equal(kernelComm("exactly-15-char"), "exactly-15-char");
  assert.equal(kernelComm("sl-agent-bin-updated"), "sl-agent-bin-up");
  // what a running program of a longer name reads as in /proc
  const dir = await Deno.makeTempDir();
  const long = `${dir}/sl-agent-bin-updated`;
  await Deno.copyFile("/usr/bin/sleep", long);
  await Deno.chmod(long, 0o755);
  const p = new Deno.Command(long, { args: ["5"] }).spawn();
  try {
    assert.equal(stat(p.pid)?.comm, kernelComm("sl-agent-bin-updated"));
  } finally {
    p.kill("SIGKILL");
    await p.status;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("alive: a /proc that cannot be read (no file descriptor left) does not make a living process dead", async () => {
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    // the process reads itself after taking every file descriptor it may have (EMFILE)
    await Deno.writeTextFile(
      file,
      `import { alive, procOf } from "${new URL("./procs.ts", import.meta.url).href}";
const me = procOf(Deno.pid)!;
const held = [];
let why = "";
try { for (;;) held.push(Deno.openSync("/dev/null")); } catch (e) { why = String(e); }
console.log(JSON.stringify({ why, alive: alive(me) }));
`,
    );
    const out = await new Deno.Command("sh", {
      args: ["-c", `ulimit -n 128 && exec "$0" run -A "$1"`, Deno.execPath(), file],
      stderr: "inherit",
    }).output();
    assert.ok(out.success);
    const got = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.match(got.why, /Too many open files/);
    assert.equal(got.alive, true);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("procTag: this host's boot and the pid namespace /proc shows", () => {
  const boot = Deno.readTextFileSync("/proc/sys/kernel/random/boot_id").replace(/-/g, "");
  assert.equal(procTag(), `${boot.slice(0, 8)}n${Deno.statSync("/proc/self/ns/pid").ino}`);
});
