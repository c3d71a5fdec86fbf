/** The inspection cache answers while a file is unchanged and asks again once it changes. */
import assert from "node:assert/strict";
import { inspectFileCached } from "./inspect_cache.ts";

Deno.test("inspectFileCached: same answer from the cache; a changed file is inspected again", async () => {
  const dir = await Deno.makeTempDir();
  const cache = `${dir}/cache`;
  const lib = `${dir}/libssl.so.3`;
  await Deno.copyFile("/usr/lib/x86_64-linux-gnu/libssl.so.3", lib);
  const first = inspectFileCached(lib, cache);
  assert.equal(first.status, "hooked");
  const files = [...Deno.readDirSync(cache)];
  assert.equal(files.length, 1);
  assert.equal(Deno.statSync(`${cache}/${files[0].name}`).mode! & 0o777, 0o600);
  assert.deepEqual(inspectFileCached(lib, cache), first);
  // the same path now holds another file: not the cached answer
  await Deno.copyFile("/bin/ls", lib);
  const second = inspectFileCached(lib, cache);
  assert.notEqual(second.status, "hooked");
});
