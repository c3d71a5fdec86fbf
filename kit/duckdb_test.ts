/**
 * DuckDB's values are imported through `kit/duckdb.ts` alone, so that no module loads DuckDB's
 * library before its allocator's setting is made (`duckdb_allocator.ts`): every tracked module
 * is read for imports of `@duckdb/node-api` that are not `import type`.
 */
import assert from "node:assert/strict";
import { filePath } from "./file_path.ts";

const ROOT = filePath("../", import.meta.url);

/** Repository-relative paths of every tracked TypeScript module. */
async function trackedModules(): Promise<string[]> {
  const out = await new Deno.Command("git", {
    args: ["ls-files", "*.ts"],
    cwd: ROOT,
    stdout: "piped",
  }).output();
  assert.ok(out.success, "git ls-files failed");
  return new TextDecoder().decode(out.stdout).split("\n").filter(Boolean);
}

Deno.test("every module takes DuckDB's values from kit/duckdb.ts, not @duckdb/node-api", async () => {
  const offenders: string[] = [];
  for (const f of await trackedModules()) {
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
