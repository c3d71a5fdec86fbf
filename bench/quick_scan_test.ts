/** quick_scan bench: bad input is said on the first line, exit 2; this tree against itself scans a file
 * the same way (no DIFF) and prints its timings. */
import { filePath } from "../kit/file_path.ts";
import assert from "node:assert/strict";

const BENCH = filePath("./quick_scan.ts", import.meta.url);
const ROOT = filePath("../", import.meta.url);

async function bench(...args: string[]) {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", BENCH, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: r.code, out: text(r.stdout), err: text(r.stderr) };
}

Deno.test("quick_scan bench: no baseline, a baseline that is no checkout, a missing file: said first, exit 2", async () => {
  for (
    const [args, said] of [
      [["/bin/ls"], /--baseline DIR is needed/],
      [["--baseline", "/nonexistent-checkout", "/bin/ls"], /not a checkout/],
      [["--baseline", ROOT, "/nonexistent-file"], /nonexistent-file: not found/],
      [["--baseline", ROOT], /name at least one FILE/],
    ] as const
  ) {
    const r = await bench(...args);
    assert.equal(r.code, 2, r.err);
    // one line saying what is wrong (the usage may follow it)
    assert.match(r.err.split("\n")[0], said);
  }
});

Deno.test("quick_scan bench: this tree against itself answers the same and prints each file's times", async () => {
  const r = await bench("--baseline", ROOT, "--runs", "2", "/bin/ls");
  assert.equal(r.code, 0, r.err);
  assert.match(
    r.out,
    /\/bin\/ls: baseline [\d.]+ \([\d.]+–[\d.]+\); this tree .*; paired difference/,
  );
  assert.doesNotMatch(r.out, /DIFF/);
});
