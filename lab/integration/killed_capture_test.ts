/**
 * A capture killed with SIGKILL mid-way (no handler runs: the manifest is the last one written,
 * `complete` false, the Arrow files end without their end-of-stream marker) is analysed from
 * what it wrote: the events flushed before the kill are there, and a `problems` row says the
 * capture did not end, so the recording may stop early. Exported, it is whole (exit 0, the
 * problem in the export and in one line, as analyze and sql); cut mid-batch, analyze, sql and
 * export each read what comes before the cut and exit 1. Real capture, real analysis.
 */
import assert from "node:assert/strict";
import { captureCommand } from "../../capture/command_line.ts";
import { denoTask } from "../../analysis/testing.ts";
import { captureTest, untilExists } from "../../tests/support/capture.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

captureTest(
  "a capture killed with SIGKILL: what it wrote is analysed and exported, a problem says its end is missing; cut mid-batch, exit 1",
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

    // exported whole: every row, the problem in the export's `problems` and in one line, exit
    // 0 as analyze and sql (nothing recorded was lost)
    const exported = async (r: string, out: string, sql: string) => {
      const x = await denoTask(["sql", out, "--format", "json", "--", sql]);
      return { rows: JSON.parse(x.stdout) as Record<string, unknown>[], code: x.code, of: r };
    };
    const PROBLEMS = "SELECT source, kind, message FROM problems ORDER BY ALL";
    const READS = "SELECT count(*) AS n FROM file WHERE path = '/etc/hostname'";
    const e = await denoTask(["export", rec, "--format", "parquet", "--out", `${dir}/out`]);
    assert.equal(e.code, 0, e.stderr);
    assert.match(
      e.stderr,
      /^export: .*\/rec: \d+ problems? \([^)]*\bcapture\b[^)]*\): its tables hold what was recorded; see its problems table/m,
    );
    assert.deepEqual((await exported(rec, `${dir}/out`, PROBLEMS)).rows, rows);
    assert.equal(Number((await exported(rec, `${dir}/out`, READS)).rows[0].n), n);

    // the same recording with file.arrow cut mid-batch (a capture killed inside a write, a copy
    // cut off): analyze, sql and export each read what comes before the cut, say the file is
    // damaged in one line and exit 1; the export carries the `file` problem
    const cut = `${dir}/cut`;
    await new Deno.Command("cp", { args: ["-r", rec, cut] }).output();
    await Deno.remove(`${cut}/analysis.duckdb`);
    const size = (await Deno.stat(`${cut}/file.arrow`)).size;
    await Deno.truncate(`${cut}/file.arrow`, size - 100);
    const damaged = /file\.arrow damaged: analysed what could be read; \d+ problems? \(/;
    const ea = await denoTask(["export", cut, "--format", "parquet", "--out", `${dir}/out2`]);
    assert.equal(ea.code, 1, ea.stderr);
    assert.match(ea.stderr, damaged);
    const sa = await denoTask(["sql", cut, "--format", "json", "--", READS]);
    assert.equal(sa.code, 1, sa.stderr);
    assert.match(sa.stderr, damaged);
    const left = Number(JSON.parse(sa.stdout)[0].n);
    assert.ok(left > 0 && left < n, `${left} of ${n} reads before the cut`);
    const aa = await denoTask(["analyze", "--quiet", cut]);
    assert.equal(aa.code, 1, aa.stderr);
    const out2 = await exported(cut, `${dir}/out2`, PROBLEMS);
    assert.ok(
      out2.rows.some((p) => p.source === "file.arrow" && p.kind === "file"),
      JSON.stringify(out2.rows),
    );
    assert.equal(Number((await exported(cut, `${dir}/out2`, READS)).rows[0].n), left);
  },
);
