/**
 * A BoringSSL/aws-lc FIPS module's strings in its code, in the modern layout (a read-only data
 * segment apart from the code, gcc's and binutils' default here): found when the module's
 * bounding symbols or its library's other strings show it is there, and not otherwise (the
 * code of other big files is not searched). On libraries built here with the layout, and on a
 * real FIPS module: Go's BoringCrypto object (delocated BoringSSL, from Debian's golang-go,
 * which setup installs) linked into a C program by gcc, located stripped and checked against
 * the symbols of the copy not stripped. Its EVP_AEAD_CTX_seal/open are not hooked, and the
 * locator says why: as root, a uprobe there makes the module's power-on integrity test fail
 * and the program abort.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { ElfFile } from "../elf.ts";
import { buildFipsProgram, goBoringCrypto } from "../../tests/support/fips_program.ts";
import { buildSharedLibrary } from "../../tests/support/shared_library.ts";
import { findCStrings } from "./code_refs.ts";
import {
  codeIsReadOnlyData,
  FIPS_INTEGRITY_TEST,
  FIPS_NOT_HOOKED,
  FIPS_TEXT_HINT,
  fipsModuleEvidence,
  moduleTextBySymbols,
} from "./fips_module.ts";
import { hex } from "./hex.ts";
import { quickScan } from "./quick_scan.ts";
import { SKIP_NOT_ROOT, tempCacheDir } from "./test_gate.ts";
import { uprobesOfRun } from "./uprobe_check.ts";
import { locate } from "./mod.ts";

/** A C declaration putting `text` among the code (`.text.*`), as delocate puts module data. */
const inCode = (name: string, text: string) =>
  `__attribute__((section(".text.${name}"), used)) static const char ${name}[] = "${text}";\n`;
/** A function returning `text`: a string among the read-only data (`.rodata`). */
const inData = (name: string, text: string) => `const char *${name}(void) { return "${text}"; }\n`;

const AWS_LC = "/src/aws-lc-fips-sys-0.13.7/aws-lc";
const BORINGSSL = "/src/boringssl";

async function withDir(f: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "sl-fips-module-" });
  try {
    await f(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("FIPS module: aead.c in the code is found when libcrypto's other strings are in the read-only data", async () => {
  await withDir(async (dir) => {
    // aws-lc: OPENSSL_malloc's error site (crypto/mem.c) outside the module
    const awsLc = await buildSharedLibrary(
      dir,
      "libawslc",
      inData("sl_mem", `${AWS_LC}/crypto/mem.c`) +
        inCode("sl_aead", `${AWS_LC}/crypto/fipsmodule/cipher/aead.c`),
    );
    using elf = ElfFile.open(awsLc);
    assert.equal(codeIsReadOnlyData(elf), false, "a read-only data segment apart from the code");
    assert.deepEqual(quickScan(awsLc).hints, ["aead.c", FIPS_TEXT_HINT]);
    // BoringSSL since 2024: ChaCha20-Poly1305 (never in a FIPS module) in crypto/cipher/*.cc,
    // the module's aead in .cc.inc files
    const boring = await buildSharedLibrary(
      dir,
      "libboring",
      inData("sl_chacha", `${BORINGSSL}/crypto/cipher/e_chacha20poly1305.cc`) +
        inCode("sl_aead", `${BORINGSSL}/crypto/fipsmodule/cipher/aead.cc.inc`),
    );
    assert.deepEqual(quickScan(boring).hints, ["aead.c", FIPS_TEXT_HINT]);
  });
});

Deno.test("FIPS module: by its bounding symbols, exactly its text is searched", async () => {
  await withDir(async (dir) => {
    // delocate's labels around the module, kept as local symbols when the file is not stripped
    const lib = await buildSharedLibrary(
      dir,
      "libbcm",
      `__asm__(".text\\n.p2align 4\\nBORINGSSL_bcm_text_start:\\n` +
        `.asciz \\"${AWS_LC}/crypto/fipsmodule/cipher/aead.c\\"\\n` +
        `BORINGSSL_bcm_text_end:\\n");\n` +
        "int sl_f(void) { return 1; }\n",
    );
    using elf = ElfFile.open(lib);
    const syms = Object.fromEntries(
      elf.staticSymbols().filter((s) => s.name.startsWith("BORINGSSL_bcm_text_"))
        .map((s) => [s.name, s.value]),
    );
    const start = syms.BORINGSSL_bcm_text_start, end = syms.BORINGSSL_bcm_text_end;
    assert.ok(end > start, JSON.stringify(syms));
    assert.deepEqual(moduleTextBySymbols(elf), [
      { offset: elf.vaddrToOffset(start), vaddr: start, size: end - start },
    ]);
    assert.deepEqual(quickScan(lib).hints, ["aead.c", FIPS_TEXT_HINT]);
  });
});

Deno.test("FIPS module: with nothing marking a module the code is not searched, and a libcrypto without aead.c says so", async () => {
  await withDir(async (dir) => {
    // the same string in the code of a file with no module symbols and no BoringSSL/aws-lc
    // libcrypto strings (OpenSSL names its ChaCha20-Poly1305 e_chacha20_poly1305.c): the code
    // of such files (most big binaries) is not read
    const other = await buildSharedLibrary(
      dir,
      "libother",
      inData("sl_chacha", "/src/openssl/crypto/evp/e_chacha20_poly1305.c") +
        inCode("sl_aead", `${AWS_LC}/crypto/fipsmodule/cipher/aead.c`),
    );
    const q = quickScan(other);
    assert.deepEqual(q.hints, []);
    assert.doesNotMatch(q.reason ?? "", /FIPS module/);
    // aws-lc's libcrypto with no aead.c anywhere: no TLS library, and the reason says where
    // aead.c was looked for
    const noAead = await buildSharedLibrary(
      dir,
      "libnoaead",
      inData("sl_mem", `${AWS_LC}/crypto/mem.c`) + "int sl_f(void) { return 1; }\n",
    );
    const n = quickScan(noAead);
    assert.equal(n.maybe, false);
    assert.match(
      n.reason ?? "",
      /^no TLS library found: .*BoringSSL\/aws-lc libcrypto is there, but no aead\.c in its read-only data nor in the code/,
    );
  });
});

Deno.test("FIPS module: the integrity test's name beside aead.c marks a FIPS build (the shared build keeps both in .rodata)", async () => {
  await withDir(async (dir) => {
    const aead = `${AWS_LC}/crypto/fipsmodule/cipher/aead.c`;
    const at = (lib: string) => {
      using elf = ElfFile.open(lib);
      const s = findCStrings(elf, "/cipher/aead.c");
      assert.equal(s.length, 1);
      return fipsModuleEvidence(elf, [s[0].vaddr]) !== undefined;
    };
    const fips = await buildSharedLibrary(
      dir,
      "libfips",
      inData("sl_aead", aead) + inData("sl_check", FIPS_INTEGRITY_TEST),
    );
    assert.equal(at(fips), true);
    // a build without it (not FIPS): a longer string that only holds the name is not it
    const plain = await buildSharedLibrary(
      dir,
      "libplain",
      inData("sl_aead", aead) + inData("sl_other", `not the ${FIPS_INTEGRITY_TEST}s`),
    );
    assert.equal(at(plain), false);
  });
});

Deno.test("FIPS module: aead.c in the code whose functions match neither seal nor open is still said to be a FIPS module's", async () => {
  await withDir(async (dir) => {
    // delocate's layout: aead.c's __FILE__ in .text, one error site referencing it (lib 30,
    // TOO_LARGE, line 120: seal's first, no more); aws-lc's mem.c in the read-only data
    const lib = await buildSharedLibrary(
      dir,
      "libsite",
      inData("sl_mem", `${AWS_LC}/crypto/mem.c`) +
        String.raw`__asm__(
  ".text\n"
  "file: .asciz \"${AWS_LC}/crypto/fipsmodule/cipher/aead.c\"\n"
  ".globl sl_site, sl_err\n"
  ".p2align 4, 0xcc\n"
  "sl_err: ret\n"
  "  .fill 31,1,0xcc\n"
  ".p2align 4, 0xcc\n"
  "sl_site:\n"
  "  lea file(%rip), %rcx\n"
  "  mov $30, %edi\n"
  "  mov $117, %edx\n"
  "  mov $120, %r8d\n"
  "  xor %esi, %esi\n"
  "  call sl_err\n"
  "  ret\n"
  "  .fill 24,1,0xcc\n"
);
`,
    );
    const r = await locate(lib, { cacheDir: await tempCacheDir() });
    assert.equal(r.tried[0], `quick scan: aead.c, ${FIPS_TEXT_HINT}`);
    assert.equal(r.ok, false);
    // before: "no function matches …" alone
    assert.match(
      r.reason ?? "",
      /no function matches EVP_AEAD_CTX_seal and EVP_AEAD_CTX_open; aead\.c inside a FIPS module \(its string in the code, apart from the read-only data: only delocate puts a FIPS module's strings there\), not hooked: /,
    );
  });
});

const NO_SYSO = (await goBoringCrypto()) === undefined && !Deno.env.get("CI");
if (NO_SYSO) {
  console.warn("fips_module_test: Go's BoringCrypto object not found: real-module tests skipped");
}
Deno.test({
  name:
    "FIPS module: a real BoringSSL FIPS module linked by gcc: seal/open located, and not hooked, saying why",
  ignore: NO_SYSO,
  async fn() {
    // the modern layout (before: "no TLS library found"), and the old one (before: hooked,
    // and the program aborted)
    for (const [ld, old] of [[[], false], [["-Wl,-z,noseparate-code"], true]] as const) {
      await withDir(async (dir) => {
        const { full, stripped } = await buildFipsProgram(dir, [...ld]);
        using elf = ElfFile.open(full);
        assert.equal(
          codeIsReadOnlyData(elf),
          old,
          `${ld}: the code segment the only read-only one`,
        );
        // the oracle: the symbols of the copy not stripped
        const want = elf.staticSymbols()
          .filter((s) => /^_goboringcrypto_EVP_AEAD_CTX_(seal|open)$/.test(s.name))
          .map((s) =>
            `${s.name.replace("_goboringcrypto_", "")} at ${hex(elf.vaddrToOffset(s.value)!)}`
          )
          .sort();
        assert.equal(want.length, 2, JSON.stringify(want));
        // how each copy shows the module: not stripped, its bounding symbols; stripped, where
        // aead.c's string is (modern layout) or the integrity test's name (old layout)
        const how = {
          [full]: "its string between BORINGSSL_bcm_text_start/BORINGSSL_bcm_text_end",
          [stripped]: old
            ? `the module's integrity test ("FIPS integrity test") in the same segment`
            : "its string in the code, apart from the read-only data: only delocate puts a FIPS module's strings there",
        };
        for (const path of [stripped, full]) {
          const r = await locate(path, { cacheDir: await tempCacheDir() });
          // the code is searched for the module's strings only where it is not with the data
          assert.equal(r.tried[0], `quick scan: aead.c${old ? "" : `, ${FIPS_TEXT_HINT}`}`);
          // found where the symbols say, and refused loudly: a hook there would abort it
          assert.equal(r.ok, false, JSON.stringify(r.hooks));
          assert.deepEqual(r.hooks, []);
          const said =
            /(EVP_AEAD_CTX_seal at 0x[0-9a-f]+), (EVP_AEAD_CTX_open at 0x[0-9a-f]+): inside a FIPS module \((.*)\), not hooked: (.*) \(\d+ ms\)$/
              .exec(r.reason ?? "");
          assert.ok(said, r.reason);
          assert.deepEqual([said[1], said[2]].sort(), want);
          assert.equal(said[3], how[path], path);
          assert.equal(said[4], FIPS_NOT_HOOKED);
        }
      });
    }
  },
});

Deno.test({
  name:
    "FIPS module: in the modern layout, seal/open in the module's code are refused without the integrity test's name",
  ignore: NO_SYSO,
  async fn() {
    await withDir(async (dir) => {
      const { stripped } = await buildFipsProgram(dir);
      // one byte of the integrity test's name changed: a module whose name is not found
      // beside aead.c (GCC's layout puts them the module's size apart; another wording)
      const bytes = Deno.readFileSync(stripped);
      const name = new TextEncoder().encode(`${FIPS_INTEGRITY_TEST}\0`);
      const at = Buffer.from(bytes).indexOf(Buffer.from(name));
      assert.ok(at > 0 && Buffer.from(bytes).indexOf(Buffer.from(name), at + 1) < 0);
      bytes[at + name.length - 2] = "X".charCodeAt(0);
      const far = `${dir}/far`;
      Deno.writeFileSync(far, bytes);
      const r = await locate(far, { cacheDir: await tempCacheDir() });
      assert.equal(r.ok, false, JSON.stringify(r.hooks)); // before: seal and open hooked
      assert.deepEqual(r.hooks, []);
      assert.match(
        r.reason ?? "",
        /EVP_AEAD_CTX_seal at 0x[0-9a-f]+, EVP_AEAD_CTX_open at 0x[0-9a-f]+: inside a FIPS module \(its string in the code, apart from the read-only data/,
      );
    });
  },
});

Deno.test({
  name:
    "FIPS module: a uprobe at the located EVP_AEAD_CTX_seal makes the module's integrity test abort the program",
  ignore: NO_SYSO || SKIP_NOT_ROOT,
  async fn() {
    await withDir(async (dir) => {
      const { full, stripped } = await buildFipsProgram(dir);
      using elf = ElfFile.open(full);
      const seal = elf.staticSymbols().find((s) => s.name === "_goboringcrypto_EVP_AEAD_CTX_seal")!;
      // the hook the locator would have made (where the symbols put seal), in place at start
      const { output, hits } = await uprobesOfRun(
        [{ name: "seal", path: stripped, offset: elf.vaddrToOffset(seal.value)! }],
        stripped,
        { args: [] },
        30_000,
      );
      assert.equal(output.signal, "SIGABRT", `exit ${output.code}`);
      assert.match(new TextDecoder().decode(output.stderr), /^FIPS integrity test failed\./);
      assert.equal(hits.length, 0, "it never got to seal");
    });
  },
});
