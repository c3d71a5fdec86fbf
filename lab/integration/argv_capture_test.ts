/**
 * Long command lines, as root, for real: an exec whose arguments are 100 KiB (past the 16 KiB
 * its exec record carries; Codex's shell-snapshot wrapper is ~38 KB) is recorded whole, every
 * byte; one beyond the capture's bound (1 MiB) is cut there, flagged in `argv_truncated`,
 * counted in the manifest and shown by the analysis as a `problems` row — never silently short.
 */
import assert from "node:assert/strict";
import { captureForTest, captureTest } from "../../tests/support/capture.ts";
import { analyzeRecording } from "../../analysis/analyze.ts";
import { checkRows } from "./check_queries.ts";
import { prices } from "../../analysis/testing.ts";
import { ARGV_KEEP } from "../../capture/events.ts";
import { loaderOf } from "../../tests/support/loader_of.ts";

/** ~100 KiB in four arguments, each different, so that any byte out of place shows */
const LONG = ["a".repeat(40000), "MIDDLE", "é".repeat(20000), "b".repeat(22000) + " END"];
/** 12 x 100000 bytes: more than the 1 MiB kept (the kernel takes up to 2 MiB of argv+env) */
const HUGE = Array.from({ length: 12 }, (_, i) => String(i % 10).repeat(100000));

const SCRIPT = `
import json, subprocess
long, huge = json.load(open("long.json")), json.load(open("huge.json"))
subprocess.run(["/bin/echo"] + long, stdout=subprocess.DEVNULL, check=True)
subprocess.run(["/bin/true"] + huge, check=True)
`;

captureTest(
  "exec: a 100 KiB command line is recorded whole; one beyond 1 MiB is cut loudly",
  "sl-argv-",
  async (tmp) => {
    const out = `${tmp}/rec`;
    // the arguments go to python in files (one argument may not pass 128 KiB, MAX_ARG_STRLEN)
    const { res, rec } = await captureForTest({
      cmd: [
        "/bin/sh",
        "-c",
        `exec /usr/bin/python3 -c '${SCRIPT}'`,
      ],
      out,
      cwd: await prepare(tmp),
    });
    assert.equal(res.exitCode, 0);
    const execs = rec.process.filter((p) => p.kind === "exec");
    const echo = execs.find((p) => p.filename === "/bin/echo" || p.filename === "/usr/bin/echo");
    assert.ok(echo, "the echo exec is recorded");
    assert.deepEqual(echo.argv, ["/bin/echo", ...LONG], "every byte of 100 KiB of arguments");
    assert.equal(echo.argv_truncated, false);
    const tru = execs.find((p) => p.filename?.endsWith("/true"));
    assert.ok(tru, "the true exec is recorded");
    assert.equal(tru.argv_truncated, true);
    const kept = (tru.argv ?? []).reduce((n, a) => n + a.length + 1, 0);
    assert.ok(kept >= ARGV_KEEP - 1 && kept <= ARGV_KEEP + 1, `kept ${kept} bytes`);
    assert.deepEqual(tru.argv?.slice(0, 3), ["/bin/true", HUGE[0], HUGE[1]]);
    assert.deepEqual(rec.manifest.exec_argv, {
      max_bytes: ARGV_KEEP,
      cut: 1,
      lost: 0,
      lost_bytes: 0,
    });

    const s = await analyzeRecording(out, prices, { quiet: true });
    {
      const problems = await checkRows(s.db, "problems");
      assert.equal(problems.length, 1, JSON.stringify(problems));
      assert.equal(problems[0].source, "process.arrow");
      assert.equal(problems[0].kind, "truncated");
      assert.match(String(problems[0].message), /^1 exec had a command line longer than/);
      const cut = await checkRows(s.db, "truncated_exec_count");
      assert.equal(cut[0].n, 1);
    }
  },
);

/** ~840 KB of arguments per exec: eight of them overflow the 4 MiB ring buffer unread */
const STORM = `
import os, subprocess, time
subprocess.run(["/bin/true"], check=True)  # known to the gate from now on: not stopped again
open("ready", "w").close()
while not os.path.exists("go"): time.sleep(0.02)
arg = "z" * 120000
for i in range(8):
    subprocess.run(["/bin/true"] + [arg] * 7 + [str(i)], check=True)
open("done", "w").close()
`;

captureTest(
  "exec: pieces of command lines the ring buffer had no room for are counted, never a " +
    "silently short argv",
  "sl-argv-drop-",
  async (tmp) => {
    const out = `${tmp}/rec`;
    const cwd = await prepare(tmp);
    const running = captureForTest({ cmd: ["/usr/bin/python3", "-c", STORM], out, cwd });
    await until(`${cwd}/ready`);
    // the loader stops reading while the execs write more than the ring buffer holds
    const loader = loaderOf(Deno.pid);
    Deno.kill(loader, "SIGSTOP");
    try {
      await Deno.writeTextFile(`${cwd}/go`, "");
      await until(`${cwd}/done`);
    } finally {
      Deno.kill(loader, "SIGCONT");
    }
    const { res, rec } = await running;
    assert.equal(res.exitCode, 0);
    const m = rec.manifest;
    assert.ok(m.drops.argv > 0, `argv pieces dropped: ${JSON.stringify(m.drops)}`);
    const big = rec.process.filter((p) =>
      p.kind === "exec" && p.filename?.endsWith("/true") && (p.argv?.length ?? 0) > 1
    );
    const whole = (p: (typeof big)[number]) =>
      p.argv!.length === 9 && p.argv!.slice(1, 8).every((a) => a.length === 120000);
    // every exec recorded is whole, or flagged and counted: none silently short
    for (const p of big) {
      assert.equal(p.argv_truncated, !whole(p), JSON.stringify(p.argv?.length));
    }
    const short = big.filter((p) => p.argv_truncated).length;
    assert.ok(short > 0, "some came short");
    assert.equal(m.exec_argv?.lost, short);
    assert.equal(m.exec_argv?.cut, 0);
    assert.ok((m.exec_argv?.lost_bytes ?? 0) >= 16384 * short);

    const s = await analyzeRecording(out, prices, { quiet: true });
    const problems = await checkRows(s.db, "problems");
    const lost = problems.filter((p) => p.source === "process.arrow" && p.kind === "lost");
    assert.equal(lost.length, 1, JSON.stringify(problems));
    assert.match(String(lost[0].message), new RegExp(`^${short} execs? had \\d+ bytes`));
    assert.ok(problems.some((p) => /dropped \d+ argv records/.test(String(p.message))));
  },
);

/** Waits (up to 30 s) for a file the traced command makes. */
async function until(path: string) {
  const end = Date.now() + 30_000;
  for (;;) {
    try {
      await Deno.stat(path);
      return;
    } catch {
      if (Date.now() > end) throw new Error(`timed out waiting for ${path}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** The arguments as JSON files in a directory of their own; returns it. */
async function prepare(tmp: string): Promise<string> {
  const cwd = `${tmp}/cwd`;
  await Deno.mkdir(cwd);
  await Deno.writeTextFile(`${cwd}/long.json`, JSON.stringify(LONG));
  await Deno.writeTextFile(`${cwd}/huge.json`, JSON.stringify(HUGE));
  return cwd;
}
