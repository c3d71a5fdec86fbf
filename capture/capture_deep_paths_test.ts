/**
 * As root, for real, at the boundary of the kernel side's walk (SL_BASE_MAX - 1 bytes of
 * components): a file opened by a relative path in a working directory whose path is exactly
 * 4095 bytes long (PATH_MAX less its NUL: the longest getcwd(2) returns) is recorded by its whole
 * absolute path, not as incomplete; one in a sibling directory whose path is 4096 bytes long is
 * flagged `path_incomplete`.
 */
import assert from "node:assert/strict";
import { captureTest, captureWithLog } from "../tests/support/capture.ts";

/**
 * Builds a chain of directories to a cwd of exactly 4095 bytes and opens a file in it, then goes
 * up one level and into a sibling whose name is one byte longer (4096 bytes; getcwd(2) cannot
 * return it, so the length is counted here) and opens one there (argv: the log).
 */
const DEEP_PY = `
import json, os, sys
cur = os.getcwd()
want = 4095
last = 0
while len(cur) < want:
    rem = want - len(cur) - 1
    last = rem if rem <= 200 else min(200, rem - 2)
    os.mkdir("d" * last); os.chdir("d" * last); cur += "/" + "d" * last
assert os.getcwd() == cur, "the chain is as counted"
open("within.txt", "w").close()
os.chdir("..")
os.mkdir("e" * (last + 1)); os.chdir("e" * (last + 1))
beyond = cur[: len(cur) - last] + "e" * (last + 1)
open("beyond.txt", "w").close()
json.dump({"within": cur, "beyond": beyond}, open(sys.argv[1], "w"))
`;

captureTest(
  "a cwd of 4095 bytes is walked whole; one of 4096 bytes is flagged incomplete",
  "sl-deep-",
  async (dir) => {
    await Deno.writeTextFile(`${dir}/deep.py`, DEEP_PY);
    await captureWithLog(["python3", `${dir}/deep.py`], async ({ rec, logPath }) => {
      const { within, beyond } = JSON.parse(await Deno.readTextFile(logPath));
      assert.equal(within.length, 4095);
      assert.equal(beyond.length, 4096);
      const opens = rec.file.filter((f) => f.op === "open" && /(within|beyond)\.txt$/.test(f.path))
        .map((f) => ({ path: f.path, incomplete: f.path_incomplete }));
      assert.equal(opens.length, 2);
      assert.deepEqual(opens[0], { path: `${within}/within.txt`, incomplete: false });
      assert.equal(opens[1].incomplete, true, "a cwd of 4096 bytes: flagged");
      assert.ok(
        `${beyond}/beyond.txt`.endsWith(opens[1].path.replace(/^\/*/, "/")),
        `the end of the path is kept: ${opens[1].path}`,
      );
    }, { cwd: dir });
  },
);
