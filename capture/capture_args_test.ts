/** The capture's command line: splitting options from the command, parsing, the options. */
import assert from "node:assert/strict";
import { CliError } from "../kit/cli_error.ts";
import { captureOptions, parseOptions, residentMode, splitArgs } from "./capture_args.ts";
import { DEFAULT_SOCKET } from "./resident_protocol.ts";

Deno.test("capture arguments: options end at -- or at the command", () => {
  assert.deepEqual(splitArgs(["--out", "d", "--", "curl", "-s"]), {
    opts: ["--out", "d"],
    cmd: ["curl", "-s"],
  });
  assert.deepEqual(splitArgs(["--quiet", "curl", "-s", "--", "x"]), {
    opts: ["--quiet"],
    cmd: ["curl", "-s", "--", "x"],
  });
  assert.deepEqual(splitArgs(["--pid", "12"]), { opts: ["--pid", "12"], cmd: [] });
  assert.deepEqual(splitArgs(["--cache-dir", "c", "id"]), {
    opts: ["--cache-dir", "c"],
    cmd: ["id"],
  });
  assert.deepEqual(parseOptions(["--cache-dir=/tmp/c"]), { "cache-dir": "/tmp/c" });
});

Deno.test("capture options: values, repeats, --name=value; parseArgs' messages for mistakes", () => {
  assert.deepEqual(
    parseOptions(["--out", "d", "--pid", "1", "--pid=2", "--quiet", "--max-tls-bytes=9", "-h"]),
    { out: "d", pid: ["1", "2"], quiet: true, "max-tls-bytes": "9", help: true },
  );
  assert.deepEqual(parseOptions([]), {});
  const fails = (args: string[], msg: string) =>
    assert.throws(() => parseOptions(args), { message: msg });
  fails(["--frobnicate"], "Unknown option '--frobnicate'");
  fails(["--frob=1"], "Unknown option '--frob'");
  fails(["-x"], "Unknown option '-x'");
  fails(["--out"], "Option '--out <value>' argument missing");
  fails(["--force=yes"], "Option '--force' does not take an argument");
  fails(["--toString"], "Unknown option '--toString'");
});

Deno.test("capture options: numbers checked, the cache directory made absolute, defaults on", () => {
  const o = captureOptions(
    parseOptions(["--pid", "12", "--pid=13", "--max-tls-bytes", "64", "--cache-dir", "c"]),
    [],
  );
  assert.deepEqual(o.pids, [12, 13]);
  assert.equal(o.maxTlsBytes, 64);
  assert.equal(o.cacheDir, `${Deno.cwd()}/c`);
  assert.equal(o.cmd, undefined);
  assert.equal(o.gate, true);
  assert.equal(o.ipc, true);
  const cmd = captureOptions(parseOptions(["--no-gate", "--no-ipc"]), ["curl", "-s"]);
  assert.deepEqual([cmd.cmd, cmd.gate, cmd.ipc], [["curl", "-s"], false, false]);
  for (
    const [args, msg] of [
      [["--pid", "x"], '--pid wants a number, got "x"'],
      [["--max-tls-bytes=-1"], '--max-tls-bytes wants a number, got "-1"'],
      [["--cache-dir="], "--cache-dir (or SIGHTLINE_CACHE_DIR) is empty"],
      // an empty value (a variable unset): named, not "nothing to trace" or the current dir
      [["--comm", ""], "--comm wants a value, got an empty string"],
      [["--comm="], "--comm wants a value, got an empty string"],
      [["--out", "", "--comm", "x"], "--out wants a value, got an empty string"],
      [["--pid", "1", "--pid="], "--pid wants a value, got an empty string"],
      [["--max-tls-bytes", ""], "--max-tls-bytes wants a value, got an empty string"],
    ]
  ) {
    assert.throws(
      () => captureOptions(parseOptions(args as string[]), []),
      (e: Error) => e instanceof CliError && e.exitCode === 2 && e.message === msg,
    );
  }
  // `-- ls -d bad\xff\xfename` as Deno reads it: ls would be given another name
  for (
    const [cmd, which] of [
      [["ls", "-d", "bad\uFFFD\uFFFDname"], "argument 2 of the command"],
      [["./t\uFFFDol"], "the command"],
    ] as const
  ) {
    assert.throws(
      () => captureOptions(parseOptions([]), [...cmd]),
      (e: Error) =>
        e instanceof CliError && e.exitCode === 2 &&
        e.message === `${which} holds U+FFFD (\uFFFD), which is what Deno makes of bytes ` +
            `that are not UTF-8: given such bytes, it would run with other arguments; give ` +
            `them through sh -c with printf's octal escapes ('\\377'; U+FFFD itself: ` +
            `'\\357\\277\\275')`,
    );
  }
  // the advice holds for sh as it is (dash's printf knows no \xNN)
  const printed = new Deno.Command("sh", { args: ["-c", "printf '\\377|\\357\\277\\275'"] })
    .outputSync();
  assert.deepEqual([...printed.stdout], [0xff, 0x7c, 0xef, 0xbf, 0xbd]);
});

Deno.test("capture --serve / --via: the socket, and the options that do not go with them (usage, 2)", () => {
  const mode = (args: string[]) => {
    const { opts, cmd } = splitArgs(args);
    return residentMode(parseOptions(opts), cmd);
  };
  assert.equal(mode(["--out", "d", "--", "true"]), undefined, "a capture of its own");
  assert.deepEqual(mode(["--serve"]), { mode: "serve", socket: DEFAULT_SOCKET });
  assert.deepEqual(mode(["--serve", "--socket", "/r/s.sock"]), {
    mode: "serve",
    socket: "/r/s.sock",
  });
  assert.deepEqual(mode(["--via", "--out", "d", "--", "true"]), {
    mode: "via",
    socket: DEFAULT_SOCKET,
  });
  assert.deepEqual(mode(["--via", "--socket=/r/s", "curl", "-s"]), { mode: "via", socket: "/r/s" });
  const fails = (args: string[], msg: RegExp) =>
    assert.throws(
      () => mode(args),
      (e) => e instanceof CliError && e.exitCode === 2 && msg.test(e.message),
    );
  fails(["--serve", "--via", "--", "true"], /^give --serve or --via, not both$/);
  fails(
    ["--serve", "--", "true"],
    /^--serve takes no command and no option but --socket \(got a command\)/,
  );
  fails(
    ["--serve", "--out", "d"],
    /^--serve takes no command and no option but --socket \(got --out\)/,
  );
  fails(
    ["--via", "--pid", "1"],
    /^--via records a command; --pid and --comm run as a capture of their own$/,
  );
  fails(["--via", "--comm", "x"], /--pid and --comm run as a capture of their own/);
  fails(["--via", "--status", "--", "true"], /^--via shows no live status line$/);
  fails(["--via"], /^--via needs a command: --via -- CMD ARGS\.\.\.$/);
  fails(["--socket", "/s", "--", "true"], /^--socket goes with --serve or --via$/);
  fails(["--via", "--socket=", "--", "true"], /^--socket wants a value, got an empty string$/);
});
