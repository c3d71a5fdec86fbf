/**
 * A process that chroots names its files from the new root: the capture records the chroot
 * (its new root as a path from the machine's root, for `chroot .` too; a failed one as given)
 * and the analysis says, in a `problems` row, which process did it and to where, instead of
 * showing `/inside.txt` as a file at the machine's root.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { skipWithoutRoot } from "../tests/support/ebpf.ts";
import { denoTask } from "./testing.ts";

const SCRIPT = `
import os, sys
root = sys.argv[1]
os.mkdir(root)
os.chdir(root)
os.chroot(".")
open("/inside.txt", "w").close()
try:
    os.chroot("/nonexistent")
except FileNotFoundError:
    pass
if os.fork() == 0:
    open("/child.txt", "w").close()
    os._exit(0)
os.wait()
`;

Deno.test({
  name: "a chroot: recorded with its new root, and said by a problems row",
  ignore: skipWithoutRoot(),
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "sl-chroot-" });
    const rec = join(tmp, "rec");
    const root = join(tmp, "jail");
    const sql = async (q: string) => {
      const r = await denoTask(["sql", "--format", "json", rec, "--", q]);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout);
    };
    try {
      const cap = await denoTask([
        "capture",
        "--out",
        rec,
        "--",
        "/usr/bin/python3",
        "-c",
        SCRIPT,
        root,
      ]);
      assert.equal(cap.code, 0, cap.stderr);
      // the files are in the jail, on this machine
      assert.ok((await Deno.stat(join(root, "inside.txt"))).isFile);
      assert.ok((await Deno.stat(join(root, "child.txt"))).isFile);
      const rows = await sql(
        "SELECT op, path, ret >= 0 AS ok, ret < 0 AND ret = -2 AS enoent FROM file WHERE op = 'chroot' OR raw_path IN ('/inside.txt', '/child.txt') ORDER BY ts_ns",
      );
      assert.deepEqual(rows, [
        { op: "chroot", path: root, ok: true, enoent: false },
        { op: "open", path: "/inside.txt", ok: true, enoent: false },
        { op: "chroot", path: "/nonexistent", ok: false, enoent: true },
        { op: "open", path: "/child.txt", ok: true, enoent: false },
      ]);
      const problems = await sql(
        "SELECT source, kind, message FROM problems WHERE source = 'file'",
      );
      assert.equal(problems.length, 1, JSON.stringify(problems));
      assert.equal(problems[0].kind, "blind");
      assert.match(
        problems[0].message,
        new RegExp(
          `^1 process changed its root directory \\(chroot: pid \\d+ python3 to ${root}\\)`,
        ),
      );
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
