/**
 * DuckDB's values are imported through `kit/duckdb.ts` alone, so that no module loads DuckDB's
 * library before its allocator's setting is made (`duckdb_allocator.ts`): every tracked module
 * is read for imports of `@duckdb/node-api` that are not `import type`.
 */
import assert from "node:assert/strict";
import { projectModules, ROOT } from "../tests/layering.ts";

Deno.test("every module takes DuckDB's values from kit/duckdb.ts, not @duckdb/node-api", async () => {
  const offenders: string[] = [];
  for (const f of await projectModules()) {
    if (f === "kit/duckdb.ts") continue;
    const text = await Deno.readTextFile(`${ROOT}${f}`);
    for (const m of text.matchAll(/^\s*(import|export)\b([^;]*?)["']@duckdb\/node-api["']/gms)) {
      if (!/^import\s+type\s/.test(m[0].trim())) offenders.push(`${f}: ${m[0].trim()}`);
    }
    if (/import\(\s*["']@duckdb\/node-api["']\s*\)(?!\.)/.test(text)) {
      offenders.push(`${f}: a dynamic import of @duckdb/node-api`);
    }
  }
  assert.deepEqual(offenders, []);
});
