/**
 * A traced command that leaves a daemon behind: the capture ends with the command and does
 * not follow the daemon further. The user is told, by the capture (a summary line and a
 * manifest warning) and by the analysis (a `problems` row), instead of finding a process
 * without an end and its later work missing.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { skipWithoutRoot } from "../tests/support/ebpf.ts";
import { denoTask } from "./testing.ts";

Deno.test({
  name: "a daemon that outlives the captured command: said by the capture and by the analysis",
  ignore: skipWithoutRoot(),
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "sl-outlived-" });
    const rec = join(tmp, "rec");
    let daemon = 0;
    try {
      // the daemon (a session of its own, so no signal of the command's group reaches it, its
      // output not the command's) runs on 7.5 s after the command has exited, past the 5 s the
      // capture follows what still runs of a command that ended (loader LINGER_MS). The
      // command waits 0.5 s so that the daemon has started its program by then: a program started right as
      // the capture ends can be left stopped by the capture's gate (said in the QA report).
      const cap = await denoTask([
        "capture",
        "--out",
        rec,
        "--",
        "sh",
        "-c",
        "(setsid sleep 8 </dev/null >/dev/null 2>&1 &); sleep 0.5",
      ]);
      assert.equal(cap.code, 0, cap.stderr);
      const said =
        /warning: 1 traced process had not exited when the capture ended \(pid (\d+) sleep\): what it did afterwards is not recorded\n/;
      const m = cap.stderr.match(said);
      assert.ok(m, cap.stderr);
      daemon = Number(m[1]);
      const manifest = JSON.parse(await Deno.readTextFile(join(rec, "manifest.json")));
      assert.ok(manifest.warnings.some((w: string) => said.test(`warning: ${w}\n`)));

      const sql = await denoTask([
        "sql",
        "--format",
        "json",
        rec,
        "--",
        "SELECT source, kind, message FROM problems WHERE kind = 'running'",
      ]);
      assert.equal(sql.code, 0, sql.stderr);
      assert.deepEqual(JSON.parse(sql.stdout), [{
        source: "processes",
        kind: "running",
        message: `1 traced process has no recorded exit (pid ${daemon} sleep): still running ` +
          "when the capture ended, or the exit was lost; what it did afterwards is not recorded",
      }]);
    } finally {
      // the daemon ends on its own; wait for it so that nothing outlives the test
      for (let i = 0; daemon && i < 50; i++) {
        try {
          await Deno.stat(`/proc/${daemon}`);
          await new Promise((r) => setTimeout(r, 100));
        } catch {
          break;
        }
      }
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
