/**
 * The version a recording's manifest names is the project's, and it says exec_argv's change;
 * a manifest saved with a byte order mark (an editor's) reads as any other.
 */
import assert from "node:assert/strict";
import { readManifest, TOOL_VERSION } from "./manifest.ts";

Deno.test("TOOL_VERSION is deno.json's version, 0.3.0 or later since manifest exec_argv", async () => {
  const deno = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  assert.equal(TOOL_VERSION, deno.version);
  const [major, minor] = TOOL_VERSION.split(".").map(Number);
  assert.ok(major > 0 || minor >= 3, TOOL_VERSION);
});

Deno.test("readManifest: a leading byte order mark is ignored (RFC 8259 §8.1), one elsewhere is not", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/manifest.json`, '\uFEFF{"complete": true}');
    assert.deepEqual(readManifest(dir), { complete: true });
    await Deno.writeTextFile(`${dir}/manifest.json`, '{"complete": true}\uFEFF');
    assert.throws(() => readManifest(dir), SyntaxError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
