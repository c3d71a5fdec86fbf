/**
 * The README's entry point from the user's own directory: `path/to/sightline capture --out rec
 * -- ./prog.sh` records there and runs ./prog.sh there, `sightline analyze rec`, `sightline sql
 * rec` and `sightline report rec` find the recording there — every path argument is the
 * user's. (`./sightline` runs set-up first, which is quick once done.) Capture needs root.
 * `sightline capture --via ...` is a resident capture's session: it runs in the user's
 * directory and records there too, and goes straight to the client (no set-up: it comes once
 * per command, reports/bench/capture.md, Session 38).
 */
import { filePath } from "../kit/file_path.ts";
import assert from "node:assert/strict";
import { skipWithoutRoot } from "./support/ebpf.ts";
import { copyRecording } from "../recording/manifest.ts";
import { NATIVE_VIA, startServer } from "./support/resident_server.ts";

const SIGHTLINE = filePath("../sightline", import.meta.url);
const DATASET = filePath("../datasets/demo-gemini/", import.meta.url);
const dec = new TextDecoder();

/** `bash SCRIPT ARGS...` (a checkout's `sightline`) in `cwd`, as from a shell, with `extra` in
 * its environment. */
async function runScript(
  script: string,
  cwd: string,
  args: string[],
  extra: Record<string, string> = {},
) {
  const env = { ...Deno.env.toObject(), ...extra };
  delete env.INIT_CWD; // as from a shell: the wrapper sets it
  const out = await new Deno.Command("bash", {
    args: [script, ...args],
    cwd,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

const sightline = (cwd: string, ...args: string[]) => runScript(SIGHTLINE, cwd, args);

/** `sightline capture --via` runs native/'s C client when built (set-up builds it), Deno's
 * when SIGHTLINE_VIA_CLIENT=deno: the environment for each. */
const VIA_CLIENT_ENVS: [string, Record<string, string>][] = [
  ["C", {}],
  ["deno", { SIGHTLINE_VIA_CLIENT: "deno" }],
];

/** The one value `sightline sql --format csv REC -- QUERY` prints in `cwd` (exit 0 asserted). */
async function sqlValue(cwd: string, rec: string, query: string): Promise<string> {
  const q = await sightline(cwd, "sql", "--format", "csv", rec, "--", query);
  assert.equal(q.code, 0, q.stderr);
  return q.stdout.split("\r\n")[1];
}

async function userDir(): Promise<string> {
  const d = await Deno.makeTempDir({ prefix: "sl-user-" });
  await Deno.mkdir(`${d}/work`);
  return `${d}/work`;
}

Deno.test("entry point: analyze, sql and report take paths relative to the user's directory", async () => {
  const cwd = await userDir();
  copyRecording(DATASET, `${cwd}/rec`);
  const a = await sightline(cwd, "analyze", "--quiet", "rec");
  assert.equal(a.code, 0, a.stderr);
  assert.match(a.stdout, /LLM calls/);
  assert.ok(Deno.statSync(`${cwd}/rec/analysis.duckdb`).isFile);
  assert.equal(await sqlValue(cwd, "rec", "SELECT count(*) AS n FROM llm_calls"), "5");
  const r = await sightline(cwd, "report", "rec", "--out", "page");
  assert.equal(r.code, 0, r.stderr);
  assert.ok(Deno.statSync(`${cwd}/page/report.html`).isFile);
  // and a path that is not there is named as given, with the documented exit code
  const bad = await sightline(cwd, "analyze", "nothing-here");
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /nothing-here: no such directory/);
});

/** `sightline capture OPTIONS --quiet --out rec -- ./prog.sh` in a user's directory, where
 * ./prog.sh writes said.txt: both ran there and the recording is there; its manifest. */
async function capturedProg(options: string[], extra: Record<string, string> = {}) {
  const cwd = await userDir();
  await Deno.writeTextFile(`${cwd}/prog.sh`, "#!/bin/sh\necho hello > said.txt\n", {
    mode: 0o755,
  });
  const c = await runScript(
    SIGHTLINE,
    cwd,
    ["capture", ...options, "--quiet", "--out", "rec", "--", "./prog.sh"],
    extra,
  );
  assert.equal(c.code, 0, c.stderr);
  assert.equal(await Deno.readTextFile(`${cwd}/said.txt`), "hello\n");
  const m = JSON.parse(await Deno.readTextFile(`${cwd}/rec/manifest.json`));
  assert.deepEqual(m.command, ["./prog.sh"]);
  assert.equal(m.cwd, cwd);
  assert.equal(m.exit_code, 0);
  const written = "SELECT count(*) FROM file_events WHERE written AND path LIKE '%/said.txt'";
  assert.equal(await sqlValue(cwd, "rec", written), "1");
  return m;
}

Deno.test({
  name: "entry point: capture --out rec -- ./prog.sh records and runs in the user's directory",
  ignore: skipWithoutRoot(),
  fn: async () => {
    await capturedProg([]);
  },
});

/** A copy of the checkout's `sightline` in a directory of links to the checkout's top-level
 * entries but scripts/ (whatever runs set-up, scripts/setup.sh, fails there), and .tools/ only
 * when `tools` (without it only native/'s C client can answer); `staleNative`: native/ a copy
 * whose via_client.c is newer than its build. */
async function checkoutWithoutSetup(
  { tools, staleNative }: { tools: boolean; staleNative: boolean },
): Promise<string> {
  const d = await Deno.makeTempDir({ prefix: "sl-nosetup-" });
  const root = filePath("..", import.meta.url);
  for (const e of Deno.readDirSync(root)) {
    if (e.name === "scripts" || e.name === "sightline") continue;
    if (e.name === ".tools" && !tools) continue;
    if (e.name === "native" && staleNative) continue;
    await Deno.symlink(`${root}${e.name}`, `${d}/${e.name}`);
  }
  if (staleNative) {
    await Deno.mkdir(`${d}/native/build`, { recursive: true });
    await Deno.copyFile(NATIVE_VIA, `${d}/native/build/sightline-via`);
    await Deno.copyFile(`${root}native/via_client.c`, `${d}/native/via_client.c`);
    const built = Deno.statSync(NATIVE_VIA).mtime!;
    await Deno.utime(`${d}/native/build/sightline-via`, built, built);
    const later = new Date(built.getTime() + 60_000);
    await Deno.utime(`${d}/native/via_client.c`, later, later);
  }
  await Deno.copyFile(SIGHTLINE, `${d}/sightline`);
  return d;
}

const NO_SERVER = "sightline: no resident capture at none.sock: none is running (start one with " +
  "`sudo deno task capture --serve`)\n";

Deno.test("entry point: capture --via goes straight to the client, set-up not run", async () => {
  const cwd = await userDir();
  const session = ["capture", "--via", "--socket", "none.sock", "true"];
  const cases: [string, { tools: boolean; staleNative: boolean }, Record<string, string>][] = [
    // no .tools/: no Deno, so only the C client can answer
    ["C", { tools: false, staleNative: false }, {}],
    ["deno", { tools: true, staleNative: false }, { SIGHTLINE_VIA_CLIENT: "deno" }],
    // a build older than via_client.c is not run, and that is said: Deno's client answers
    ["deno (C build stale)", { tools: true, staleNative: true }, {}],
  ];
  for (const [client, layout, extra] of cases) {
    const checkout = await checkoutWithoutSetup(layout);
    try {
      const r = await runScript(`${checkout}/sightline`, cwd, session, extra);
      // the client ran (its one line for no resident capture): the copy has no set-up to run
      assert.equal(r.code, 1, `${client}: ${r.stderr}`);
      const said = layout.staleNative
        ? `sightline: ${checkout}/native/build/sightline-via is older than native/via_client.c: ` +
          "Deno's client runs instead (~90 ms more CPU a session); rebuild it as yourself: " +
          `make -C '${checkout}/native' (set-up, \`bash scripts/setup.sh\`, does it too)\n`
        : "";
      assert.equal(r.stderr, said + NO_SERVER, client);
    } finally {
      await Deno.remove(checkout, { recursive: true });
    }
  }
  // --via --help with no server: the usage, exit 0, through either client's way in
  const withDeno = await checkoutWithoutSetup({ tools: true, staleNative: false });
  try {
    for (const [client, extra] of VIA_CLIENT_ENVS) {
      const h = await runScript(`${withDeno}/sightline`, cwd, [
        "capture",
        "--via",
        "--socket",
        "none.sock",
        "--help",
      ], extra);
      assert.equal(h.code, 0, `${client}: ${h.stderr}`);
      assert.match(h.stdout, /--via/, client);
      assert.match(h.stdout, /-h, --help/, client);
    }
  } finally {
    await Deno.remove(withDeno, { recursive: true });
  }
  // a stale build and no Deno: set-up runs (which fails in the copy), the stale build never does
  const stale = await checkoutWithoutSetup({ tools: false, staleNative: true });
  try {
    const r = await runScript(`${stale}/sightline`, cwd, session);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /scripts\/setup\.sh/);
    // and what is not a session still sets up first (which fails in the copy)
    const other = await runScript(`${stale}/sightline`, cwd, [
      "capture",
      "--socket",
      "none.sock",
      "--via",
      "true",
    ]);
    assert.notEqual(other.code, 0);
    assert.match(other.stderr, /scripts\/setup\.sh/);
  } finally {
    await Deno.remove(stale, { recursive: true });
  }
});

Deno.test({
  name:
    "entry point: capture --via --out rec -- ./prog.sh records and runs in the user's directory",
  ignore: skipWithoutRoot(),
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "sl-entry-serve-" });
    const server = await startServer(dir);
    try {
      for (const [client, extra] of VIA_CLIENT_ENVS) {
        const m = await capturedProg(["--via", "--socket", server.socket], extra);
        assert.equal(m.served_by.pid, server.pid, client);
      }
      // the command's PATH is the same whichever client sent it: .tools/bin first, as for a task
      const paths = [];
      for (const [client, extra] of VIA_CLIENT_ENVS) {
        const cwd = await userDir();
        const r = await runScript(SIGHTLINE, cwd, [
          "capture",
          "--via",
          "--socket",
          server.socket,
          "--quiet",
          "--out",
          "rec",
          "--",
          "sh",
          "-c",
          'printf %s "$PATH"',
        ], extra);
        assert.equal(r.code, 0, `${client}: ${r.stderr}`);
        paths.push(r.stdout);
      }
      assert.equal(paths[0], paths[1]);
      assert.ok(paths[0].startsWith(filePath("../.tools/bin:", import.meta.url)), paths[0]);
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
