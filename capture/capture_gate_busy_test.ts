/**
 * The gate while a big binary is inspected (real eBPF, needs root): the first capture of a
 * binary of tens or hundreds of MB not in the caches takes seconds to inspect (Deno's own,
 * ~90 MB: ~1.6 s in the static-binary locator; Claude Code's, ~380 MB: ~3 s). That work runs
 * off the capture's main thread (off_thread.ts), so another process exec'd meanwhile is
 * released at once, not after it; the process whose binary it is still waits for its hooks.
 */
import assert from "node:assert/strict";
import { captureForTest, captureTest } from "../tests/support/capture.ts";
import { OFF_THREAD_MIN_BYTES } from "./off_thread.ts";
import type { AttachManager } from "./attach.ts";

/** Runs $1 --version in the background and, once the gate holds it, runs $2 (a fresh tool).
 * It waits with bash builtins only: an exec would be held at the gate too. */
const SCRIPT = `
exec {fd}<> <(:)
"$1" --version > /dev/null &
big=$!
for ((i = 0; i < 2000; i++)); do
  if read -r st < /proc/$big/stat; then s=\${st##*) }; [[ \${s:0:1} == T ]] && break; fi
  read -t 0.005 -u $fd
done
"$2" > /dev/null
wait $big
`;

captureTest(
  "gate: a process exec'd while a big binary is inspected is released before that inspection " +
    "ends, and recorded; the big binary's process waits for its own",
  "sl-gate-busy-",
  async (dir) => {
    const big = Deno.execPath();
    assert.ok(Deno.statSync(big).size >= OFF_THREAD_MIN_BYTES, "set-up: Deno's binary is big");
    const tool = `${dir}/tool`;
    await Deno.copyFile("/usr/bin/id", tool);
    const { res, rec } = await captureForTest({
      cmd: ["/bin/bash", "-c", SCRIPT, "busy", big, tool],
      out: `${dir}/rec`,
      cacheDir: `${dir}/cache`, // empty: every file is inspected
    });
    assert.equal(res.exitCode, 0);
    const m = res.manifest;
    const attach = m.attach as ReturnType<AttachManager["report"]>;
    const entry = [...attach.hooked, ...attach.not_hooked].find((e) => e.path === big);
    assert.ok(entry, `the big binary is in the attach report: ${JSON.stringify(m.attach)}`);
    assert.ok(entry.inspectMs >= 200, `set-up: its inspection took a while: ${entry.inspectMs}`);
    const ms = (row: { ts_ns: bigint }) => Number(row.ts_ns / 1_000_000n);
    const row = (kind: string, exe: string) =>
      rec.process.find((r) => r.kind === kind && (kind !== "exec" || r.filename === exe));
    const bigExec = row("exec", big), toolExec = row("exec", tool);
    assert.ok(bigExec && toolExec, "both execs recorded");
    const exitOf = (pid: number) => rec.process.find((r) => r.kind === "exit" && r.pid === pid);
    const bigExit = exitOf(bigExec.pid), toolExit = exitOf(toolExec.pid);
    assert.ok(bigExit && toolExit, "both exits recorded");
    assert.equal(toolExit.exit_code, 0);
    assert.deepEqual(toolExec.argv, [tool]);
    // the tool ran to its end while the big binary was still being inspected (before, it
    // waited for all of it: its exit came after the big binary's exec plus inspectMs)
    const toolDone = ms(toolExit) - ms(bigExec);
    assert.ok(
      toolDone < entry.inspectMs / 2,
      `the tool ended ${toolDone} ms after the big binary's exec; its inspection took ` +
        `${entry.inspectMs} ms`,
    );
    // and the big binary's process was held until its inspection was done
    const bigDone = ms(bigExit) - ms(bigExec);
    assert.ok(
      bigDone >= entry.inspectMs,
      `the big binary ended ${bigDone} ms after its exec, its inspection took ${entry.inspectMs}`,
    );
    assert.deepEqual(m.warnings, []);
  },
);
