/**
 * quickScan: a marker among a library's constant strings is found (also in a file without
 * section headers, by its read-only segments); the same bytes in its exception tables or GPU
 * code are not searched (they hold no strings, and a big library's are megabytes).
 */
import assert from "node:assert/strict";
import { quickScan } from "./quick_scan.ts";
import { buildSharedLibrary } from "../../tests/support/shared_library.ts";

const RING = "/home/u/.cargo/registry/src/index.crates.io-6f17d22bba15001f/ring-0.17.8/src/aead.rs";

Deno.test("a marker among the constant strings is found, also without section headers", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sl-quick-scan-" });
  try {
    const lib = await buildSharedLibrary(
      dir,
      "libring",
      `const char *sl_where(void) { return "${RING}"; }\n`,
    );
    assert.deepEqual(quickScan(lib).hints, ["ring"]);
    // the section headers gone (e_shoff, e_shnum zero): the read-only segments are searched
    const bytes = await Deno.readFile(lib);
    const dv = new DataView(bytes.buffer);
    dv.setBigUint64(40, 0n, true);
    dv.setUint16(60, 0, true);
    dv.setUint16(62, 0, true);
    await Deno.writeFile(`${dir}/headless.so`, bytes);
    assert.deepEqual(quickScan(`${dir}/headless.so`).hints, ["ring"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("exception tables and GPU code are not searched: markers there are no TLS", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sl-quick-scan-" });
  try {
    const lib = await buildSharedLibrary(
      dir,
      "libtables",
      `__attribute__((section(".gcc_except_table"), used)) static const char a[] = "${RING}";\n` +
        `__attribute__((section(".nv_fatbin"), used)) static const char b[] = "x/ssl/ssl_lib.cc";\n` +
        "int sl_f(void) { return 1; }\n",
    );
    const q = quickScan(lib);
    assert.equal(q.maybe, false, JSON.stringify(q.hints));
    assert.match(q.reason ?? "", /^no TLS library found/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
