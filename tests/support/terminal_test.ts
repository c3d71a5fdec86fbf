/** The test terminal: what it shows, keys typed into it, how its session leader ended. */
import assert from "node:assert/strict";
import { shownText, Terminal } from "./terminal.ts";

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
