import assert from "node:assert/strict";
import { DUCKDB_ALLOCATOR_CONF, DUCKDB_ALLOCATOR_ENV } from "./duckdb_allocator.ts";

/** The variable as a process that loads `entry` (and with it DuckDB) sees it after. */
async function seenAfterLoading(entry: string, given?: string): Promise<string | null> {
  const url = new URL(entry, import.meta.url).href;
  const env: Record<string, string> = {};
  if (given !== undefined) env[DUCKDB_ALLOCATOR_ENV] = given;
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `await import(${JSON.stringify(url)}); ` +
      `console.log(JSON.stringify(Deno.env.get(${JSON.stringify(DUCKDB_ALLOCATOR_ENV)}) ?? null))`,
    ],
    env,
    clearEnv: false,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.equal(out.code, 0);
  return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
}

Deno.test("analyze and sql set DuckDB's allocator to keep freed pages", async () => {
  const saved = Deno.env.get(DUCKDB_ALLOCATOR_ENV);
  Deno.env.delete(DUCKDB_ALLOCATOR_ENV);
  try {
    for (const entry of ["./analyze_main.ts", "./sql_main.ts"]) {
      assert.equal(await seenAfterLoading(entry), DUCKDB_ALLOCATOR_CONF);
    }
  } finally {
    if (saved !== undefined) Deno.env.set(DUCKDB_ALLOCATOR_ENV, saved);
  }
});

Deno.test("a value the user set is left as it is", async () => {
  assert.equal(
    await seenAfterLoading("./analyze_main.ts", "dirty_decay_ms:5000"),
    "dirty_decay_ms:5000",
  );
});
