/**
 * The command-line kit: usage errors carry exit code 2 and one line, paths are the user's,
 * output directories are timestamped, and a command stopped by a signal takes its whole
 * process tree with it — children, grandchildren, a daemon that left its parent, a child that
 * ignores SIGTERM — exiting 128 + the signal; a second signal kills at once. Real processes.
 */
import assert from "node:assert/strict";
import {
  alive,
  choiceOption,
  CliError,
  descendants,
  listOption,
  newTimestampedDir,
  onceEach,
  outDirOption,
  parseCommand,
  type Proc,
  procOf,
  procTag,
  removeAbandoned,
  tempDirRemovedOnStop,
  timestampedDir,
  userNewPath,
  userPath,
} from "./cli.ts";

Deno.test("cli: bad options are usage errors with exit code 2, on one line", () => {
  const opts = { out: { type: "string" }, n: { type: "string" } } as const;
  assert.deepEqual(parseCommand(["--", "--out", "x", "a"], opts).positionals, ["a"]);
  for (const args of [["--bogus"], ["--out"]]) {
    assert.throws(() => parseCommand(args, opts), (e: Error) => {
      assert.ok(e instanceof CliError && e.exitCode === 2 && e.showUsage, String(e));
      assert.ok(!e.message.includes("\n"));
      return true;
    });
  }
  assert.throws(() => parseCommand(["a"], opts, { positionals: false }), CliError);
  // a value that begins with a dash: the line says how to give it
  assert.throws(
    () => parseCommand(["--n", "-1"], opts),
    (e: Error) =>
      e instanceof CliError && e.exitCode === 2 && !e.message.includes("\n") &&
      e.message.includes("'--n=-XYZ'"),
  );
  assert.equal(parseCommand(["--n=-1"], opts).values.n, "-1");
});

Deno.test("cli: a list option takes known names only, the first unknown one named", () => {
  const known = ["claude", "codex", "gemini"] as const;
  assert.deepEqual(listOption("agents", " codex, claude,,", known, "agent"), ["codex", "claude"]);
  assert.throws(
    () => listOption("agents", "codex,cursor,aider", known, "agent"),
    (e: Error) =>
      e instanceof CliError && e.exitCode === 2 &&
      e.message === '--agents: unknown agent "cursor" (claude, codex, gemini)',
  );
});

Deno.test("cli: a choice option is one of the known values, or says which it takes", () => {
  assert.equal(choiceOption("transport", undefined, ["websocket", "http"]), undefined);
  assert.equal(choiceOption("transport", "http", ["websocket", "http"]), "http");
  for (
    const [known, said] of [
      [["websocket", "http"], "--transport: expected websocket or http, got grpc"],
      [["a", "b", "c"], "--transport: expected a, b, c, got grpc"],
    ] as const
  ) {
    assert.throws(
      () => choiceOption("transport", "grpc", known),
      (e: Error) => e instanceof CliError && e.exitCode === 2 && e.message === said,
    );
  }
});

Deno.test("cli: paths are resolved against the directory the user ran the command from", () => {
  const before = Deno.env.get("INIT_CWD");
  try {
    Deno.env.set("INIT_CWD", "/home/someone/work");
    assert.equal(userPath("rec"), "/home/someone/work/rec");
    assert.equal(userPath("../x/./y"), "/home/someone/x/y");
    assert.equal(userPath("/abs/p"), "/abs/p");
    Deno.env.delete("INIT_CWD");
    assert.equal(userPath("rec"), `${Deno.cwd()}/rec`);
  } finally {
    if (before === undefined) Deno.env.delete("INIT_CWD");
    else Deno.env.set("INIT_CWD", before);
  }
});

Deno.test("cli: output directories are named by UTC time and a safe name", () => {
  const d = timestampedDir("demo run/1", "/tmp/out");
  assert.match(d, /^\/tmp\/out\/\d{8}-\d{6}-demo_run_1$/);
  const stamp = new Date().toISOString().slice(0, 10).replaceAll("-", "");
  assert.ok(d.includes(`/${stamp}-`) || d.includes(`/${Number(stamp) + 1}-`));
});

Deno.test("cli: a default output directory is made new, two in the same second get two", async () => {
  const parent = await Deno.makeTempDir({ prefix: "sl-cli-out-" });
  try {
    const a = newTimestampedDir("demo", parent);
    const b = newTimestampedDir("demo", parent);
    assert.match(a, /\/\d{8}-\d{6}-demo$/);
    // (rarely the second falls in the next second: then its own stamp, also new)
    assert.ok(b === `${a}-2` || (/\/\d{8}-\d{6}-demo$/.test(b) && b !== a), b);
    for (const d of [a, b]) assert.ok(Deno.statSync(d).isDirectory, d);
    const rec = newTimestampedDir("rec", parent, 0o700);
    assert.equal(Deno.statSync(rec).mode! & 0o777, 0o700, "a recording's, as capture's");
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});

/**
 * A command that uses stopOnSignals and starts: two sleeps, a shell with a grandchild, a
 * daemon (double fork: its parent exits, it lives on) and a child that ignores SIGTERM.
 */
const COMMAND = `
import { runCommand, stopOnSignals } from "${new URL("./cli.ts", import.meta.url).href}";
stopOnSignals("t", { graceMs: 1500, cleanup: () => console.log("cleaned up") });
await runCommand("t", "usage", async () => {
  const spawn = (cmd, ...args) => new Deno.Command(cmd, { args, stdin: "null" }).spawn();
  spawn("sleep", "600");
  spawn("sleep", "601");
  spawn("sh", "-c", "sleep 602 & wait");
  await spawn("sh", "-c", "(setsid sleep 603 &) ; exit 0").status;
  spawn("sh", "-c", "trap '' TERM; sleep 604 & wait");
  console.log("started");
  await new Promise(() => {});
});
`;

/**
 * Runs `source` as a Deno program (written to a temporary file, `file`), its stdout piped: the
 * child and a reader of its stdout.
 */
async function runProgram(
  source: string,
  stderr: "piped" | "null" | "inherit" = "piped",
  under: string[] = [],
) {
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(file, source);
  const [cmd, ...pre] = [...under, Deno.execPath()];
  const child = new Deno.Command(cmd, {
    args: [...pre, "run", "-A", file],
    stdout: "piped",
    stderr,
  }).spawn();
  return { file, child, reader: child.stdout.getReader() };
}

async function startCommand() {
  const { child, reader } = await runProgram(COMMAND);
  let out = "";
  while (!out.includes("started")) {
    const { value, done } = await reader.read();
    if (done) break;
    out += new TextDecoder().decode(value);
  }
  // the whole tree, as it stands once everything started (sleep 604 under its shell, too)
  let tree: Proc[] = [];
  for (let i = 0; i < 50 && tree.length < 7; i++) {
    await new Promise((r) => setTimeout(r, 100));
    tree = descendants(child.pid);
  }
  return { child, reader, tree, read: () => out };
}

async function rest(r: ReadableStreamDefaultReader<Uint8Array>) {
  let s = "";
  for (;;) {
    const { value, done } = await r.read();
    if (done) return s;
    s += new TextDecoder().decode(value);
  }
}

/** Waits for `child` to end: its status, the rest of its stdout (`reader`) and its stderr. */
async function ended(child: Deno.ChildProcess, reader: ReadableStreamDefaultReader<Uint8Array>) {
  const status = await child.status;
  const out = await rest(reader);
  const err = await new Response(child.stderr).text();
  return { status, out, err };
}

for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  Deno.test(`cli: ${sig} stops the whole tree the command started, then it exits`, async () => {
    const { child, reader, tree } = await startCommand();
    // sleeps 600-604 and two shells (the daemon's shell exited; the daemon is ours as its
    // reaper)
    const cmdlines = tree.map((p) => Deno.readTextFileSync(`/proc/${p.pid}/cmdline`));
    for (const n of [600, 601, 602, 603, 604]) {
      assert.ok(cmdlines.some((c) => c.includes(`sleep\0${n}`)), `sleep ${n} in ${cmdlines}`);
    }
    const t0 = performance.now();
    child.kill(sig);
    const { status, out, err } = await ended(child, reader);
    assert.equal(status.code, { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 }[sig], err);
    assert.match(err, new RegExp(`t: ${sig}: stopping \\d+ process`));
    assert.match(err, /still running after 1500 ms: killing them/); // the one ignoring TERM
    assert.match(out, /cleaned up/);
    assert.deepEqual(tree.filter(alive), [], "every process it started is gone");
    assert.ok(performance.now() - t0 < 8000);
  });
}

Deno.test("cli: the same signal again at once is its echo (deno task passing on a terminal's), not a second", async () => {
  const { child, reader, tree } = await startCommand();
  child.kill("SIGINT");
  await new Promise((r) => setTimeout(r, 10));
  child.kill("SIGINT");
  const { status, err } = await ended(child, reader);
  assert.equal(status.code, 130);
  assert.doesNotMatch(err, /again: killing/);
  // the stop as for one signal: the grace, then what ignores TERM killed
  assert.match(err, /still running after 1500 ms: killing them/);
  assert.deepEqual(tree.filter(alive), []);
});

Deno.test("cli: a second signal kills everything at once", async () => {
  const { child, reader, tree } = await startCommand();
  child.kill("SIGTERM");
  await new Promise((r) => setTimeout(r, 400)); // past the echo's 250 ms
  child.kill("SIGTERM");
  const { status, err } = await ended(child, reader);
  assert.equal(status.code, 143);
  assert.match(err, /SIGTERM again: killing what it started/);
  assert.doesNotMatch(err, /still running after/);
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(tree.filter(alive), []);
});

Deno.test("cli: a command whose child ends by the stop still exits with the signal's code", async () => {
  const { child, reader } = await runProgram(
    `import { runCommand, stopOnSignals } from "${new URL("./cli.ts", import.meta.url).href}";
stopOnSignals("t");
await runCommand("t", "usage", async () => {
  const child = new Deno.Command("sleep", { args: ["600"] }).spawn();
  console.log("started");
  return (await child.status).code; // 143 once the stop has killed it
});
`,
    "null",
  );
  await reader.read();
  await new Promise((r) => setTimeout(r, 300));
  child.kill("SIGINT");
  assert.equal((await child.status).code, 130);
  await rest(reader);
});

Deno.test("cli: a signal removes the temporary paths the command registered; what it finished stays", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sl-cli-stop-" });
  const { file, child, reader } = await runProgram(
    `import { removeOnStop, runCommand, stopOnSignals } from "${
      new URL("./cli.ts", import.meta.url).href
    }";
stopOnSignals("t");
await runCommand("t", "usage", async () => {
  // one file written and renamed into place, then a build directory and a file half-written
  const done = "${dir}/.done.tmp";
  const forget = removeOnStop(done);
  Deno.writeTextFileSync(done, "whole");
  Deno.renameSync(done, "${dir}/done");
  forget();
  removeOnStop("${dir}/.build");
  Deno.mkdirSync("${dir}/.build/spill", { recursive: true });
  Deno.writeTextFileSync("${dir}/.build/spill/part", "x");
  removeOnStop("${dir}/.out.tmp");
  Deno.writeTextFileSync("${dir}/.out.tmp", "half");
  console.log("started");
  await new Promise(() => {});
});
`,
  );
  try {
    await reader.read();
    child.kill("SIGINT");
    const { status, err } = await ended(child, reader);
    assert.equal(status.code, 130);
    assert.equal(err, "t: SIGINT: stopped\n");
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["done"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(file);
  }
});

Deno.test("cli: a signal while temporary directories are being made leaves none behind", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sl-cli-mk-" });
  // the command makes build directories over and over, each with a moment of work (awaited)
  // and removed when done, as analyze does per recording; the signal lands at any point
  const { file, child, reader } = await runProgram(
    `import { runCommand, stopOnSignals, tempDirRemovedOnStop } from "${
      new URL("./cli.ts", import.meta.url).href
    }";
stopOnSignals("t");
await runCommand("t", "usage", async () => {
  console.log("started");
  for (;;) {
    const { path, forget } = tempDirRemovedOnStop({ dir: "${dir}", prefix: ".build-" });
    await Deno.writeTextFile(path + "/part", "x");
    Deno.removeSync(path, { recursive: true });
    forget();
  }
});
`,
  );
  try {
    await reader.read();
    await new Promise((r) => setTimeout(r, 100));
    child.kill("SIGINT");
    const { status, err } = await ended(child, reader);
    assert.equal(status.code, 130);
    assert.equal(err, "t: SIGINT: stopped\n");
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(file);
  }
});

Deno.test("cli: onceEach refuses a path given twice under any spelling (a link too), exit 2, one line", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "sightline-once-" });
  try {
    await Deno.mkdir(`${tmp}/a`);
    await Deno.mkdir(`${tmp}/b`);
    await Deno.symlink(`${tmp}/a`, `${tmp}/l`);
    onceEach([`${tmp}/a`, `${tmp}/b`, `${tmp}/gone`]);
    for (
      const [paths, msg] of [
        [[`${tmp}/a`, `${tmp}/a`], `${tmp}/a is given twice: give each recording once`],
        [[`${tmp}/a`, `${tmp}/b/../a/`], `${tmp}/a and ${tmp}/b/../a/ are the same recording`],
        [[`${tmp}/b`, `${tmp}/a`, `${tmp}/l`], `${tmp}/a and ${tmp}/l are the same recording`],
        [[`${tmp}/gone`, `${tmp}/gone/`], `${tmp}/gone and ${tmp}/gone/ are the same recording`],
      ] as const
    ) {
      assert.throws(() => onceEach(paths), (e: Error) => {
        assert.ok(e instanceof CliError && e.exitCode === 2, String(e));
        assert.ok(e.message.startsWith(msg), e.message);
        assert.ok(!e.message.includes("\n"));
        return true;
      });
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("cli: an empty --out (a variable unset) is a usage error, not the directory the command runs from", () => {
  // any option given empty, in either spelling, and a path given empty
  const opts = { out: { type: "string" }, n: { type: "string", default: "" } } as const;
  assert.equal(parseCommand([], opts).values.n, "", "an empty default is not the user's");
  for (
    const [args, msg] of [
      [["--out", "", "a"], "--out wants a value, got an empty string"],
      [["--n=", "a"], "--n wants a value, got an empty string"],
    ] as const
  ) {
    assert.throws(() => parseCommand([...args], opts), (e: Error) => {
      assert.ok(e instanceof CliError && e.exitCode === 2 && e.showUsage, String(e));
      assert.equal(e.message, msg);
      return true;
    });
  }
  for (const f of [userPath, userNewPath]) {
    assert.throws(() => f(""), (e: Error) => {
      assert.ok(e instanceof CliError && e.exitCode === 2, String(e));
      assert.equal(e.message, "a path given is an empty string");
      return true;
    });
  }
  assert.equal(outDirOption(undefined), undefined);
  assert.equal(outDirOption("/x/y"), "/x/y");
  assert.equal(outDirOption("/tmp"), "/tmp");
  // a file where the directory is wanted: said at once, not when the command comes to write
  const file = Deno.makeTempFileSync();
  try {
    assert.throws(() => outDirOption(file), (e: Error) => {
      assert.ok(e instanceof CliError && e.exitCode === 2, String(e));
      assert.equal(e.message, `--out ${file} is not a directory`);
      return true;
    });
  } finally {
    Deno.removeSync(file);
  }
  assert.throws(() => outDirOption(""), (e: Error) => {
    assert.ok(e instanceof CliError && e.exitCode === 2, String(e));
    assert.equal(e.message, "--out wants a directory, got an empty string");
    return true;
  });
});

Deno.test("cli: a path holding U+FFFD (what bytes that are not UTF-8 are read as) is said to", () => {
  const dir = Deno.makeTempDirSync();
  try {
    // the name as Deno reads bad\xff\xfename from the command line: it names nothing
    const given = `${dir}/bad\uFFFD\uFFFDname`;
    const refused = (fn: () => string, message: string) =>
      assert.throws(fn, (e: Error) => {
        assert.ok(e instanceof CliError && e.exitCode === 2, String(e));
        assert.equal(e.message, message);
        return true;
      });
    refused(
      () => userPath(given),
      `${given}: not found; it holds U+FFFD (\uFFFD), which is what Deno makes of bytes that ` +
        `are not UTF-8: a name with such bytes must be renamed`,
    );
    // one to be made (--out, --log): not "not found", nor to be renamed
    const made = `${given}: holds U+FFFD (\uFFFD), which is what Deno makes of bytes that are ` +
      `not UTF-8: what is made would not bear the name given; choose one in UTF-8 without U+FFFD`;
    refused(() => userNewPath(given), made);
    refused(() => outDirOption(given)!, made);
    assert.equal(userNewPath(`${dir}/new`), `${dir}/new`);
    // a name that really holds U+FFFD is found as it is
    Deno.mkdirSync(given);
    assert.equal(userPath(given), given);
    assert.equal(userNewPath(given), given);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("cli: removeAbandoned removes the temporary directories of ended processes only", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const mine = tempDirRemovedOnStop({ dir, prefix: ".build-" });
    mine.forget();
    const me = procOf(Deno.pid)!;
    const tag = procTag()!;
    assert.ok(mine.path.startsWith(`${dir}/.build-${tag}-${me.pid}.${me.start}-`), mine.path);
    // the same pid with another start time: a process that ended, its pid since reused
    const dead = `${me.pid}.${Number(me.start) + 1}`;
    Deno.mkdirSync(`${dir}/.build-${tag}-${dead}-abc`);
    Deno.writeTextFileSync(`${dir}/.build-${tag}-${dead}-abc/part`, "x");
    // made on another host, or in another pid namespace: this /proc does not show its owner
    const other = `${tag.slice(0, 8)}n${Number(tag.slice(9)) + 1}`;
    Deno.mkdirSync(`${dir}/.build-${other}-${dead}-abc`);
    Deno.mkdirSync(`${dir}/.build-0badbeefn${tag.slice(9)}-${dead}-abc`);
    Deno.mkdirSync(`${dir}/.build-${dead}-abc`); // named by an older Sightline: left alone
    Deno.mkdirSync(`${dir}/.build-oldname`); // not named for an owner: not known to be abandoned
    Deno.mkdirSync(`${dir}/.other-${tag}-1.1-x`); // another prefix
    assert.deepEqual(removeAbandoned(dir, ".build-"), [`.build-${tag}-${dead}-abc`]);
    assert.deepEqual(
      [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
      [
        `.build-${other}-${dead}-abc`,
        `.build-0badbeefn${tag.slice(9)}-${dead}-abc`,
        `.build-${dead}-abc`,
        ".build-oldname",
        mine.path.slice(dir.length + 1),
        `.other-${tag}-1.1-x`,
      ].sort(),
    );
    assert.deepEqual(removeAbandoned(`${dir}/none`, ".build-"), []);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "cli: removeAbandoned leaves alone the directory of a running process in another pid namespace",
  // unshare -p needs root (CAP_SYS_ADMIN)
  ignore: Deno.uid() !== 0,
  fn: async () => {
    const dir = Deno.makeTempDirSync();
    const { file, child, reader } = await runProgram(
      `import { tempDirRemovedOnStop } from "${new URL("./cli.ts", import.meta.url).href}";
const { path } = tempDirRemovedOnStop({ dir: "${dir}", prefix: ".build-" });
Deno.writeTextFileSync(path + "/part", "half-built");
console.log(Deno.pid, path);
await new Promise((r) => setTimeout(r, 30_000));
`,
      "inherit",
      ["unshare", "-pf", "--mount-proc", "--kill-child"],
    );
    try {
      const line = new TextDecoder().decode((await reader.read()).value);
      const [pid, path] = line.trim().split(" ");
      assert.notEqual(Number(pid), Deno.pid, "its pids are another namespace's");
      assert.deepEqual(removeAbandoned(dir, ".build-"), []);
      assert.equal(Deno.readTextFileSync(`${path}/part`), "half-built");
    } finally {
      child.kill("SIGKILL");
      await child.status;
      await reader.cancel();
      await Deno.remove(dir, { recursive: true });
      await Deno.remove(file);
    }
  },
});
