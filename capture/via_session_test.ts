/** via_session.ts: a session's options come from its client's request, never the server's env. */
import assert from "node:assert/strict";
import { viaSession } from "./via_session.ts";
import { PROTOCOL, type Request } from "./resident_protocol.ts";

const request = (args: string[], env: Record<string, string>): Request => ({
  v: PROTOCOL,
  pid: 1,
  start: 1,
  args,
  cwd: "/home/u/proj",
  env,
});

Deno.test("viaSession: the server's SIGHTLINE_CACHE_DIR never reaches a session", () => {
  const before = Deno.env.get("SIGHTLINE_CACHE_DIR");
  Deno.env.set("SIGHTLINE_CACHE_DIR", "/server/cache");
  try {
    const none = viaSession(request(["--via", "--", "true"], { PATH: "/usr/bin" }));
    assert.equal(none !== "help" && none.cacheDir, undefined);
    const own = viaSession(
      request(["--via", "--", "true"], { PATH: "/usr/bin", SIGHTLINE_CACHE_DIR: "c" }),
    );
    assert.equal(own !== "help" && own.cacheDir, "/home/u/proj/c");
    const given = viaSession(
      request(["--via", "--cache-dir", "/x", "--", "true"], { SIGHTLINE_CACHE_DIR: "c" }),
    );
    assert.equal(given !== "help" && given.cacheDir, "/x");
  } finally {
    if (before === undefined) Deno.env.delete("SIGHTLINE_CACHE_DIR");
    else Deno.env.set("SIGHTLINE_CACHE_DIR", before);
  }
});
