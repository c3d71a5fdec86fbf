/** kit/files.ts on a real temporary tree: a file, a directory, links to each, nothing. */
import assert from "node:assert/strict";
import { isDir, isFile } from "./files.ts";

Deno.test("isFile and isDir: files, directories, links to them, and nothing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/f`, "x");
    await Deno.mkdir(`${dir}/d`);
    await Deno.symlink(`${dir}/f`, `${dir}/lf`);
    await Deno.symlink(`${dir}/d`, `${dir}/ld`);
    await Deno.symlink(`${dir}/gone`, `${dir}/dangling`);
    const kinds = ["f", "d", "lf", "ld", "dangling", "none"].map((n) => [
      n,
      isFile(`${dir}/${n}`),
      isDir(`${dir}/${n}`),
    ]);
    assert.deepEqual(kinds, [
      ["f", true, false],
      ["d", false, true],
      ["lf", true, false],
      ["ld", false, true],
      ["dangling", false, false],
      ["none", false, false],
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
