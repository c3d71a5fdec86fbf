/**
 * Names that are not UTF-8, captured for real: a program creates files whose names hold
 * invalid UTF-8 bytes (and one a real U+FFFD), runs a program with such arguments, and execs a
 * file whose name makes its comm invalid UTF-8. The recording keeps each name distinct, and
 * `textBytes` gives back the exact bytes (recording/byte_text.ts); before, every invalid byte
 * was U+FFFD and the names were one.
 */
import assert from "node:assert/strict";
import { skipWithoutRoot } from "../tests/support/ebpf.ts";
import { captureForTest } from "../tests/support/capture.ts";
import { textBytes } from "../recording/byte_text.ts";

const enc = new TextEncoder();

/** The files it makes (name bytes after "f"), the arguments it passes, the program it runs. */
const SCRIPT = `
import os, subprocess, sys
d = os.fsencode(sys.argv[1])
for tail in (b"\\xff", b"\\xfe", b"\\xef\\xbf\\xbd", b"\\xc3"):
    with open(d + b"/f" + tail, "wb") as f:
        f.write(b"x")
subprocess.run([b"/bin/true", b"arg\\xff", b"arg\\xfe", b"caf\\xc3\\xa9"], check=True)
os.symlink(b"/bin/true", d + b"/t\\xff")
subprocess.run([d + b"/t\\xff"], check=True)
`;

const bytes = (...parts: (string | number[])[]) =>
  parts.flatMap((p) => typeof p === "string" ? [...enc.encode(p)] : p);

Deno.test({
  name: "names that are not UTF-8 (file paths, argv, comm) are recorded distinct and reversible",
  ignore: skipWithoutRoot(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sl-bytes-" });
    try {
      await Deno.writeTextFile(`${dir}/make.py`, SCRIPT);
      const { res, rec } = await captureForTest({
        cmd: ["/usr/bin/python3", `${dir}/make.py`, dir],
        cwd: dir,
      });
      assert.equal(res.exitCode, 0);

      const tails = [[0xff], [0xfe], [0xef, 0xbf, 0xbd], [0xc3]];
      const made = rec.file.filter((f) =>
        f.op === "open" && f.path.startsWith(`${dir}/f`) && (Number(f.flags) & 0o100) !== 0
      );
      const paths = [...new Set(made.map((f) => f.path))].sort();
      assert.equal(paths.length, 4, `four names, not one: ${JSON.stringify(paths)}`);
      assert.deepEqual(
        paths.map((p) => [...textBytes(p)]).sort(),
        tails.map((t) => bytes(`${dir}/f`, t)).sort(),
        "each path gives back its bytes",
      );
      assert.ok(paths.includes(`${dir}/f\uFFFDxff`), "shown as an escape");
      assert.ok(paths.includes(`${dir}/f\uFFFD\uFFFD`), "a real U+FFFD is doubled");

      const execs = rec.process.filter((r) => r.kind === "exec");
      const tru = execs.find((r) => r.argv?.[0] === "/bin/true");
      assert.ok(tru, "the exec of /bin/true");
      assert.deepEqual(tru.argv, ["/bin/true", "arg\uFFFDxff", "arg\uFFFDxfe", "café"]);
      assert.deepEqual(
        tru.argv!.map((a) => [...textBytes(a)]),
        [
          bytes("/bin/true"),
          bytes("arg", [0xff]),
          bytes("arg", [0xfe]),
          bytes("caf", [0xc3, 0xa9]),
        ],
      );
      // the comm of a program run through a name with an invalid byte
      const t = execs.find((r) => r.argv?.[0]?.startsWith(`${dir}/t`));
      assert.ok(t, "the exec through the symlink");
      assert.equal(t.comm, "t\uFFFDxff");
      assert.deepEqual([...textBytes(t.comm)], bytes("t", [0xff]));
      assert.deepEqual([...textBytes(t.filename!)], bytes(`${dir}/t`, [0xff]));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
