/**
 * The SQL side of the one authority rule (`authority_host`, `authority_port` of
 * sql/macros.sql) gives what protocols/authority.ts `hostPort` gives, on the edge inputs each
 * reader meets: IPv6 and IPvFuture literals, userinfo, a trailing dot, upper case, a missing,
 * empty or bad port, characters no host holds, and null; `scheme_port` gives DEFAULT_PORT's.
 */
import assert from "node:assert/strict";
import { DuckDBInstance } from "@duckdb/node-api";
import { DEFAULT_PORT, hostPort } from "../protocols/authority.ts";
import { queryRows } from "../kit/sql_runner.ts";
import { sqlText } from "./sql_files.ts";

const INPUTS = [
  "Evil.TEST:80",
  "API.Anthropic.com",
  "evil.test:",
  "h:0080",
  "h:65535",
  " h:8443 ",
  "[::1]:8080",
  "[FD00::5]",
  "[fe80::1%25eth0]:80",
  "[v1.Fe]:80",
  "127.0.0.1:11434",
  "::1",
  "fd00::5:8000",
  "[::1",
  "[]:80",
  "user:pw@h.test:8080",
  "allowed.test@evil.test",
  "a@b@[::1]",
  "user@",
  "allowed.test.",
  "Allowed.Test.:8080",
  ".:80",
  ".",
  "",
  " ",
  ":80",
  "a.test:99999",
  "a.test:65536",
  "a.test:99999999999999999999",
  "a.test:x",
  "a.test:-1",
  "a.test:+80",
  "a.test:80:90",
  "a test:80",
  "a/b:80",
  "a?b",
  "a#b",
  "a\u0000b",
  "a\nb@c",
  "a%zz.test",
  "bücher.test",
  "a%2Db.test",
  "ÄRGER.test:81",
];

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
