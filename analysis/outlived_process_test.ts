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
    const late = join(tmp, "late.txt");
    try {
      // the daemon (its own session, so no signal of the command's group reaches it) writes
      // a file after the command has exited
      const cap = await denoTask([
        "capture",
        "--out",
        rec,
        "--",
        "sh",
        "-c",
        `(setsid sh -c 'sleep 1.5; echo late > ${late}' &); echo started`,
      ]);
      assert.equal(cap.code, 0, cap.stderr);
      // the daemon sh, and its sleep when it had started by then
      const said =
        /warning: (1 traced process|2 traced processes) had not exited when the capture ended \((pid \d+ sh(, pid \d+ sleep)?)\): what (it|they) did afterwards is not recorded\n/;
      const m = cap.stderr.match(said);
      assert.ok(m, cap.stderr);
      const manifest = JSON.parse(await Deno.readTextFile(join(rec, "manifest.json")));
      assert.ok(manifest.warnings.some((w: string) => said.test(`warning: ${w}\n`)));
      const [n, pids, it] = [m[1].startsWith("1") ? 1 : 2, m[2], m[4]];

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
        message: `${n} traced process${n === 1 ? " has" : "es have"} no recorded exit (${pids}): ` +
          `still running when the capture ended, or the exit was lost; what ${it} did ` +
          "afterwards is not recorded",
      }]);
    } finally {
      // the daemon ends on its own; wait for it so that nothing outlives the test
      for (let i = 0; i < 40; i++) {
        try {
          await Deno.stat(late);
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
