/**
 * captureForTest as tests use it, in a test process of its own: a recording made without an
 * `out` is readable while the test runs, and its temporary directory is gone once the test
 * process ends (no sl-rec-* left in TMPDIR, pass or fail).
 */
import assert from "node:assert/strict";
import { skipWithoutRoot } from "./ebpf.ts";

const HELPER = new URL("./capture.ts", import.meta.url).href;

Deno.test({
  name: "captureForTest's recordings are readable during the test and removed after it",
  ignore: skipWithoutRoot(),
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "sl-cleanup-" });
    try {
      const inner = `${tmp}/inner_test.ts`;
      await Deno.writeTextFile(
        inner,
        `import { captureForTest } from "${HELPER}";\n` +
          `Deno.test("one capture", async () => {\n` +
          `  const { res, rec } = await captureForTest({ cmd: ["true"] });\n` +
          `  if (res.exitCode !== 0 || !Deno.statSync(rec.dir + "/manifest.json").isFile) {\n` +
          `    throw new Error("no recording");\n` +
          `  }\n` +
          `});\n`,
      );
      const work = `${tmp}/tmpdir`;
      await Deno.mkdir(work);
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["test", "-A", "--quiet", inner],
        env: { TMPDIR: work },
        cwd: new URL("../..", import.meta.url).pathname,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const said = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, said);
      const left = [...Deno.readDirSync(work)].map((e) => e.name)
        .filter((n) => n.startsWith("sl-rec-"));
      assert.deepEqual(left, [], "no recording directory left behind");
    } finally {
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  },
});
