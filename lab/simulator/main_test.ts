/** Tests for the model server's command line. */

import assert from "node:assert/strict";
import { parseServeArgs } from "./main.ts";
import { CliError, userPath } from "../../kit/cli.ts";

Deno.test("parseServeArgs: options and one-line errors", () => {
  const o = parseServeArgs([
    "--scenario",
    "s.json",
    "--port",
    "8443",
    "--http1",
    "--var",
    "a=b=c",
  ]);
  assert.equal(o.port, 8443);
  assert.equal(o.http1, true);
  assert.deepEqual(o.vars, { a: "b=c" });
  assert.equal(o.timing, "transcript");
  assert.equal(o.plainHttp, false);
  assert.equal(parseServeArgs(["--scenario", "s.json", "--plain-http"]).plainHttp, true);
  assert.equal(parseServeArgs(["--replay", "t.json", "--timing", "zero"]).timing, "zero");
  // deno task's --; paths are the user's
  assert.equal(parseServeArgs(["--", "--scenario", "s.json"]).scenario, userPath("s.json"));
  const bad: [string[], RegExp][] = [
    [[], /give --scenario FILE or --replay TRANSCRIPT/],
    [["--scenario", "s", "--port", "x"], /--port: expected 0-65535/],
    [
      ["--scenario", "s", "--host", "10.1.2.3"],
      /--host: must be a loopback address/,
    ],
    [["--scenario", "s", "--var", "novalue"], /--var: expected NAME=VALUE/],
    [["--replay", "t", "--timing", "slow"], /--timing: expected transcript or zero/],
    [["--scenario", "s", "--bogus"], /Unknown option '--bogus'/],
    [["--scenario", "s", "--http1", "--plain-http"], /--http1 .* or --plain-http .*, not both/],
  ];
  for (const [args, re] of bad) {
    assert.throws(
      () => parseServeArgs(args),
      (e: Error) =>
        e instanceof CliError && e.exitCode === 2 && re.test(e.message) &&
        !e.message.includes("\n"),
    );
  }
});
