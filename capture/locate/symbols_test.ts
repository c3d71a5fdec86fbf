/**
 * Symbols by name, decoding only the entries whose names are the hooked functions': a linker
 * that shares string tails (`aws_lc_0_SSL_write` holds `SSL_write`) makes the bytes of a name
 * occur where no symbol of that name begins; only a symbol whose name begins there counts.
 */
import assert from "node:assert/strict";
import { ElfFile, SHT_DYNSYM } from "../elf.ts";
import { locateSymbols, symbolsNamed } from "./symbols.ts";
import { buildSharedLibrary } from "../../tests/support/shared_library.ts";

/** `nm -D --defined-only`'s addresses by name. */
async function exported(lib: string): Promise<Map<string, number>> {
  const nm = await new Deno.Command("nm", { args: ["-D", "--defined-only", lib], stdout: "piped" })
    .output();
  return new Map(
    new TextDecoder().decode(nm.stdout).split("\n").map((l) => l.split(" "))
      .filter((p) => p.length === 3).map(([a, , n]) => [n, parseInt(a, 16)]),
  );
}

Deno.test("a prefixed copy of the API is not the API; the API beside it is found at its address", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sl-symbols-" });
  try {
    const prefixed = "int aws_lc_0_SSL_write(void *s, const void *b, int n) { return n; }\n" +
      "int aws_lc_0_SSL_read(void *s, void *b, int n) { return n + 1; }\n";
    const only = await buildSharedLibrary(dir, "libprefixed", prefixed);
    const a = ElfFile.open(only);
    assert.deepEqual(symbolsNamed(a, SHT_DYNSYM, ["SSL_write", "SSL_read"]), []);
    assert.deepEqual(locateSymbols(a).hooks, []);
    a.close();
    const both = await buildSharedLibrary(
      dir,
      "libboth",
      prefixed + "int SSL_write(void *s, const void *b, int n) { return n + 2; }\n" +
        "int SSL_read(void *s, void *b, int n) { return n + 3; }\n",
    );
    const want = await exported(both);
    const b = ElfFile.open(both);
    const found = locateSymbols(b);
    assert.deepEqual(
      found.hooks.map((h) => [h.fn, h.vaddr]).sort(),
      [["SSL_read", want.get("SSL_read")], ["SSL_write", want.get("SSL_write")]],
    );
    b.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
