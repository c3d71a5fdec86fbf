/** Timestamped output directories: the name, and one directory per run however many race. */
import assert from "node:assert/strict";
import { makeNewDir, timestampedDir } from "./stamped_dir.ts";

Deno.test("timestampedDir: UTC time and a safe name", () => {
  const at = new Date("2026-12-03T17:04:05.678Z");
  assert.equal(timestampedDir("demo run/1", "/tmp/out", at), "/tmp/out/20261203-170405-demo_run_1");
});

Deno.test("makeNewDir: a name taken gets -2, -3, ...; racing runs each get their own", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "sl-stamped-" });
  try {
    const base = `${tmp}/recordings/20261203-170405-true`;
    assert.equal(makeNewDir(base, 0o700), base, "parents made");
    assert.equal(Deno.statSync(base).mode! & 0o777, 0o700);
    assert.equal(makeNewDir(base), `${base}-2`);
    // an empty directory already there is taken too: it may be another run's, not yet written
    Deno.mkdirSync(`${base}-3`);
    assert.equal(makeNewDir(base), `${base}-4`);
    // processes started at once (what two captures in the same second do)
    const code =
      `import { makeNewDir } from ${JSON.stringify(import.meta.resolve("./stamped_dir.ts"))};` +
      `console.log(makeNewDir(${JSON.stringify(`${tmp}/race/x`)}));`;
    const outs = await Promise.all(
      Array.from(
        { length: 6 },
        () => new Deno.Command(Deno.execPath(), { args: ["eval", code], stdout: "piped" }).output(),
      ),
    );
    const made = outs.map((o) => new TextDecoder().decode(o.stdout).trim()).sort();
    assert.equal(new Set(made).size, 6, made.join(" "));
    assert.deepEqual(Deno.readDirSync(`${tmp}/race`).toArray().length, 6);
    assert.throws(() => makeNewDir("/proc/sl-no/x"));
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
