/**
 * As root, for real: a file opened by a relative path in a working directory whose path is
 * 4090 bytes long (past the 3840 bytes the kernel side's walk used to stop at, within
 * PATH_MAX) is recorded by its whole absolute path, not as incomplete; one in a directory a
 * level deeper (past PATH_MAX) is flagged `path_incomplete`.
 */
import assert from "node:assert/strict";
import { captureTest, captureWithLog } from "../tests/support/capture.ts";

/** Builds the chain and opens a file in it, then one more level down (argv: the log). */
const DEEP_PY = `
import json, os, sys
want = 4090
while len(os.getcwd()) < want:
    n = min(200, want - len(os.getcwd()) - 1)
    os.mkdir("d" * n); os.chdir("d" * n)
within = os.getcwd()
open("within.txt", "w").close()
os.mkdir("e" * 20); os.chdir("e" * 20)
open("beyond.txt", "w").close()
json.dump({"within": within}, open(sys.argv[1], "w"))
`;

captureTest(
  "a cwd 4090 bytes long is walked whole; past PATH_MAX a path is flagged incomplete",
  "sl-deep-",
  async (dir) => {
    await Deno.writeTextFile(`${dir}/deep.py`, DEEP_PY);
    await captureWithLog(["python3", `${dir}/deep.py`], async ({ rec, logPath }) => {
      const { within } = JSON.parse(await Deno.readTextFile(logPath));
      assert.equal(within.length, 4090);
      const opens = rec.file.filter((f) => f.op === "open" && /(within|beyond)\.txt$/.test(f.path))
        .map((f) => ({ path: f.path, incomplete: f.path_incomplete }));
      assert.equal(opens.length, 2);
      assert.deepEqual(opens[0], { path: `${within}/within.txt`, incomplete: false });
      assert.equal(opens[1].incomplete, true, "past PATH_MAX: flagged");
    }, { cwd: dir });
  },
);
