/**
 * Builds a small C source into a real shared library with gcc (`-O2 -shared -fPIC`, and any
 * further linker or compiler options), for the locator's tests: a marker string or an exported
 * function placed where a test wants it.
 */
import assert from "node:assert/strict";

/** Writes `src` to `dir`/`name`.c and builds `dir`/`name`.so; gcc's errors fail the test. */
export async function buildSharedLibrary(
  dir: string,
  name: string,
  src: string,
  args: string[] = [],
): Promise<string> {
  const c = `${dir}/${name}.c`, lib = `${dir}/${name}.so`;
  await Deno.writeTextFile(c, src);
  const r = await new Deno.Command("gcc", {
    args: ["-O2", "-shared", "-fPIC", ...args, "-o", lib, c],
    stderr: "piped",
  }).output();
  assert.ok(r.success, new TextDecoder().decode(r.stderr));
  return lib;
}
