/**
 * The model server's command line (serve_args.ts): its defaults, options, and each bad input a
 * usage error of one line (exit 2).
 */

import assert from "node:assert/strict";
import { parseServeArgs } from "./serve_args.ts";
import { userPath } from "../../kit/cli.ts";
import { assertUsageErrors } from "../../kit/cli_testing.ts";

Deno.test("parseServeArgs: defaults", () => {
  assert.deepEqual(parseServeArgs(["--scenario", "s.json"]), {
    scenario: userPath("s.json"),
    replay: undefined,
    timing: "transcript",
    port: 0,
    host: "127.0.0.1",
    http1: false,
    plainHttp: false,
    saveTranscript: undefined,
    log: undefined,
    logBodies: false,
    vars: {},
  });
  const r = parseServeArgs(["--replay", "t.json", "--save-transcript", "o.json", "--log", "l"]);
  assert.deepEqual([r.scenario, r.replay, r.saveTranscript, r.log], [
    undefined,
    userPath("t.json"),
    userPath("o.json"),
    userPath("l"),
  ]);
});

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
    [["--"], /give --scenario FILE or --replay TRANSCRIPT/],
    [["--scenario", "s", "--port", "x"], /--port: expected 0-65535/],
    [["--scenario", "s", "--port", "70000"], /--port: expected 0-65535, got "70000"/],
    [["--scenario", "s", "pos"], /Unexpected argument 'pos'/],
    [
      ["--scenario", "s", "--host", "10.1.2.3"],
      /--host: must be a loopback address/,
    ],
    [["--scenario", "s", "--var", "novalue"], /--var: expected NAME=VALUE/],
    [["--replay", "t", "--timing", "slow"], /--timing: expected transcript or zero/],
    [["--scenario", "s", "--bogus"], /Unknown option '--bogus'/],
    [["--scenario", "s", "--http1", "--plain-http"], /--http1 .* or --plain-http .*, not both/],
    // files it makes: a name holding U+FFFD (bytes not UTF-8, as Deno reads them) is not made
    ...(["--save-transcript", "--log"] as const).map((o): [string[], RegExp] => [
      ["--scenario", "s", o, "out\uFFFD.json"],
      /^out\uFFFD\.json: holds U\+FFFD \(\uFFFD\), which is what Deno makes of bytes that are not UTF-8: what is made would not bear the name given/,
    ]),
  ];
  assertUsageErrors((args) => parseServeArgs(args), bad);
});
