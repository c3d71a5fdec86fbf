import assert from "node:assert/strict";
import { fileURLToPath, pathToFileURL } from "node:url";
import { filePath } from "./file_path.ts";

Deno.test("filePath() decodes a directory name with a space, % and #", () => {
  const dir = "/tmp/a b/100%/c#d";
  const base = pathToFileURL(`${dir}/mod.ts`).href; // what import.meta.url is there
  assert.ok(base.includes("a%20b") && base.includes("100%25") && base.includes("c%23d"), base);
  assert.equal(filePath("./x.txt", base), `${dir}/x.txt`);
  assert.equal(filePath("../", base), "/tmp/a b/100%/");
  assert.equal(filePath(new URL(base)), fileURLToPath(base));
  // the encoded pathname names a file that is not the one meant
  assert.notEqual(new URL("./x.txt", base).pathname, `${dir}/x.txt`);
});

Deno.test("filePath() of this module is the file Deno reads", async () => {
  const text = await Deno.readTextFile(filePath("./file_path_test.ts", import.meta.url));
  assert.ok(text.includes("filePath() of this module"));
});

Deno.test("filePath() refuses a URL that is not a file", () => {
  assert.throws(() => filePath("https://example.com/a%20b"), /not a file URL/);
});
