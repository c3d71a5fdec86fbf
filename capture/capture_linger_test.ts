/**
 * As root, for real: what a command started is followed after the command itself has ended,
 * while it still runs, for a short while (the loader's LINGER_MS). An agent's launcher that
 * dies at Ctrl-C while the agent below it still cleans up (Qwen Code's `node` wrapper) left
 * that cleanup and the agent's exit unrecorded: the capture stopped with the wrapper. A
 * process that runs on past the linger is still said (a warning), and a command that leaves
 * nothing running ends the capture at once.
 */
import assert from "node:assert/strict";
import { captureForTest, captureTest } from "../tests/support/capture.ts";

captureTest(
  "a background job that ends 0.5 s after its command is recorded to its exit",
  "sl-linger-",
  async (tmp) => {
    const t0 = performance.now();
    const { res, rec } = await captureForTest({
      // the job outlives the shell: it writes a file and exits 0.5 s after the shell's exit
      cmd: ["/bin/sh", "-c", `(sleep 0.5; echo late > "${tmp}/late.txt") & exit 3`],
      out: `${tmp}/rec`,
    });
    assert.equal(res.exitCode, 3, "the command's own exit code, not its job's");
    const wrote = rec.file.filter((f) => f.path === `${tmp}/late.txt`);
    assert.ok(wrote.length > 0, "the job's write after the command's exit is recorded");
    const sleeps = rec.process.filter((p) => p.kind === "exec" && p.argv?.[0] === "sleep");
    assert.equal(sleeps.length, 1);
    const exits = rec.process.filter((p) => p.kind === "exit" && p.pid === sleeps[0].pid);
    assert.equal(exits.length, 1, "the job's sleep has its exit");
    assert.deepEqual(
      rec.manifest.warnings.filter((w) => /had not exited/.test(w)),
      [],
      "nothing is left running",
    );
    assert.ok(performance.now() - t0 < 30_000);
  },
);

captureTest(
  "a daemon that runs on past the linger (5 s) is said, and the capture does not wait for it; " +
    "its name's terminal escapes said inert",
  "sl-linger-",
  async (tmp) => {
    // a program named to clear the screen and write the clipboard (OSC 52) when printed raw
    const name = "s\x1b[2J\x1b]52;c;aGk=\x07";
    Deno.copyFileSync("/bin/sleep", `${tmp}/${name}`);
    Deno.chmodSync(`${tmp}/${name}`, 0o755);
    const lines: string[] = [];
    const t0 = performance.now();
    const { res, rec } = await captureForTest({
      cmd: [
        "/bin/sh",
        "-c",
        `(setsid "$0" 9 </dev/null >/dev/null 2>&1 &); exit 0`,
        `${tmp}/${name}`,
      ],
      out: `${tmp}/rec`,
      quiet: false,
      log: (l) => lines.push(l),
    });
    const took = performance.now() - t0;
    assert.equal(res.exitCode, 0);
    const said = rec.manifest.warnings.filter((w) => /had not exited/.test(w));
    assert.equal(said.length, 1, JSON.stringify(rec.manifest.warnings));
    assert.match(
      said[0],
      // deno-lint-ignore no-control-regex
      /^1 traced process had not exited when the capture ended \(pid \d+ s\x1b\[2J\x1b\]52;c;aGk/,
      "the manifest keeps the name exact",
    );
    const shown = lines.join("\n");
    assert.match(shown, /\(pid \d+ s\\x1b\[2J\\x1b\]52;c;aGk/, shown);
    // deno-lint-ignore no-control-regex
    assert.doesNotMatch(shown, /[\x00-\x08\x0b-\x1f\x7f]/, "no control character printed");
    // the capture ends ~5 s after the command, not with the daemon 9 s later
    assert.ok(took < 8_500, `${took} ms`);
    await new Promise((r) => setTimeout(r, 9_500 - took)); // the daemon's end
  },
);
