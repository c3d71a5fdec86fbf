/**
 * As root, for real: a session of the resident capture (`capture --via`) started from a shell at
 * a terminal, beside the same command under a capture of its own (`capture -- CMD`) in the same
 * shell, through each client (Deno's and native/'s C one). What the user sees must be the same: the command's stdin is a terminal, `stty size`
 * follows a resize of the terminal and the command is told of it (SIGWINCH), and Ctrl-C ends it
 * with the same exit code. What differs, as the README says: the session's command has no
 * controlling terminal (`/dev/tty` cannot be opened), where the capture of its own's has, and
 * Ctrl-Z does not stop the session: it is said so, and the command goes on.
 */
import assert from "node:assert/strict";
import { skipWithoutRoot } from "../tests/support/ebpf.ts";
import { startServer, VIA_CLIENTS, viaCommand } from "../tests/support/resident_server.ts";
import { shellEnv, Terminal } from "../tests/support/terminal.ts";
import { captureCommand } from "./command_line.ts";
import { readRecording } from "../recording/recording.ts";
import { shQuote } from "../kit/shell.ts";

/** Says whether its stdin is a terminal and whether /dev/tty opens, its size once ready and
 * on each SIGWINCH, and waits (for Ctrl-C). */
const SCRIPT = `
trap 'echo "resized to $(stty size)"' WINCH
if test -t 0; then echo "stdin: a terminal"; else echo "stdin: no terminal"; fi
if (: </dev/tty) 2>/dev/null; then echo "/dev/tty: opens"; else echo "/dev/tty: fails"; fi
echo "ready at $(stty size)"
while :; do sleep 0.1; done
`;
const CMD = ["/bin/sh", "-c", SCRIPT];

/** Sets the size of the terminal whose slave `pid` has as its stdin, as a terminal emulator's
 * window does when resized (the kernel sends SIGWINCH to the terminal's foreground group). */
async function resize(pid: number, rows: number, cols: number) {
  const out = await new Deno.Command("stty", {
    args: ["-F", `/proc/${pid}/fd/0`, "rows", String(rows), "cols", String(cols)],
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
}

/** Runs `line` at the shell's prompt, resizes the terminal once SCRIPT is ready, then Ctrl-C:
 * what SCRIPT said and the exit code the shell saw. */
async function session(
  t: Terminal,
  shell: number,
  line: string,
  rows: number,
  cols: number,
  beforeResize = async () => {},
) {
  await t.type(line + "\r");
  const stdin = (await t.until(/^stdin: (.*)$/m, "whether stdin is a terminal", 60_000))[1];
  const tty = (await t.until(/^\/dev\/tty: (.*)$/m, "whether /dev/tty opens"))[1];
  const ready = (await t.until(/^ready at (\d+ \d+)$/m, "the command ready"))[1];
  await beforeResize();
  await resize(shell, rows, cols);
  const resized = (await t.until(/^resized to (\d+ \d+)$/m, "the command told of the resize"))[1];
  await t.type("\x03");
  const rc = Number((await t.until(/\[rc=(\d+)\]\$ $/, "the shell's prompt after Ctrl-C"))[1]);
  return { stdin, tty, ready, resized, rc };
}

Deno.test({
  name: "a session from a shell at a terminal: stdin a terminal, stty size and SIGWINCH follow " +
    "a resize, Ctrl-C ends it with the exit code of a capture of its own; no /dev/tty",
  ignore: skipWithoutRoot(),
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "sl-resident-tty-" });
    const server = await startServer(tmp);
    const t = Terminal.start(["/bin/bash", "--norc", "--noprofile", "-i"], {
      env: shellEnv(),
      cwd: tmp,
      cols: 100,
      rows: 30,
    });
    try {
      await t.until(/\[rc=0\]\$ $/, "the shell's first prompt");
      await t.type("echo shell=$$\r");
      const shell = Number((await t.until(/^shell=(\d+)$/m, "the shell's pid"))[1]);
      await t.until(/\[rc=0\]\$ $/, "the prompt");
      const own = await session(
        t,
        shell,
        captureCommand(`${tmp}/own`, CMD).map(shQuote).join(" "),
        33,
        77,
      );
      assert.deepEqual(
        own,
        { stdin: "a terminal", tty: "opens", ready: "30 100", resized: "33 77", rc: own.rc },
      );
      // a session through each client, the terminal resized once in each
      let size = "33 77";
      for (const [i, client] of VIA_CLIENTS.entries()) {
        const [rows, cols] = [35 + i, 81 + i];
        const line = client === "deno"
          ? captureCommand(`${tmp}/served-${client}`, CMD, [
            "--quiet",
            "--via",
            "--socket",
            server.socket,
          ])
          : viaCommand(client, [
            "--via",
            "--socket",
            server.socket,
            "--quiet",
            "--out",
            `${tmp}/served-${client}`,
            "--",
            ...CMD,
          ]);
        const served = await session(
          t,
          shell,
          line.map(shQuote).join(" "),
          rows,
          cols,
          async () => {
            // Ctrl-Z: said not to stop the session, which goes on (it is told of the resize next)
            await t.type("\x1a");
            await t.until(/sightline: Ctrl-Z does not stop a --via session/, "Ctrl-Z's line");
          },
        );
        assert.deepEqual(served, {
          stdin: "a terminal",
          tty: "fails", // no controlling terminal: the README says so
          ready: size,
          resized: `${rows} ${cols}`,
          rc: own.rc,
        }, `the ${client} client`);
        size = `${rows} ${cols}`;
      }
      assert.notEqual(own.rc, 0, "Ctrl-C ended the command");
      await t.type("exit 0\r");
      assert.deepEqual(await t.exited(), { exit: 0, hungUp: false });
    } catch (e) {
      await t.close();
      await server.stop();
      await Deno.remove(tmp, { recursive: true });
      throw e;
    }
    await t.close();
    await server.stop();
    try {
      for (const rec of ["own", ...VIA_CLIENTS.map((c) => `served-${c}`)]) {
        const m = readRecording(`${tmp}/${rec}`).manifest;
        assert.equal(m.complete, true, rec);
      }
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
