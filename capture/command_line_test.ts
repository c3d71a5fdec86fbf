/** The capture's command line: its Deno cache is the one `deno info` names for the caller. */
import assert from "node:assert/strict";
import { captureCommand, COMMAND_DENO_DIR } from "./command_line.ts";
import { skipWithoutRoot } from "../tests/support/ebpf.ts";
import { readRecording } from "../recording/recording.ts";

/** `deno info`'s DENO_DIR and command_line.ts denoDir() in a process with `env` set. */
async function both(env: Record<string, string>) {
  const script =
    `import { denoDir } from ${
      JSON.stringify(new URL("./command_line.ts", import.meta.url).href)
    };` +
    `console.log(JSON.stringify(denoDir()));`;
  const base = Deno.env.toObject();
  for (const k of ["DENO_DIR", "XDG_CACHE_HOME"]) delete base[k];
  const run = async (args: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args,
      env: { ...base, ...env },
      clearEnv: true,
      cwd: "/tmp",
      stdout: "piped",
    }).output();
    assert.ok(out.success);
    return JSON.parse(new TextDecoder().decode(out.stdout));
  };
  const [info, ours] = await Promise.all([
    run(["info", "--json"]),
    run(["eval", "--no-config", script]),
  ]);
  return { deno: info.denoDir as string, ours: ours as string };
}

Deno.test("denoDir() is the Deno cache `deno info` names, from DENO_DIR, XDG_CACHE_HOME or HOME", async () => {
  for (
    const env of <Record<string, string>[]> [
      { DENO_DIR: "/d/deno-dir" },
      { DENO_DIR: "relative/dd" },
      { XDG_CACHE_HOME: "/x/cache" },
      { XDG_CACHE_HOME: "rel-cache" },
      { HOME: "/h" },
      { DENO_DIR: "", HOME: "/h" },
      { DENO_DIR: "/d", XDG_CACHE_HOME: "/x", HOME: "/h" },
    ]
  ) {
    const { deno, ours } = await both(env);
    assert.equal(ours, deno, JSON.stringify(env));
  }
});

Deno.test({
  name: "a command under captureCommand sees the DENO_DIR its caller gave it, or none",
  ignore: skipWithoutRoot(),
  async fn() {
    const dir = await Deno.makeTempDir();
    const base = Deno.env.toObject();
    delete base.DENO_DIR;
    for (const given of [undefined, "/some/deno dir", ""]) {
      const seen = `${dir}/seen`;
      const [exe, ...args] = captureCommand(`${dir}/rec`, [
        "/bin/sh",
        "-c",
        `printf '%s|%s' "\${DENO_DIR-unset}" "\${${COMMAND_DENO_DIR}-none}" > '${seen}'`,
      ], ["--quiet", "--force"]);
      const st = await new Deno.Command(exe, {
        args,
        clearEnv: true,
        env: { ...base, ...(given === undefined ? {} : { DENO_DIR: given }) },
        stdout: "null",
      }).output();
      assert.ok(st.success, `capture exit ${st.code}`);
      assert.equal(await Deno.readTextFile(seen), `${given ?? "unset"}|none`, `given ${given}`);
      assert.equal(readRecording(`${dir}/rec`).manifest.complete, true);
    }
  },
});
