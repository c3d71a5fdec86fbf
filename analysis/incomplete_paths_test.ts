/**
 * A file created deeper than the capture resolves a relative path's directory (a chain of
 * directories past 3.8 KiB, entered by chdir): the recording flags its path incomplete and the
 * analysis says so in a `problems` row, instead of a path that, shown whole, names no file.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { skipWithoutRoot } from "../tests/support/ebpf.ts";
import { denoTask } from "./testing.ts";

Deno.test({
  name: "a file made under a directory deeper than the capture resolves: a problems row",
  ignore: skipWithoutRoot(),
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "sl-deep-" });
    const rec = join(tmp, "rec");
    // 22 directories of 200 bytes entered one by one (no path the kernel would refuse), then
    // a file made relative to the last, and one made in the start directory
    const d = "d".repeat(200);
    const script = `cd ${tmp} && for i in $(seq 22); do mkdir ${d} && cd ${d} || exit 1; done && ` +
      `: > deep.txt && : > ${tmp}/shallow.txt`;
    try {
      const cap = await denoTask(["capture", "--out", rec, "--", "bash", "-c", script]);
      assert.equal(cap.code, 0, cap.stderr);
      const sql = await denoTask([
        "sql",
        "--format",
        "json",
        rec,
        "--",
        "SELECT source, kind, message FROM problems WHERE source = 'file'",
      ]);
      assert.equal(sql.code, 0, sql.stderr);
      const rows = JSON.parse(sql.stdout);
      assert.equal(rows.length, 1, sql.stdout);
      assert.equal(rows[0].kind, "truncated");
      // bash's own chdirs past the limit and its open of deep.txt, and the last mkdirs
      assert.match(rows[0].message, /^\d+ file actions have paths the capture could not resolve/);
      assert.match(rows[0].message, /\(pid \d+ bash: \d+, pid \d+ mkdir: 1[,;]/);
      const changed = Number(rows[0].message.match(/; (\d+) changed files\)/)?.[1]);
      assert.ok(changed >= 2, "deep.txt and a mkdir past the limit changed files");
      const files = await denoTask([
        "sql",
        "--format",
        "json",
        rec,
        "--",
        "SELECT path, path_incomplete FROM file WHERE op = 'open' AND raw_path LIKE '%.txt' " +
        "ORDER BY ts_ns",
      ]);
      const opens = JSON.parse(files.stdout);
      assert.equal(opens.length, 2, files.stdout);
      assert.ok(opens[0].path.endsWith(`/${d}/deep.txt`) && opens[0].path_incomplete);
      assert.deepEqual(opens[1], { path: `${tmp}/shallow.txt`, path_incomplete: false });
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
