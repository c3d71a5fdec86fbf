/**
 * Job control at a terminal, as a user's shell does it: the capture and its command are one job.
 * Ctrl-Z stops the command and the capture with it, and the shell gets the terminal back with
 * its prompt; `fg` continues the command with the terminal its own again (it reads the keys
 * typed next); the terminal's settings are the same after the capture as before. A capture
 * that is the terminal's session leader (no shell to give a prompt to) takes Ctrl-Z as the
 * kernel takes it for such a group: the command goes on.
 */
import assert from "node:assert/strict";
import { skipWithoutRoot } from "../tests/support/ebpf.ts";
import { Terminal } from "../tests/support/terminal.ts";
import { captureCommand } from "./command_line.ts";
import { readRecording } from "../recording/recording.ts";

/**
 * A command that says it is ready, and when it is continued after a stop, then reads a line
 * and ends with exit code 3. (Keys typed before it is back are not waited for: a shell's `fg`
 * may drop what was typed ahead, with or without a capture.)
 */
const READER = [
  "/usr/bin/python3",
  "-c",
  "import os, signal\n" +
  "signal.signal(signal.SIGCONT, lambda *_: os.write(1, b'continued\\n'))\n" +
  "print('ready', 1 + 1, flush=True)\n" +
  "print('got', input(), flush=True)\n" +
  "raise SystemExit(3)",
];

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

function env(): Record<string, string> {
  return {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: Deno.env.get("HOME") ?? "/root",
    TERM: "xterm-256color",
    PS1: "[rc=$?]$ ",
  };
}

Deno.test({
  name: "Ctrl-Z stops the command and the capture as one job: the shell's prompt is back, " +
    "fg continues the command with the terminal, the terminal's settings are restored",
  ignore: skipWithoutRoot(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sl-jobs-" });
    const t = Terminal.start(["/bin/bash", "--norc", "--noprofile", "-i"], {
      env: env(),
      cwd: dir,
    });
    try {
      await t.until(/\[rc=0\]\$ $/, "the shell's first prompt");
      await t.type("stty -g\r");
      const before = (await t.until(/\n([0-9a-f]+(?::[0-9a-f]+){4,})\n/, "stty -g before"))[1];
      await t.type(captureCommand(`${dir}/rec`, READER).map(quote).join(" ") + "\r");
      await t.until(/^ready 2$/m, "the command started", 60_000);
      await t.type("\x1a");
      await t.until(/Stopped[\s\S]*\n\[rc=148\]\$ $/, "the job stopped and the shell's prompt");
      await t.type("fg\r");
      await t.until(/continued$/m, "the command continued");
      await t.type("typed after fg\r");
      await t.until(/^got typed after fg$/m, "the command read the keys typed after fg");
      await t.until(/\[rc=3\]\$ $/, "the command's exit code, passed on");
      await t.type("stty -g\r");
      const after = (await t.until(/\n([0-9a-f]+(?::[0-9a-f]+){4,})\n/, "stty -g after"))[1];
      assert.equal(after, before, "the terminal's settings after the capture");
      await t.type("exit\r");
      assert.deepEqual(await t.exit, { exit: 0, hungUp: false });
    } finally {
      await t.close();
    }
    const rec = readRecording(`${dir}/rec`);
    assert.equal(rec.manifest.complete, true);
    assert.equal(rec.manifest.exit_code, 3);
    assert.deepEqual(rec.manifest.errors, []);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "Ctrl-Z with no shell to return to (the capture leads the terminal's session): " +
    "the command goes on and reads the keys",
  ignore: skipWithoutRoot(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sl-jobs-lead-" });
    const t = Terminal.start(captureCommand(`${dir}/rec`, READER), { env: env(), cwd: dir });
    try {
      await t.until(/^ready 2$/m, "the command started", 60_000);
      await t.type("\x1a");
      await t.until(/continued$/m, "the command continued at once");
      await t.type("still read\r");
      await t.until(/^got still read$/m, "the command read the keys typed after Ctrl-Z");
      assert.deepEqual(await t.exit, { exit: 3, hungUp: false });
    } finally {
      await t.close();
    }
    assert.equal(readRecording(`${dir}/rec`).manifest.exit_code, 3);
    await Deno.remove(dir, { recursive: true });
  },
});
