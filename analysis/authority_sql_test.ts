/**
 * The SQL side of the one authority rule (`authority_host`, `authority_port` of
 * sql/macros.sql) gives what protocols/authority.ts `hostPort` gives, on the edge inputs each
 * reader meets: IPv6 and IPvFuture literals, userinfo, a trailing dot, upper case, a missing,
 * empty or bad port, characters no host holds, and null; `scheme_port` gives DEFAULT_PORT's.
 */
import assert from "node:assert/strict";
import { DuckDBInstance } from "../kit/duckdb.ts";
import { DEFAULT_PORT, hostPort } from "../protocols/authority.ts";
import { queryRows } from "../kit/sql_runner.ts";
import { sqlText } from "./sql_files.ts";

/** the shared edge inputs (protocols/testdata/authority_edges.json) */
const INPUTS: string[] = JSON.parse(
  Deno.readTextFileSync(new URL("../protocols/testdata/authority_edges.json", import.meta.url)),
).inputs;

Deno.test("authority_host/authority_port (SQL) agree with hostPort (TypeScript) on every edge input", async () => {
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  try {
    await c.run(sqlText("macros"));
    for (const dflt of [443, 80, null]) {
      for (const a of [...INPUTS, null]) {
        const [row] = await queryRows(
          c,
          "SELECT authority_host($a) AS host, authority_port($a, $d::INTEGER) AS port",
          { a, d: dflt },
        );
        const want = a === null ? null : hostPort(a, dflt);
        assert.deepEqual(
          row,
          want === null ? { host: null, port: null } : want,
          `${JSON.stringify(a)} (default ${dflt})`,
        );
      }
    }
  } finally {
    c.closeSync();
    db.closeSync();
  }
});

Deno.test("scheme_port (SQL) is DEFAULT_PORT (TypeScript); another scheme has none", async () => {
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  try {
    await c.run(sqlText("macros"));
    for (const scheme of [...Object.keys(DEFAULT_PORT), "gopher", "HTTP", ""]) {
      const [row] = await queryRows(c, "SELECT scheme_port($s) AS port", { s: scheme });
      assert.equal(row.port, DEFAULT_PORT[scheme] ?? null, scheme);
    }
  } finally {
    c.closeSync();
    db.closeSync();
  }
});
