/**
 * A Ctrl-C (SIGINT) or SIGTERM during a capture's start (its loader loading and attaching the
 * eBPF programs, the command's binary located), before the command is released: the capture
 * ends in order at each point. What a user checks: the exit code (130 for SIGINT, 143 for
 * SIGTERM), one line that says the command was not run, a manifest that ends, not complete,
 * and says so (an error: an analysis of it has it as a `problems` row), files 0600, the command never ran, and no process of
 * the capture (its loader, the loader's watchdog, the command it forked) left running. A
 * second signal during that end forces it, and leaves nothing either.
 */
import { filePath } from "../kit/file_path.ts";
import assert from "node:assert/strict";
import { skipWithoutRoot } from "../tests/support/ebpf.ts";
import { captureCommand, taskCaptureCommand } from "./command_line.ts";
import { Terminal } from "../tests/support/terminal.ts";
import { shQuote } from "../kit/shell.ts";
import { readRecording } from "../recording/recording.ts";
import { alive, descendants, type Proc, procOf, stat } from "../kit/procs.ts";

/** A capture started as a user starts it, its phase lines (SIGHTLINE_DEBUG) on stderr. */
function startCapture(out: string, cmd: string[], flags: string[]) {
  const child = new Deno.Command(captureCommand(out, cmd, flags)[0], {
    args: captureCommand(out, cmd, flags).slice(1),
    env: { SIGHTLINE_DEBUG: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  let ended = false;
  let closed = false;
  const waiters: (() => void)[] = [];
  const wake = () => waiters.splice(0).forEach((w) => w());
  /** settles at the next bytes on stderr, or at once when there will be none */
  const next = () =>
    closed && ended ? Promise.resolve() : new Promise<void>((r) => waiters.push(r));
  const stderr = (async () => {
    const dec = new TextDecoder();
    for await (const chunk of child.stderr) {
      text += dec.decode(chunk, { stream: true });
      wake();
    }
    closed = true;
    wake();
  })();
  const stdout = new Response(child.stdout).text();
  // every process of the capture seen so far (the loader, its watchdog, the command forked)
  const seen = new Map<string, Proc & { comm: string }>();
  const look = () => {
    for (const p of descendants(child.pid)) {
      seen.set(`${p.pid}/${p.start}`, { ...p, comm: stat(p.pid)?.comm ?? "?" });
    }
  };
  const status = child.status.then((s) => {
    ended = true;
    wake();
    return s;
  });
  return {
    child,
    seen,
    /** waits until stderr shows `re` (the capture ending first fails) */
    async until(re: RegExp, what: string) {
      while (!re.test(text)) {
        look();
        if (ended && closed) throw new Error(`the capture ended before ${what}:\n${text}`);
        await next();
      }
      look();
    },
    /** sends `sig` to the capture's process (the `deno run` of capture/main.ts) */
    signal(sig: Deno.Signal) {
      look();
      child.kill(sig);
    },
    async done() {
      // (looked at while it ends, for processes forked late)
      const lookWhile = (async () => {
        while (!ended) {
          look();
          await next();
        }
      })();
      // a capture that does not end is killed (its loader then ends what it started), and fails
      let hung = false;
      const timer = setTimeout(() => {
        hung = true;
        child.kill("SIGKILL");
      }, 120_000);
      const st = await status;
      clearTimeout(timer);
      await Promise.all([stderr, lookWhile]);
      await stdout;
      assert.ok(!hung, `the capture did not end within 120 s:\n${text}`);
      return { code: st.code, stderr: text };
    },
  };
}

/** The capture's processes still running, given up to 5 s to end (the loader's watchdog ends
 * once it has seen the loader's end, a moment after the capture). */
async function leftRunning(seen: Map<string, Proc & { comm: string }>): Promise<string[]> {
  const left = () => [...seen.values()].filter(alive);
  for (let i = 0; i < 50 && left().length; i++) await new Promise((r) => setTimeout(r, 100));
  return left().map((p) => `${p.pid} (${p.comm})`);
}

/** What an analysis of a recording says of how its capture ended. */
const ANALYSED = "SELECT r.complete, " +
  "list(p.source || ': ' || p.message ORDER BY p.message) AS problems " +
  "FROM recordings r LEFT JOIN problems p ON true GROUP BY r.complete";

/** What a user checks of an interrupted start's capture. */
async function checkInterrupted(
  dir: string,
  c: ReturnType<typeof startCapture>,
  expect: { code: number; signal: string },
) {
  const { code, stderr } = await c.done();
  const lines = stderr.split("\n").filter((l) => l && !/^sightline(-loader)?: +[\d.]+ ms /.test(l));
  assert.equal(code, expect.code, stderr);
  assert.deepEqual(lines, [
    `sightline: the capture was interrupted (${expect.signal}) while it started: the command ` +
    `was not run (${dir}/rec)`,
  ], "one line says it");
  assert.ok(c.seen.size >= 1, "the capture's processes were seen");
  assert.deepEqual(await leftRunning(c.seen), [], "no process of the capture is left");
  await assert.rejects(Deno.stat(`${dir}/ran`), Deno.errors.NotFound, "the command never ran");
  const rec = readRecording(`${dir}/rec`);
  const m = rec.manifest;
  assert.ok(m.ended_at, "the manifest has its end");
  assert.equal(m.complete, false, "a recording whose command never ran is not complete");
  assert.equal(m.exit_code, null);
  assert.equal(m.exit_signal, null);
  const said = `the capture was interrupted (${expect.signal}) while it started: ` +
    "the command was not run";
  assert.ok(m.errors.includes(said), `manifest errors: ${JSON.stringify(m.errors)}`);
  assert.equal((await Deno.stat(`${dir}/rec`)).mode! & 0o777, 0o700);
  for await (const e of Deno.readDir(`${dir}/rec`)) {
    const mode = (await Deno.stat(`${dir}/rec/${e.name}`)).mode! & 0o777;
    assert.equal(mode, 0o600, `${e.name} is 0600`);
  }
  // an analysis of it (after the modes: it writes analysis.duckdb beside) says so: not
  // complete, its error a `problems` row
  const q = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "sql", "--format", "json", `${dir}/rec`, "--", ANALYSED],
    stdout: "piped",
    stderr: "piped",
    cwd: filePath("..", import.meta.url),
  }).output();
  const out = new TextDecoder().decode(q.stdout);
  const [row] = JSON.parse(out || "[{}]");
  assert.equal(row.complete, false, `${out}\n${new TextDecoder().decode(q.stderr)}`);
  assert.ok(row.problems.includes(`capture: ${said}`), JSON.stringify(row.problems));
  assert.ok(
    !row.problems.some((p: string) => /did not end cleanly/.test(p)),
    `said once, as its error: ${JSON.stringify(row.problems)}`,
  );
  return rec;
}

/** A command that leaves `dir`/ran behind if it runs at all. */
const marking = (dir: string) => ["/bin/sh", "-c", `: > ${dir}/ran; sleep 60`];

for (const sig of ["SIGINT", "SIGTERM"] as const) {
  Deno.test({
    name: `${sig} while the loader loads its programs (the command not yet released): the ` +
      "capture ends in order, nothing left running",
    ignore: skipWithoutRoot(),
    async fn() {
      const dir = await Deno.makeTempDir({ prefix: "sl-startsig-" });
      const c = startCapture(`${dir}/rec`, marking(dir), ["--quiet"]);
      await c.until(/ ms loader started /, "its loader started");
      c.signal(sig);
      const rec = await checkInterrupted(dir, c, {
        code: sig === "SIGINT" ? 130 : 143,
        signal: sig,
      });
      assert.equal(rec.process.filter((p) => p.kind === "exec").length, 0, "nothing was run");
      await Deno.remove(dir, { recursive: true });
    },
  });
}

Deno.test({
  name: "SIGINT while the command's big binary is located (--no-gate: before its release): " +
    "the locate is not waited for, the command forked for it is killed, nothing left",
  ignore: skipWithoutRoot(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sl-startsig-" });
    // the deno binary, in an empty cache: located afresh (seconds) before the command runs
    const cmd = [
      Deno.execPath(),
      "eval",
      `Deno.writeTextFileSync(${JSON.stringify(`${dir}/ran`)}, "")`,
    ];
    const c = startCapture(`${dir}/rec`, cmd, [
      "--quiet",
      "--no-gate",
      "--cache-dir",
      `${dir}/cache`,
    ]);
    await c.until(/ ms loader ready /, "its loader ready");
    c.signal("SIGINT");
    await checkInterrupted(dir, c, { code: 130, signal: "SIGINT" });
    const { stderr } = await c.done();
    assert.match(stderr, / ms interrupted while preattaching /, "interrupted while it located");
    assert.ok(
      [...c.seen.values()].some((p) => p.comm === "sightline-loade"),
      "the loader was seen",
    );
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "a second signal while an interrupted start ends (SIGINT, then SIGTERM): forced, " +
    "still the first signal's exit code, a manifest with its end, nothing left",
  ignore: skipWithoutRoot(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sl-startsig-" });
    const c = startCapture(`${dir}/rec`, marking(dir), ["--quiet"]);
    await c.until(/ ms loader started /, "its loader started");
    c.signal("SIGINT");
    c.signal("SIGTERM");
    await checkInterrupted(dir, c, { code: 130, signal: "SIGINT" });
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "--pid: SIGINT while the loader loads: the capture ends in order (130, the manifest says " +
    "the processes were not followed), the joined process runs on, nothing of the capture left",
  ignore: skipWithoutRoot(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sl-startsig-" });
    const target = new Deno.Command("/bin/sleep", { args: ["60"] }).spawn();
    const joined = procOf(target.pid)!;
    try {
      const c = startCapture(`${dir}/rec`, [], ["--quiet", "--pid", String(target.pid)]);
      await c.until(/ ms loader started /, "its loader started");
      c.signal("SIGINT");
      const { code, stderr } = await c.done();
      assert.equal(code, 130, stderr);
      const said = "the capture was interrupted (SIGINT) while it started: the processes were " +
        "not followed";
      assert.match(stderr, new RegExp(`^sightline: ${said.replace(/[()]/g, "\\$&")} \\(`, "m"));
      assert.deepEqual(await leftRunning(c.seen), [], "no process of the capture is left");
      const m = readRecording(`${dir}/rec`).manifest;
      assert.ok(m.ended_at);
      assert.equal(m.complete, false, "its processes were never followed: not complete");
      assert.ok(m.errors.includes(said), JSON.stringify(m.errors));
      assert.ok(alive(joined), "the joined process runs on");
    } finally {
      target.kill("SIGKILL");
      await target.status;
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "Ctrl-C typed at a terminal while `deno task capture` starts: the shell's prompt with " +
    "exit code 130, one line, the manifest's end, nothing left running",
  ignore: skipWithoutRoot(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sl-startsig-" });
    const env = {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? "/root",
      TERM: "xterm-256color",
      PS1: "[rc=$?]$ ",
      SIGHTLINE_DEBUG: "1",
    };
    const t = Terminal.start(["/bin/bash", "--norc", "--noprofile", "-i"], { env, cwd: dir });
    // the processes of the capture as they come and go (the loader, its watchdog, the command)
    const seen = new Map<string, Proc & { comm: string }>();
    let watching = true;
    const watch = (async () => {
      while (watching) {
        noteCaptureProcesses(seen);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    try {
      await t.until(/\[rc=0\]\$ $/, "the shell's first prompt");
      await t.type(`${taskCaptureCommand(`${dir}/rec`, marking(dir)).map(shQuote).join(" ")}\r`);
      await t.until(/ ms loader started /, "the loader started", 60_000);
      await t.type("\x03");
      const shown = await t.until(/\n\[rc=(\d+)\]\$ $/, "the prompt again", 60_000);
      assert.equal(shown[1], "130", t.text);
      const said = t.text.split(/\r?\n/).filter((l) =>
        l.startsWith("sightline: ") && !/^sightline: +[\d.]+ ms /.test(l)
      );
      assert.deepEqual(said, [
        "sightline: the capture was interrupted (SIGINT) while it started: the command was not " +
        `run (${dir}/rec)`,
      ]);
      watching = false;
      await watch;
      // (the loader may have lived too short to be seen: the terminal's Ctrl-C can kill it in
      // the instant after its exec, before it takes the signal itself)
      noteCaptureProcesses(seen);
      assert.deepEqual(await leftRunning(seen), [], "nothing left running at the prompt");
      await assert.rejects(Deno.stat(`${dir}/ran`), Deno.errors.NotFound, "never ran");
      const m = readRecording(`${dir}/rec`).manifest;
      assert.ok(m.ended_at);
      assert.equal(m.complete, false);
      assert.ok(m.errors.includes(
        "the capture was interrupted (SIGINT) while it started: the command was not run",
      ));
    } finally {
      watching = false;
      await watch;
      await t.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** Adds to `seen` the processes of a capture (its loader, the loader's watchdog, the command)
 * among this test's descendants now. */
function noteCaptureProcesses(seen: Map<string, Proc & { comm: string }>): void {
  for (const p of descendants()) {
    const comm = stat(p.pid)?.comm ?? "?";
    if (/^(sightline-|sh$|sleep$)/.test(comm)) seen.set(`${p.pid}/${p.start}`, { ...p, comm });
  }
}
