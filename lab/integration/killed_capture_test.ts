/**
 * A capture killed with SIGKILL mid-way (no handler runs: the manifest is the last one written,
 * `complete` false, the Arrow files end without their end-of-stream marker) is analysed from
 * what it wrote: the events flushed before the kill are there, and a `problems` row says the
 * capture did not end, so the recording may stop early. Real capture, real analysis.
 */
import assert from "node:assert/strict";
import { captureCommand } from "../../capture/command_line.ts";
import { denoTask } from "../../analysis/testing.ts";
import { captureTest, untilExists } from "../../tests/support/capture.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

captureTest(
  "a capture killed with SIGKILL: what it wrote is analysed, a problem says its end is missing",
  "sl-killed-",
  async (dir) => {
    const rec = `${dir}/rec`;
    const count = `${dir}/count`;
    // reads /etc/hostname every 20 ms, writing how many times it has so far (about 8 s in all)
    const [deno, ...args] = captureCommand(rec, [
      "sh",
      "-c",
      `i=0; while [ $i -lt 400 ]; do cat /etc/hostname >/dev/null; i=$((i+1)); ` +
      `echo $i > ${count}; sleep 0.02; done`,
    ]);
    const child = new Deno.Command(deno, { args, stdin: "null", stdout: "null", stderr: "null" })
      .spawn();
    assert.ok(await untilExists(count, 30_000, 20), "the command started");
    await sleep(1500);
    // reads done by now are on disk by the kill: the capture writes its files every second
    const flushed = Number((await Deno.readTextFile(count)).trim());
    await sleep(2500);
    child.kill("SIGKILL");
    assert.equal((await child.status).signal, "SIGKILL");
    const manifest = JSON.parse(await Deno.readTextFile(`${rec}/manifest.json`));
    assert.equal(manifest.complete, false);

    const a = await denoTask(["analyze", "--quiet", rec]);
    assert.equal(a.code, 0, a.stderr);
    const q = (sql: string) => denoTask(["sql", rec, "--format", "json", "--", sql]);
    const problems = await q("SELECT source, kind, message FROM problems ORDER BY ALL");
    assert.equal(problems.code, 0, problems.stderr);
    const rows = JSON.parse(problems.stdout) as { source: string; kind: string; message: string }[];
    assert.ok(
      rows.some((p) =>
        p.source === "capture" && /did not end cleanly.*may stop early/.test(p.message)
      ),
      problems.stdout,
    );
    // nothing damaged: the files end where the last flush left them
    assert.deepEqual(rows.filter((p) => p.kind === "file"), [], problems.stdout);
    const reads = await q("SELECT count(*) AS n FROM file WHERE path = '/etc/hostname'");
    const n = Number(JSON.parse(reads.stdout)[0].n);
    assert.ok(n >= flushed, `${n} reads recorded, ${flushed} done 2.5 s before the kill`);
  },
);
