/** Tests that the generated C project is deterministic, complete and marks its last module. */
import assert from "node:assert/strict";
import { cRepoFiles, LAST_MODULE_MARKER } from "./c_repo.ts";

Deno.test("the same options give the same files; every module has a source, header and object", () => {
  const opts = { modules: 5, functionsPerModule: 3 };
  const a = cRepoFiles(opts);
  assert.deepEqual(cRepoFiles(opts), a);
  for (let m = 1; m <= 5; m++) {
    assert.ok(a[`src/mod${m}.c`].includes(`uint64_t mod${m}_run(uint64_t seed)`));
    assert.ok(a[`include/mod${m}.h`].includes(`mod${m}_run`));
    assert.ok(a["Makefile"].includes(`build/mod${m}.o`));
    assert.ok(a["src/main.c"].includes(`mod${m}_run(x)`));
  }
  assert.equal(Object.keys(a).length, 5 * 2 + 3);
});

Deno.test("only the last module carries the marker the understand scenario reads until", () => {
  const files = cRepoFiles({ modules: 4, functionsPerModule: 1 });
  const marked = Object.keys(files).filter((f) => files[f].includes(LAST_MODULE_MARKER));
  assert.deepEqual(marked, ["src/mod4.c"]);
});

Deno.test("bad sizes are refused", () => {
  assert.throws(() => cRepoFiles({ modules: 0, functionsPerModule: 1 }), /modules/);
});
