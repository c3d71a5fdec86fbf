/**
 * The README's entry point from the user's own directory: `path/to/sightline capture --out rec
 * -- ./prog.sh` records there and runs ./prog.sh there, `sightline analyze rec`, `sightline sql
 * rec` and `sightline report rec` find the recording there — every path argument is the
 * user's. (`./sightline` runs set-up first, which is quick once done.) Capture needs root.
 */
import { filePath } from "../kit/file_path.ts";
import assert from "node:assert/strict";
import { skipWithoutRoot } from "./support/ebpf.ts";
import { copyRecording } from "../recording/manifest.ts";

const SIGHTLINE = filePath("../sightline", import.meta.url);
const DATASET = filePath("../datasets/demo-gemini/", import.meta.url);
const dec = new TextDecoder();

async function sightline(cwd: string, ...args: string[]) {
  const env = { ...Deno.env.toObject() };
  delete env.INIT_CWD; // as from a shell: the wrapper sets it
  const out = await new Deno.Command("bash", {
    args: [SIGHTLINE, ...args],
    cwd,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

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

Deno.test({
  name: "entry point: capture --out rec -- ./prog.sh records and runs in the user's directory",
  ignore: skipWithoutRoot(),
  fn: async () => {
    const cwd = await userDir();
    await Deno.writeTextFile(`${cwd}/prog.sh`, "#!/bin/sh\necho hello > said.txt\n", {
      mode: 0o755,
    });
    const c = await sightline(cwd, "capture", "--quiet", "--out", "rec", "--", "./prog.sh");
    assert.equal(c.code, 0, c.stderr);
    assert.equal(await Deno.readTextFile(`${cwd}/said.txt`), "hello\n");
    const m = JSON.parse(await Deno.readTextFile(`${cwd}/rec/manifest.json`));
    assert.deepEqual(m.command, ["./prog.sh"]);
    assert.equal(m.cwd, cwd);
    assert.equal(m.exit_code, 0);
    const written = "SELECT count(*) FROM file_events WHERE written AND path LIKE '%/said.txt'";
    assert.equal(await sqlValue(cwd, "rec", written), "1");
  },
});
