/** The test terminal: what it shows, keys typed into it, how its session leader ended. */
import assert from "node:assert/strict";
import { shownText, Terminal } from "./terminal.ts";
import { alive, type Proc, procOf, stat } from "../../kit/procs.ts";

const ENV = { PATH: "/usr/bin:/bin", TERM: "xterm-256color", PS1: "[rc=$?]$ ", HOME: "/tmp" };

Deno.test("shownText: escape sequences out, a cursor move forward a space, a jump a line", () => {
  assert.equal(
    shownText("\x1b[?25l\x1b[1mbold\x1b[0m\x1b[1Cword\x1b[3;1Hnext\x1b]0;title\x07\r\n"),
    "bold word\nnext\n",
  );
  assert.equal(shownText("\x1b(Bplain\x1b=\x1b>"), "plain");
  assert.equal(shownText("[Pasted\x1b[11Gtext\x1b[2Aup"), "[Pasted text\nup");
});

Deno.test("a shell on the terminal: typed lines run, the exit code comes back", async () => {
  const t = Terminal.start(["/bin/bash", "--norc", "--noprofile", "-i"], { env: ENV, cols: 100 });
  try {
    await t.until(/\[rc=0\]\$ $/, "the first prompt");
    await t.type("stty size; tty\r");
    await t.until(/40 100\n\/dev\/pts\/\d+\n/, "the terminal's size and name");
    await t.type("printf 'split\\033[2Cwords\\n'; exit 3\r");
    await t.until(/split {2}words/, "the printed text");
    assert.deepEqual(await t.exited(), { exit: 3, hungUp: false });
  } finally {
    await t.close();
  }
});

Deno.test("close: the terminal hung up ends what reads it; text cut inside an escape", async () => {
  const t = Terminal.start([
    "/bin/sh",
    "-c",
    "printf 'a\\033['; sleep 0.3; printf '1mb\\n'; exec cat",
  ], {
    env: ENV,
  });
  await t.until(/^ab\n/, "the text around the split escape sequence");
  await assert.rejects(t.until(/never/, "nothing", 300), /nothing: not shown in 300 ms/);
  const end = await t.close();
  assert.equal(end.hungUp, true);
  assert.equal(end.exit, -1, "ended by SIGHUP");
});

/** Stops itself in a process group of its own, SIGHUP ignored, again when continued. */
const STRAY = "import os, signal\n" +
  "signal.signal(signal.SIGHUP, signal.SIG_IGN)\n" +
  "os.setpgid(0, 0)\n" +
  "print('stray', os.getpid(), flush=True)\n" +
  "while True: os.kill(os.getpid(), signal.SIGSTOP)";

Deno.test("close: a stopped process left in the session (own group) is killed", async () => {
  const t = Terminal.start(["/bin/sh", "-c", `python3 -c "$0" & exec cat`, STRAY], { env: ENV });
  let stray: Proc | null = null;
  try {
    stray = procOf(Number((await t.until(/^stray (\d+)$/m, "the stray process's pid"))[1]));
    const deadline = Date.now() + 10_000;
    while (stat(stray!.pid)?.state !== "T" && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(stat(stray!.pid)?.state, "T", "the stray process stopped");
  } finally {
    assert.equal((await t.close()).hungUp, true);
  }
  const deadline = Date.now() + 5_000;
  while (alive(stray!) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const left = alive(stray!);
  if (left) Deno.kill(stray!.pid, "SIGKILL");
  assert.equal(left, false, "the stray process outlived the terminal");
});

Deno.test("a leader that closed the terminal but lives on is killed, not waited for", async () => {
  const t = Terminal.start([
    "/bin/sh",
    "-c",
    "trap '' HUP; echo bye; exec sleep 300 </dev/null >/dev/null 2>&1",
  ], {
    env: ENV,
  });
  try {
    await t.until(/^bye$/m, "its last words");
    assert.deepEqual(await t.exited(20_000), { exit: -9, hungUp: false });
  } finally {
    await t.close();
  }
});

Deno.test("keys typed ahead of a program writing much before it reads: no deadlock", async () => {
  const n = 300_000;
  const t = Terminal.start([
    "/bin/sh",
    "-c",
    `stty raw -echo; echo up; sleep 0.5; head -c ${n} /dev/zero | tr '\\0' o; echo; ` +
    `echo printed; echo got $(head -c ${n} | wc -c)`,
  ], { env: ENV });
  try {
    await t.until(/^up$/m, "the program's start");
    const typing = t.type("x".repeat(n));
    await t.until(/^printed$/m, "what it wrote while the keys waited", 15_000);
    await typing;
    await t.until(new RegExp(`^got ${n}$`, "m"), "every key read", 15_000);
    assert.deepEqual(await t.exited(), { exit: 0, hungUp: false });
  } finally {
    await t.close();
  }
});
