import assert from "node:assert/strict";
import { DUCKDB_ALLOCATOR_CONF, DUCKDB_ALLOCATOR_ENV } from "./duckdb_allocator.ts";

/**
 * Loads DuckDB through `kit/duckdb.ts` in a fresh process (`given`: the variable set there
 * before), opens and closes an in-memory database; the variable as that process sees it after,
 * and what it printed on stderr.
 */
async function loadDuckDB(given?: string): Promise<{ seen: string | null; stderr: string }> {
  const url = new URL("./duckdb.ts", import.meta.url).href;
  const env: Record<string, string> = {};
  if (given !== undefined) env[DUCKDB_ALLOCATOR_ENV] = given;
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `const { DuckDBInstance } = await import(${JSON.stringify(url)}); ` +
      `const db = await DuckDBInstance.create(":memory:"); ` +
      `(await db.connect()).closeSync(); db.closeSync(); ` +
      `console.log(JSON.stringify(Deno.env.get(${JSON.stringify(DUCKDB_ALLOCATOR_ENV)}) ?? null))`,
    ],
    env,
    clearEnv: false,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  const seen = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
  return { seen, stderr };
}

Deno.test("DuckDB loaded through kit/duckdb.ts runs with the allocator's setting", async () => {
  const saved = Deno.env.get(DUCKDB_ALLOCATOR_ENV);
  Deno.env.delete(DUCKDB_ALLOCATOR_ENV);
  try {
    assert.equal((await loadDuckDB()).seen, DUCKDB_ALLOCATOR_CONF);
  } finally {
    if (saved !== undefined) Deno.env.set(DUCKDB_ALLOCATOR_ENV, saved);
  }
});

Deno.test("a value the user set is left as it is, and DuckDB's jemalloc reads it", async () => {
  // stats_print: jemalloc prints its options at exit, the decay given among them
  const { seen, stderr } = await loadDuckDB("stats_print:true,dirty_decay_ms:4321");
  assert.equal(seen, "stats_print:true,dirty_decay_ms:4321");
  if (Deno.build.os === "linux") assert.match(stderr, /dirty_decay_ms: 4321/);
});
