/**
 * quickScan: a marker among a library's constant strings is found (also in a file without
 * section headers, by its read-only segments, and in a section whose type is wrong); the same
 * bytes in its exception tables or GPU code are not searched (they hold no strings, and a big
 * library's are megabytes). A file whose code segment is its only read-only one (a BoringSSL
 * or aws-lc FIPS module's strings inside `.text`) is searched there.
 */
import assert from "node:assert/strict";
import { quickScan } from "./quick_scan.ts";
import { ElfFile } from "../elf.ts";
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

Deno.test("a FIPS module's strings inside .text are found when the code segment is the only read-only one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sl-quick-scan-" });
  try {
    // BoringSSL/aws-lc FIPS builds keep the module's constant strings with its code (one
    // integrity-checked range); GNU ld -z noseparate-code (and gold, binutils < 2.31) put the
    // read-only data in the code segment: no read-only segment apart from it
    const lib = await buildSharedLibrary(
      dir,
      "libfips",
      `__attribute__((section(".text.sl_fips"), used)) static const char m[] =\n` +
        `  "/src/boringssl/crypto/fipsmodule/cipher/aead.c";\n` +
        "int sl_f(void) { return 1; }\n",
      ["-Wl,-z,noseparate-code"],
    );
    const elf = ElfFile.open(lib);
    try {
      const text = elf.section(".text")!;
      const bytes = elf.read(text.offset, text.size);
      assert.ok(new TextDecoder().decode(bytes).includes("fipsmodule/cipher/aead.c"));
      const loads = elf.segments.filter((s) => s.type === 1 && !(s.flags & 2));
      assert.deepEqual(loads.map((s) => s.flags & 1), [1], "one read-only segment: the code");
    } finally {
      elf.close();
    }
    assert.deepEqual(quickScan(lib).hints, ["aead.c"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("section headers that are wrong hide no marker: a .rodata of no type", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sl-quick-scan-" });
  try {
    const lib = await buildSharedLibrary(
      dir,
      "libstrings",
      `const char *sl_where(void) { return "x/ssl/ssl_lib.cc"; }\n`,
    );
    assert.deepEqual(quickScan(lib).hints, ["ssl_lib.cc"]);
    // .rodata's sh_type set to SHT_NULL (the dynamic loader does not read section headers)
    const bytes = await Deno.readFile(lib);
    const dv = new DataView(bytes.buffer);
    const shoff = Number(dv.getBigUint64(40, true));
    const elf = ElfFile.open(lib);
    const index = elf.sections.findIndex((s) => s.name === ".rodata");
    elf.close();
    assert.ok(index > 0);
    dv.setUint32(shoff + index * 64 + 4, 0, true);
    await Deno.writeFile(`${dir}/untyped.so`, bytes);
    assert.deepEqual(quickScan(`${dir}/untyped.so`).hints, ["ssl_lib.cc"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
