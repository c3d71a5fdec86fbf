/**
 * readSite's reading of `ERR_put_error`'s lib/reason/line from the code before the call, on a
 * real shared library built from assembly laid out as compilers lay it out: a size-optimised
 * build's `push imm; pop reg` read as the immediate (Deno's aws-lc, clang -Oz), but not a pop
 * whose value another path may have pushed (a pop that is a jump target), one of a register,
 * or one past another move of the stack pointer.
 */
import assert from "node:assert/strict";
import { ElfFile } from "../elf.ts";
import { buildSharedLibrary } from "../../tests/support/shared_library.ts";
import { sourceFileSites } from "./error_sites.ts";
import { FunctionFinder } from "./functions.ts";

/** Each function loads `__FILE__` into rcx (argument 4) and calls `err` as ERR_put_error. */
const ASM = String.raw`
__asm__(
  ".section .rodata\n"
  "file: .asciz \"/src/aws-lc/crypto/fipsmodule/cipher/aead.c\"\n"
  ".text\n"
  ".globl straight, join_back, pushed_reg, dropped, err\n"
  ".p2align 4, 0xcc\n"
  "err: ret\n"
  "  .fill 31,1,0xcc\n"
  ".p2align 4, 0xcc\n"
  "straight:\n"
  "  lea file(%rip), %rcx\n"
  "  push $0x1e\n"
  "  pop %rdi\n"
  "  push $0x77\n"
  "  pop %rdx\n"
  "  mov $200, %r8d\n"
  "  xor %esi, %esi\n"
  "  call err\n"
  "  ret\n"
  "  .fill 24,1,0xcc\n"
  ".p2align 4, 0xcc\n"
  "join_back:\n"
  "  test %rdi, %rdi\n"
  "  je 1f\n"
  "  push $0x66\n"
  "  jmp 2f\n"
  "1:\n"
  "  push $0x65\n"
  "2:\n"
  "  pop %rdx\n"
  "  lea file(%rip), %rcx\n"
  "  push $0x1e\n"
  "  pop %rdi\n"
  "  mov $100, %r8d\n"
  "  xor %esi, %esi\n"
  "  call err\n"
  "  ret\n"
  "  .fill 24,1,0xcc\n"
  ".p2align 4, 0xcc\n"
  "pushed_reg:\n"
  "  lea file(%rip), %rcx\n"
  "  push $0x1e\n"
  "  pop %rdi\n"
  "  push %rsi\n"
  "  pop %rdx\n"
  "  mov $300, %r8d\n"
  "  xor %esi, %esi\n"
  "  call err\n"
  "  ret\n"
  "  .fill 24,1,0xcc\n"
  ".p2align 4, 0xcc\n"
  "dropped:\n"
  "  lea file(%rip), %rcx\n"
  "  push $0x1e\n"
  "  pop %rdi\n"
  "  push $0x77\n"
  "  add $8, %rsp\n"
  "  push $0x70\n"
  "  add $8, %rsp\n"
  "  pop %rdx\n"
  "  mov $400, %r8d\n"
  "  xor %esi, %esi\n"
  "  call err\n"
  "  ret\n"
  "  .fill 24,1,0xcc\n"
);
`;

Deno.test("error sites: push imm; pop reg is the immediate, but not at a join, of a register, or past a move of rsp", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sl-sites-" });
  try {
    const lib = await buildSharedLibrary(dir, "sites", ASM, ["-nostdlib"]);
    using elf = ElfFile.open(lib);
    const r = sourceFileSites(elf, new FunctionFinder(elf), ["aead.c"]);
    const sites = r.functions.flatMap((f) => f.sites)
      .map((s) => [s.lib, s.reason, s.line])
      .sort((a, b) => Number(a[2]) - Number(b[2]));
    assert.deepEqual(sites, [
      // join_back: reason 0x65 or 0x66 by the path taken, so not known
      [0x1e, undefined, 100],
      [0x1e, 0x77, 200],
      // pushed_reg: what a register held is not known
      [0x1e, undefined, 300],
      // dropped: its pushes discarded by add rsp, the pop takes a slot not pushed here
      [0x1e, undefined, 400],
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
